#!/usr/bin/python3
"""A/B of two hmc executables on the benchmark workloads.

  /usr/bin/python3 benchmarks/compare.py --base OLD/bin/hmc [--new build/bin/hmc]
      [--workloads nlu_small,...] [--lengths 64,1024] [--threads 1,2]
      [--rounds 4] [--budget 6] [--out DIR]

On a machine whose speed drifts by more than the change being measured,
only runs of both builds interleaved in one session compare. For every
workload: export it once, compile it with each hmc, check both libraries'
outputs agree (relative L2 <= 1e-4) on every input set, then per length and
thread count alternate base and new hmc_bench runs for `rounds` rounds, each
build first in every other round (each run: warm-up, then timed runs over
the input sets for about `budget` seconds). Prints every round's medians and
new/base of their medians, and writes DIR/compare.csv. The same hmc as both
builds measures the noise floor. Exit status 1 if a compile fails or the
outputs disagree.
"""
import argparse
import csv
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import harness  # noqa: E402
import workloads as workload_table  # noqa: E402

BUILDS = ("base", "new")
SETS = 3
FIELDS = ["workload", "n", "threads", "base_median_ms", "new_median_ms",
          "new_over_base", "base_rounds_ms", "new_rounds_ms"]


def compile_library(hmc, workload, onnx, directory):
    library, error = harness.compile_library(hmc, workload, onnx, directory)
    if error:
        raise harness.EngineError(error)
    return library


def bench(tool, library, inputs, threads, budget, outputs):
    """The median of one hmc_bench process (the harness's protocol)."""
    settings = dict(sets=SETS, warmup=2, min_iters=5, max_iters=100000, budget_s=budget)
    paths = {"hmc_bench": tool, "library": library, "inputs": inputs}
    command = harness.engine_command("hmc", None, paths, threads, settings, outputs)
    return float(np.median(harness.run_engine(command, threads)["times_ms"]))


def compare(workload, args, hmcs, tool, out, rows):
    work = os.path.join(out, workload.name)
    os.makedirs(work, exist_ok=True)
    onnx = os.path.join(work, workload.name + ".onnx")
    workload.export(workload.build(), onnx)
    libraries = {build: compile_library(hmcs[build], workload, onnx,
                                        os.path.join(work, "lib_" + build))
                 for build in BUILDS}
    lengths = ([int(n) for n in args.lengths.split(",")] if args.lengths
               else workload.lengths)
    for n in lengths:
        inputs = os.path.join(work, f"inputs_{n}")
        harness.write_inputs(workload, n, inputs, SETS)
        outputs = {build: os.path.join(work, f"out_{build}_{n}") for build in BUILDS}
        for threads in args.threads:
            medians = {build: [] for build in BUILDS}
            for round_index in range(args.rounds):
                # Each build goes first in every other round: what runs
                # second can find the machine warmer, or busier.
                for build in BUILDS[::-1] if round_index % 2 else BUILDS:
                    medians[build].append(bench(tool, libraries[build], inputs, threads,
                                                args.budget, outputs[build]))
            error = harness.agreement(workload, outputs, SETS, reference_engine="base")["new"]
            if error > harness.TOLERANCE:
                raise harness.EngineError(
                    f"{workload.name} at {n}: outputs differ, relative L2 {error:.3g}")
            base, new = (float(np.median(medians[build])) for build in BUILDS)
            row = {"workload": workload.name, "n": n, "threads": threads,
                   "base_median_ms": round(base, 4), "new_median_ms": round(new, 4),
                   "new_over_base": round(new / base, 4),
                   "base_rounds_ms": " ".join(f"{t:.3f}" for t in medians["base"]),
                   "new_rounds_ms": " ".join(f"{t:.3f}" for t in medians["new"])}
            rows.append(row)
            print(f"{workload.name:24} n={n:<6} threads={threads}  base {base:9.3f} ms  "
                  f"new {new:9.3f} ms  new/base {new / base:.3f}  "
                  f"(rounds: base {row['base_rounds_ms']}; new {row['new_rounds_ms']})",
                  flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the hmc executable to compare against")
    parser.add_argument("--new", help="the hmc executable under test (default: build/bin/hmc)")
    parser.add_argument("--workloads", default="nlu_small,hyperconformer_8m")
    parser.add_argument("--lengths", help="override every workload's lengths")
    parser.add_argument("--threads", default="1",
                        type=lambda text: [int(t) for t in text.split(",")])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--budget", type=float, default=6.0,
                        help="seconds of timed runs per hmc_bench run")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "compare"))
    args = parser.parse_args()
    if not (os.path.isfile(args.base) and os.access(args.base, os.X_OK)):
        parser.error(f"--base {args.base} is not an executable")
    hmcs = {"base": os.path.abspath(args.base), "new": harness.find_hmc(args.new)}
    unknown = [name for name in args.workloads.split(",")
               if name not in workload_table.WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; known: "
                     f"{', '.join(workload_table.WORKLOADS)}")
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    tool = harness.cc("hmc_bench.c", os.path.join(out, "hmc_bench"),
                      ["-I", os.path.join(ROOT, "runtime", "include"), "-ldl"])
    rows = []
    try:
        for name in args.workloads.split(","):
            compare(workload_table.WORKLOADS[name], args, hmcs, tool, out, rows)
    except harness.EngineError as error:
        print(f"compare: {error}", file=sys.stderr)
        return 1
    finally:
        with open(os.path.join(out, "compare.csv"), "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
