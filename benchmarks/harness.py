#!/usr/bin/python3
"""The benchmark harness: hmc against ONNX Runtime and PyTorch eager.

  /usr/bin/python3 benchmarks/harness.py [--quick] [--workloads a,b] [--threads 1,2]
                                         [--lengths 256,1024] [--hmc PATH] [--out DIR]

(benchmarks/run.sh installs the ONNX Runtime package first and calls this.)
For every workload of workloads.WORKLOADS: export the seeded PyTorch module to
ONNX, compile it with hmc, and for every sequence length write a few input
sets (batch 1). Each engine (hmc_bench.c on the generated library,
node/ort_bench.js on the ONNX file, torch_bench.py on the module) then runs in
its own process per thread count, so that its peak resident set is its own:
one run per input set (outputs kept), warm-up runs, timed runs cycling
through the input sets. Before any figure is reported, the outputs of hmc
and ONNX Runtime must agree with PyTorch's to a relative L2 error of 1e-4 on
every input set; a disagreement fails that workload loudly. Writes DIR/
results.csv, DIR/latency.png and DIR/meta.json; prints a table with the
latency ratios hmc/ORT and hmc/PyTorch and hmc's achieved GFLOP/s against
OpenBLAS sgemm (2048^3) on the same thread count; with the per-kernel profile,
DIR/kernels.csv holds each kernel's GFLOP/s and its compulsory traffic against
the measured memory bandwidth (bandwidth_ceiling.c). Exit status 1 if any
workload disagreed or an engine failed to run (an hmc compile failure is
reported per workload and does not count: models may need operators hmc
does not have yet).
"""
import argparse
import csv
import datetime
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import workloads as workload_table  # noqa: E402
import kernel_profile  # noqa: E402
import scaling  # noqa: E402
from kernel_flops import kernel_flops  # noqa: E402

ENGINES = ("hmc", "hmc_tuned", "ort", "torch")
ENGINE_TITLES = {"hmc": "hmc", "hmc_tuned": "hmc tuned", "ort": "ORT", "torch": "PyTorch"}
HMC_ENGINES = ("hmc", "hmc_tuned")
TOLERANCE = 1e-4
CEILING_SIZE = 2048
ENGINE_TIMEOUT_S = 900

# (input sets, extra warm-up runs, min timed runs, max timed runs, time budget s)
FULL = dict(sets=4, warmup=2, min_iters=10, max_iters=1000, budget_s=2.0)
QUICK = dict(sets=2, warmup=1, min_iters=3, max_iters=50, budget_s=0.2)


class EngineError(RuntimeError):
    """An engine process failed; the message is its first error line."""


def first_error_line(text):
    """The first line that says 'error' (with the next line when it ends with
    a colon), else the last non-empty line."""
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if "error" in line.lower():
            if line.endswith(":") and i + 1 < len(lines):
                return f"{line} {lines[i + 1].strip()}"
            return line
    return lines[-1] if lines else "(no output)"


def find_hmc(explicit):
    """The hmc driver: --hmc, $HMC, build/bin/hmc, or any build*/.../hmc."""
    for candidate in (explicit, os.environ.get("HMC"), os.path.join(ROOT, "build/bin/hmc")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    for build in sorted(d for d in os.listdir(ROOT) if d.startswith("build")):
        for dirpath, _, files in os.walk(os.path.join(ROOT, build)):
            if "hmc" in files and os.path.basename(dirpath) == "bin":
                return os.path.join(dirpath, "hmc")
    sys.exit("harness: no hmc executable found; build with scripts/build.sh or pass --hmc")


def cc(source, output, extra):
    """Compiles one C11 program of this folder with the system C compiler."""
    command = ["cc", "-std=c11", "-O2", "-Wall", "-Wextra", "-o", output,
               os.path.join(HERE, source)] + extra
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise EngineError(f"cc {source}: {first_error_line(result.stderr)}")
    return output


def cpu_has_avx512():
    with open("/proc/cpuinfo") as f:
        return " avx512f" in f.read()


def openblas_env(threads, coretype=None):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    return env


@functools.lru_cache(maxsize=None)
def sgemm_at_shape(tool, shape):
    """OpenBLAS sgemm GFLOP/s on one thread at a dense kernel's (M, N, K),
    the best kernel choice as for the ceiling; None when it cannot run."""
    if not tool:
        return None
    best = None
    for coretype in [None] + (["SkylakeX"] if cpu_has_avx512() else []):
        result = subprocess.run([tool] + [str(s) for s in shape] + ["1", "20"],
                                env=openblas_env(1, coretype), capture_output=True,
                                text=True, timeout=300)
        if result.returncode == 0:
            gflops = json.loads(result.stdout)["best_gflops"]
            best = gflops if best is None else max(best, gflops)
    return best


def measure_ceilings(tool, threads):
    """OpenBLAS sgemm GFLOP/s per thread count (the best of the auto-detected
    kernel and, on AVX-512 CPUs, OPENBLAS_CORETYPE=SkylakeX)."""
    ceilings = {}
    for t in threads:
        best = None
        coretypes = [None] + (["SkylakeX"] if cpu_has_avx512() else [])
        for coretype in coretypes:
            result = subprocess.run([tool, str(CEILING_SIZE), str(t), "5"],
                                    env=openblas_env(t, coretype),
                                    capture_output=True, text=True, timeout=300)
            if result.returncode != 0:
                continue
            info = json.loads(result.stdout)
            if best is None or info["best_gflops"] > best["best_gflops"]:
                best = info
        ceilings[t] = best
    return ceilings


# Three arrays this large (MiB each) are far beyond any cache: the triad's
# traffic goes to memory.
BANDWIDTH_MIB = 256


def measure_bandwidths(tool, threads):
    """Memory bandwidth (STREAM triad, GB/s) per thread count."""
    bandwidths = {}
    for t in threads:
        result = subprocess.run([tool, str(BANDWIDTH_MIB), str(t), "10"],
                                capture_output=True, text=True, timeout=300)
        bandwidths[t] = json.loads(result.stdout) if result.returncode == 0 else None
    return bandwidths


def roofline(kernel, ceiling, bandwidth):
    """A kernel row's floors on 1 thread: its executed FLOPs at the sgemm
    ceiling, its compulsory bytes at the memory bandwidth; the larger bounds
    it (`bound`), and `pct_of_roofline` is that floor over its time."""
    floors = {}
    if ceiling and kernel.get("gflops"):
        kernel["pct_of_ceiling"] = 100.0 * kernel["gflops"] / ceiling["best_gflops"]
        floors["compute"] = kernel["compute_floor_ms"] = \
            kernel["gflop"] / ceiling["best_gflops"] * 1e3
    if bandwidth and kernel.get("gbps"):
        kernel["pct_of_bandwidth"] = 100.0 * kernel["gbps"] / bandwidth["best_gbps"]
        floors["memory"] = kernel["traffic_floor_ms"] = \
            kernel["mbytes"] / bandwidth["best_gbps"]
    if floors:
        kernel["bound"] = max(floors, key=floors.get)
        kernel["pct_of_roofline"] = 100.0 * floors[kernel["bound"]] / kernel["time_ms"]


def engine_command(engine, workload, paths, threads, settings, output_dir):
    protocol = [paths["inputs"], str(settings["sets"]), str(threads),
                str(settings["warmup"]), str(settings["min_iters"]),
                str(settings["max_iters"]), str(settings["budget_s"]), output_dir]
    if engine == "hmc":
        return [paths["hmc_bench"], paths["library"]] + protocol
    if engine == "hmc_tuned":
        return [paths["hmc_bench"], paths["library_tuned"]] + protocol
    if engine == "ort":
        return ["node", os.path.join(HERE, "node", "ort_bench.js"), paths["onnx"]] + protocol
    return ["/usr/bin/python3", os.path.join(HERE, "torch_bench.py"), workload.name,
            paths["state"]] + protocol


def engine_environment(threads):
    """T threads for OpenMP and OpenBLAS (PyTorch uses both). Passive OpenMP
    waiting: GOMP's workers otherwise spin between parallel regions and starve
    OpenBLAS's threads of the cores (measured 100x slower runs on 2 cores)."""
    return dict(os.environ, OMP_NUM_THREADS=str(threads),
                OPENBLAS_NUM_THREADS=str(threads), OMP_WAIT_POLICY="PASSIVE")


def run_engine(command, threads):
    """Runs one engine process; returns its JSON report."""
    env = engine_environment(threads)
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env,
                                timeout=ENGINE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise EngineError(f"timed out after {ENGINE_TIMEOUT_S} s") from None
    if result.returncode != 0:
        raise EngineError(first_error_line(result.stderr + result.stdout))
    return json.loads(result.stdout.strip().splitlines()[-1])


def relative_l2(values, reference):
    values = np.asarray(values, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if values.shape != reference.shape:
        return float("inf")
    norm = np.linalg.norm(reference)
    return float(np.linalg.norm(values - reference) / (norm if norm > 0 else 1.0))


def agreement(workload, output_dirs, sets, reference_engine="torch"):
    """Largest relative L2 error against the reference engine (PyTorch) over
    the input sets, per other engine."""
    errors = {}
    for engine, directory in output_dirs.items():
        if engine == reference_engine:
            continue
        worst = 0.0
        for s in range(sets):
            name = f"set{s}/{workload.output}.npy"
            reference = np.load(os.path.join(output_dirs[reference_engine], name))
            worst = max(worst, relative_l2(np.load(os.path.join(directory, name)), reference))
        errors[engine] = worst
    return errors


def compile_library(hmc, workload, onnx, libdir, extra=()):
    """hmc compile into a fresh `libdir`. Returns (library path, None), or
    (None, the first error line)."""
    shutil.rmtree(libdir, ignore_errors=True)
    result = subprocess.run([hmc, "compile", onnx, "-o", libdir, "--name", workload.name,
                             *extra], capture_output=True, text=True)
    if result.returncode != 0:
        return None, first_error_line(result.stderr + result.stdout)
    return os.path.join(libdir, f"lib{workload.name}.so"), None


def tune_workload(workload, paths, hmc, lengths, budget):
    """hmc tune at the workload's lengths within `budget` seconds, then the
    library built with that database. Returns an error line or None."""
    paths["tuning_db"] = os.path.join(os.path.dirname(paths["libdir"]), "tuning.json")
    paths["libdir_tuned"] = paths["libdir"] + "_tuned"
    start = time.perf_counter()
    result = subprocess.run(
        [hmc, "tune", paths["onnx"], "-o", paths["tuning_db"], "--name", workload.name,
         "--lengths", ",".join(str(n) for n in lengths), "--budget", str(budget), "-q"],
        capture_output=True, text=True)
    if result.returncode != 0:
        return first_error_line(result.stderr + result.stdout)
    library, error = compile_library(hmc, workload, paths["onnx"], paths["libdir_tuned"],
                                     ["--tuning-db", paths["tuning_db"]])
    if error:
        return error
    paths["tune_s"] = time.perf_counter() - start
    paths["library_tuned"] = library
    return None


def prepare_workload(workload, work, hmc):
    """Exports the ONNX file and the weights, compiles the library.
    Returns (paths, hmc compile error or None)."""
    os.makedirs(work, exist_ok=True)
    paths = {"onnx": os.path.join(work, workload.name + ".onnx"),
             "state": os.path.join(work, workload.name + ".pt"),
             "libdir": os.path.join(work, "lib")}
    module = workload.build()
    torch.save(module.state_dict(), paths["state"])
    workload.export(module, paths["onnx"])
    start = time.perf_counter()
    library, error = compile_library(hmc, workload, paths["onnx"], paths["libdir"])
    paths["compile_s"] = time.perf_counter() - start
    if error:
        return paths, error
    paths["library"] = library
    graph = subprocess.run([hmc, "compile", paths["onnx"], "--emit", "kernels"],
                           capture_output=True, text=True)
    paths["kernel_graph"] = json.loads(graph.stdout) if graph.returncode == 0 else None
    return paths, None


def executed_flops(paths, n):
    """FLOPs the hmc library executes at length n (batch 1), from its kernel
    graph, or None when that is unknown."""
    graph = paths.get("kernel_graph")
    if not graph:
        return None
    try:
        return float(sum(kernel_flops(graph, {"B": 1, "N": n}).values()))
    except (KeyError, ValueError, StopIteration):
        return None


def write_inputs(workload, n, directory, sets):
    shutil.rmtree(directory, ignore_errors=True)
    for s in range(sets):
        os.makedirs(os.path.join(directory, f"set{s}"))
        for name, array in workload.make_inputs(n, s).items():
            np.save(os.path.join(directory, f"set{s}", name + ".npy"), array)


def summarise(report, flops, executed, ceiling):
    """Median and p90 latency, resident sets, and GFLOP/s: the model's FLOPs
    over the median for every engine; for hmc also the FLOPs it executes
    (`executed`) over the median, as a share of the sgemm ceiling."""
    times = np.asarray(report["times_ms"])
    median = float(np.median(times))
    row = {"status": "ok", "median_ms": median,
           "p90_ms": float(np.percentile(times, 90)), "iterations": len(times),
           "peak_rss_mb": report["peak_rss_kib"] / 1024.0,
           "model_rss_mb": (report["peak_rss_kib"] - report["base_rss_kib"]) / 1024.0,
           "gflops": flops / (median * 1e-3) / 1e9}
    if executed:
        row["hmc_gflop"] = executed / 1e9
        row["hmc_gflops"] = executed / (median * 1e-3) / 1e9
        if ceiling:
            row["pct_of_ceiling"] = 100.0 * row["hmc_gflops"] / ceiling["best_gflops"]
    return row


def profile_kernels(workload, paths, n, settings, ceiling, bandwidth, log, unprofiled_ms,
                    sgemm=None):
    """Per-kernel times of the hmc library on one thread (perf sampling, or
    the library's own profile where perf is missing), scaled to the
    unprofiled median `unprofiled_ms` of the same run, against the 1-thread
    sgemm ceiling and memory bandwidth; returns kernel rows for kernels.csv
    and logs a summary per op."""
    directory = os.path.join(os.path.dirname(paths["inputs"]), "profile")
    os.makedirs(directory, exist_ok=True)
    command = engine_command("hmc", workload, paths, 1, settings,
                             os.path.join(directory, "out"))
    env = engine_environment(1)
    sampled = kernel_profile.available()
    try:
        if sampled:
            shares, total_ns, stdout = kernel_profile.sample(command, directory, env)
        else:
            symbol_ms, profiled, stdout = kernel_profile.library_profile(command, env)
    except RuntimeError as error:
        log(f"   N={n} hmc kernels: no profile ({error})")
        return []
    report = json.loads(stdout.strip().splitlines()[-1])
    if sampled:  # else the mean of the runs the library profiled
        profiled = float(np.median(report["times_ms"]))
    scale = unprofiled_ms / profiled
    if sampled:
        runs = len(report["times_ms"])  # perf sampled the timed runs only
        symbol_ms = {symbol: share * total_ns / runs / 1e6 for symbol, share in shares.items()}
    symbol_ms = {symbol: scale * ms for symbol, ms in symbol_ms.items()}
    kernels = kernel_profile.kernel_times(paths["kernel_graph"], symbol_ms, unprofiled_ms, n)
    parts = []
    for group in kernel_profile.by_op(kernels):
        if group["share"] < 0.01:
            continue
        text = f"{group['op']} {100 * group['share']:.0f}%"
        if group["gflops"]:
            text += f" {group['gflops']:.0f} GFLOP/s"
            if ceiling:
                text += f" ({100 * group['gflops'] / ceiling['best_gflops']:.0f}%)"
        elif group["gbps"]:
            text += f" {group['gbps']:.1f} GB/s"
            if bandwidth:
                text += f" ({100 * group['gbps'] / bandwidth['best_gbps']:.0f}%)"
        parts.append(text)
    source = "perf samples" if sampled else "the library's HMC_PROFILE (no perf here)"
    log(f"   N={n} hmc kernels on 1 thread (share of the median run; GFLOP/s of CPU time "
        "and % of sgemm, or for kernels without matrix work GB/s of compulsory traffic "
        f"and % of memory bandwidth; {source}, times x {scale:.2f}, the unprofiled median "
        "over the profiled run time): " + " | ".join(parts))
    busiest = [k for k in kernels if k["kernel"].startswith("other: ") and k["share"] >= 0.02]
    if busiest:
        log("      outside the kernels: " + ", ".join(
            f"{k['kernel'][len('other: '):]} {100 * k['share']:.0f}%" for k in busiest))
    dense = []
    for k in kernels:
        k.update(workload=workload.name, n=n, threads=1, run_median_ms=unprofiled_ms,
                 profiled_median_ms=profiled)
        roofline(k, ceiling, bandwidth)
        shape = k.pop("gemm", None)
        reference = sgemm_at_shape(sgemm, tuple(shape)) if shape and k["gflops"] else None
        if reference:
            k.update(gemm_mnk="x".join(str(s) for s in shape), sgemm_gflops=reference,
                     pct_of_sgemm_same_shape=100.0 * k["gflops"] / reference)
            dense.append(k)
    if dense:
        log("      dense kernels vs OpenBLAS sgemm at the same M x N x K (1 thread): " +
            ", ".join(f"{k['kernel']} {k['gemm_mnk']} {k['gflops']:.0f}/"
                      f"{k['sgemm_gflops']:.0f} GFLOP/s = "
                      f"{k['pct_of_sgemm_same_shape']:.0f}%" for k in dense))
    return kernels


def benchmark(workload, lengths, threads, settings, hmc, tools, ceilings, bandwidths, out,
              log, profile=False, tune_budget=0):
    """All rows of one workload and the per-kernel profile rows; returns
    (rows, kernel rows, failed)."""
    rows, kernel_rows, failed = [], [], False
    work = os.path.join(out, "work", workload.name)

    def row(n, t, engine, **fields):
        base = {"workload": workload.name, "n": n, "threads": t, "engine": engine,
                "gflop": workload.flops(n) / 1e9}
        if ceilings.get(t):
            base["ceiling_gflops"] = ceilings[t]["best_gflops"]
        base.update(fields)
        rows.append(base)

    log(f"== {workload.name}: {workload.description}")
    try:
        paths, compile_error = prepare_workload(workload, work, hmc)
    except Exception as error:  # export failed: nothing can run
        message = f"export failed: {first_error_line(str(error))}"
        log(f"   {message}")
        for n in lengths:
            for t in threads:
                for engine in ENGINES:
                    if tune_budget > 0 or engine != "hmc_tuned":
                        row(n, t, engine, status=message)
        return rows, kernel_rows, True
    paths["hmc_bench"] = tools.get("hmc_bench")
    reported = [e for e in ENGINES if tune_budget > 0 or e != "hmc_tuned"]
    engines = list(reported)
    tune_error = None
    if compile_error:
        log(f"   hmc: compile failed: {compile_error}")
        engines = [e for e in engines if e not in HMC_ENGINES]
    else:
        log(f"   hmc compile {paths['compile_s']:.1f} s")
        if tune_budget > 0:
            tune_error = tune_workload(workload, paths, hmc, lengths, tune_budget)
            if tune_error:
                log(f"   hmc tuned: {tune_error}")
                engines.remove("hmc_tuned")
            else:
                log(f"   hmc tune (budget {tune_budget:g} s) + compile "
                    f"{paths['tune_s']:.1f} s")

    for n in lengths:
        paths["inputs"] = os.path.join(work, f"n{n}", "inputs")
        write_inputs(workload, n, paths["inputs"], settings["sets"])
        for t in threads:
            reports, outputs, broken = {}, {}, {}
            for engine in engines:
                outputs[engine] = os.path.join(work, f"n{n}", f"out_{engine}_t{t}")
                try:
                    reports[engine] = run_engine(
                        engine_command(engine, workload, paths, t, settings,
                                       outputs[engine]), t)
                except EngineError as error:
                    broken[engine] = str(error)
            for engine, message in broken.items():
                log(f"   N={n} threads={t} {ENGINE_TITLES[engine]}: FAILED: {message}")
                failed = True
            errors = {}
            if "torch" in reports:
                errors = agreement(workload, {e: outputs[e] for e in reports}, settings["sets"])
            disagree = {e: err for e, err in errors.items() if not err <= TOLERANCE}
            if disagree:
                for engine, err in disagree.items():
                    log(f"   !!! {workload.name} N={n}: {ENGINE_TITLES[engine]} disagrees "
                        f"with PyTorch: relative L2 error {err:.2e} > {TOLERANCE:g}")
                failed = True
            for engine in reported:
                if engine in HMC_ENGINES and compile_error:
                    row(n, t, engine, status=f"compile failed: {compile_error}")
                elif engine == "hmc_tuned" and tune_error:
                    row(n, t, engine, status=f"tuning failed: {tune_error}")
                elif engine in broken:
                    row(n, t, engine, status=f"run failed: {broken[engine]}")
                elif engine in disagree:
                    row(n, t, engine, status="outputs disagree",
                        rel_l2_vs_torch=disagree[engine])
                elif engine != "torch" and engine not in errors:
                    row(n, t, engine, status="not checked: PyTorch did not run")
                else:
                    executed = executed_flops(paths, n) if engine in HMC_ENGINES else None
                    fields = summarise(reports[engine], workload.flops(n), executed,
                                       ceilings.get(t))
                    if engine in errors:
                        fields["rel_l2_vs_torch"] = errors[engine]
                    row(n, t, engine, **fields)
            log(format_rows([r for r in rows if r["n"] == n and r["threads"] == t],
                            header=False))
            if (profile and t == 1 and "hmc" in reports and "hmc" not in disagree
                    and paths.get("kernel_graph")):
                unprofiled = float(np.median(reports["hmc"]["times_ms"]))
                kernel_rows += profile_kernels(workload, paths, n, settings,
                                               ceilings.get(1), bandwidths.get(1), log,
                                               unprofiled, tools.get("sgemm"))
        shutil.rmtree(os.path.join(work, f"n{n}"), ignore_errors=True)
    return rows, kernel_rows, failed


# ---------------------------------------------------------------------------
# Output: table, CSV, plot
# ---------------------------------------------------------------------------
TABLE_HEADER = (f"{'workload':24s} {'N':>5s} {'thr':>3s} | {'hmc ms':>17s} "
                f"{'tuned ms':>17s} {'ORT ms':>17s} {'PyTorch ms':>17s} | {'hmc/ORT':>7s} "
                f"{'hmc/PT':>7s} {'tun/ORT':>7s} | {'hmc GFLOP/s':>16s} | "
                f"{'peak MB hmc/tun/ORT/PT':>22s}")


def format_rows(rows, header=True):
    """One line per (workload, N, threads): median (p90) per engine, ratios,
    hmc's GFLOP/s and its share of the sgemm ceiling, peak resident sets."""
    groups = {}
    for r in rows:
        groups.setdefault((r["workload"], r["n"], r["threads"]), {})[r["engine"]] = r
    lines = [TABLE_HEADER, "-" * len(TABLE_HEADER)] if header else []
    for (name, n, t), by_engine in groups.items():
        def latency(engine):
            r = by_engine.get(engine, {})
            if r.get("status") != "ok":
                return f"{'-':>17s}"
            return f"{r['median_ms']:8.3f} ({r['p90_ms']:6.2f})"

        def ratio(engine, ours="hmc"):
            a, b = by_engine.get(ours, {}), by_engine.get(engine, {})
            if a.get("status") != "ok" or b.get("status") != "ok":
                return f"{'-':>7s}"
            return f"{a['median_ms'] / b['median_ms']:7.3f}"

        hmc = by_engine.get("hmc", {})
        if hmc.get("status") == "ok" and "hmc_gflops" in hmc:
            share = (f" ({hmc['pct_of_ceiling']:3.0f}%)" if "pct_of_ceiling" in hmc else "")
            rate = f"{hmc['hmc_gflops']:9.1f}{share}"
        else:
            rate = "-"
        peaks = "/".join(f"{by_engine[e]['peak_rss_mb']:.0f}"
                         if by_engine.get(e, {}).get("status") == "ok" else "-"
                         for e in ENGINES)
        lines.append(f"{name:24s} {n:5d} {t:3d} | {latency('hmc')} {latency('hmc_tuned')} "
                     f"{latency('ort')} {latency('torch')} | {ratio('ort')} "
                     f"{ratio('torch')} {ratio('ort', 'hmc_tuned')} | "
                     f"{rate:>16s} | {peaks:>22s}")
        for engine in ENGINES:
            status = by_engine.get(engine, {}).get("status", "ok")
            if status != "ok":
                lines.append(f"{'':34s}{ENGINE_TITLES[engine]}: {status}")
    return "\n".join(lines)


CSV_FIELDS = ["workload", "n", "threads", "engine", "status", "median_ms", "p90_ms",
              "iterations", "peak_rss_mb", "model_rss_mb", "gflop", "gflops", "hmc_gflop",
              "hmc_gflops", "ceiling_gflops", "pct_of_ceiling", "rel_l2_vs_torch",
              "hmc_over_ort", "hmc_over_torch"]


def add_ratios(rows):
    """hmc's median over ORT's and over PyTorch's, on the hmc rows (tuned or
    not)."""
    index = {(r["workload"], r["n"], r["threads"], r["engine"]): r for r in rows}
    for r in rows:
        if r["engine"] not in HMC_ENGINES or r.get("status") != "ok":
            continue
        for engine in ("ort", "torch"):
            other = index.get((r["workload"], r["n"], r["threads"], engine), {})
            if other.get("status") == "ok":
                r[f"hmc_over_{engine}"] = r["median_ms"] / other["median_ms"]


KERNEL_CSV_FIELDS = ["workload", "n", "threads", "kernel", "op", "calls", "time_ms", "share",
                     "gflop", "gflops", "pct_of_ceiling", "gemm_mnk", "sgemm_gflops",
                     "pct_of_sgemm_same_shape", "mbytes", "gbps", "pct_of_bandwidth",
                     "compute_floor_ms", "traffic_floor_ms", "bound", "pct_of_roofline",
                     "run_median_ms", "profiled_median_ms"]


def write_csv(rows, path, fields=CSV_FIELDS):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v)
                             for k, v in r.items()})


def plot(rows, path, meta):
    """Median latency against sequence length, one panel per workload; colour =
    engine, line style = thread count."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys(r["workload"] for r in rows))
    if not names:
        return
    columns = min(3, len(names))
    count_rows = (len(names) + columns - 1) // columns
    fig, axes = plt.subplots(count_rows, columns, figsize=(5.2 * columns, 4.2 * count_rows),
                             squeeze=False)
    colours = {"hmc": "tab:red", "hmc_tuned": "tab:orange", "ort": "tab:blue",
               "torch": "tab:green"}
    styles = ["-", "--", ":", "-."]
    threads = sorted({r["threads"] for r in rows})
    for ax, name in zip(axes.flat, names):
        for engine in ENGINES:
            for i, t in enumerate(threads):
                points = sorted((r["n"], r["median_ms"]) for r in rows
                                if r["workload"] == name and r["engine"] == engine
                                and r["threads"] == t and r.get("status") == "ok")
                if points:
                    xs, ys = zip(*points)
                    ax.plot(xs, ys, styles[i % len(styles)], marker="o", markersize=3,
                            color=colours[engine],
                            label=f"{ENGINE_TITLES[engine]}, {t} thr")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        lengths = sorted({r["n"] for r in rows if r["workload"] == name})
        ax.set_xticks(lengths)
        ax.set_xticklabels([str(n) for n in lengths])
        ax.minorticks_off()
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("sequence length N (batch 1)")
        ax.set_ylabel("median latency (ms)")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_lines():
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle(f"hmc vs ONNX Runtime {meta['ort_version']} vs PyTorch {meta['torch_version']}"
                 f" eager ({meta['cpu']}, {meta['cores']} cores)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def ort_version():
    path = os.path.join(HERE, "node", "node_modules", "onnxruntime-node", "package.json")
    try:
        with open(path) as f:
            return json.load(f)["version"]
    except OSError:
        return "missing"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="the shortest length of each workload, few iterations")
    parser.add_argument("--workloads", default=",".join(workload_table.WORKLOADS),
                        help="comma-separated names (default: all): " +
                        ", ".join(workload_table.WORKLOADS))
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--lengths", help="override every workload's lengths")
    parser.add_argument("--hmc", help="the hmc executable (default: build/bin/hmc)")
    parser.add_argument("--out", help="results folder (default: "
                        "benchmarks/results/<date>[-quick])")
    parser.add_argument("--tune-budget", type=float,
                        help="seconds of `hmc tune` per workload for the tuned hmc "
                        "engine (default 120; 0 or --quick: no tuned engine)")
    parser.add_argument("--profile", choices=("auto", "on", "off"), default="auto",
                        help="per-kernel times of hmc on 1 thread, with perf or, "
                        "without it, the library's HMC_PROFILE (auto: on unless --quick)")
    args = parser.parse_args()

    names = [w for w in args.workloads.split(",") if w]
    unknown = [w for w in names if w not in workload_table.WORKLOADS]
    if unknown:
        sys.exit(f"harness: unknown workload(s) {', '.join(unknown)}; known: "
                 f"{', '.join(workload_table.WORKLOADS)}")
    threads = [int(t) for t in args.threads.split(",")]
    settings = QUICK if args.quick else FULL
    tune_budget = (args.tune_budget if args.tune_budget is not None
                   else 0 if args.quick else 120)
    date = datetime.date.today().isoformat()
    out = os.path.abspath(args.out or os.path.join(
        HERE, "results", date + ("-quick" if args.quick else "")))
    os.makedirs(out, exist_ok=True)
    hmc = find_hmc(args.hmc)

    def log(text):
        print(text, flush=True)

    tools_dir = os.path.join(out, "tools")
    os.makedirs(tools_dir, exist_ok=True)
    tools = {"hmc_bench": cc("hmc_bench.c", os.path.join(tools_dir, "hmc_bench"),
                             ["-I", os.path.join(ROOT, "runtime", "include"), "-ldl"])}
    ceilings = {}
    try:
        sgemm = cc("sgemm_ceiling.c", os.path.join(tools_dir, "sgemm_ceiling"),
                   ["-I/usr/include/x86_64-linux-gnu/openblas-pthread",
                    "-I/usr/include/x86_64-linux-gnu", "-lopenblas"])
        ceilings = measure_ceilings(sgemm, threads)
        tools["sgemm"] = sgemm
    except EngineError as error:
        log(f"sgemm ceiling unavailable ({error}); install libopenblas-dev")
    bandwidth_tool = cc("bandwidth_ceiling.c", os.path.join(tools_dir, "bandwidth_ceiling"),
                        ["-pthread"])
    bandwidths = measure_bandwidths(bandwidth_tool, threads)

    meta = {"date": date, "cpu": cpu_name(), "cores": os.cpu_count(),
            "load_average_at_start": os.getloadavg(), "hmc": hmc,
            "ort_version": ort_version(), "torch_version": torch.__version__,
            "settings": settings, "threads": threads, "tolerance_rel_l2": TOLERANCE,
            "tune_budget_s": tune_budget,
            "sgemm_ceiling": {str(t): c for t, c in ceilings.items()},
            "memory_bandwidth": {str(t): b for t, b in bandwidths.items()}}
    log(f"hmc {hmc}; ONNX Runtime {meta['ort_version']} (onnxruntime-node); "
        f"PyTorch {meta['torch_version']}")
    log(f"{meta['cpu']}, {meta['cores']} cores, load average "
        f"{' '.join(f'{x:.2f}' for x in meta['load_average_at_start'])}")
    for t, c in ceilings.items():
        if c:
            log(f"ceiling: OpenBLAS sgemm {CEILING_SIZE}^3, {t} thread(s): "
                f"{c['best_gflops']:.1f} GFLOP/s ({c['kernel']} kernel)")
    for t, b in bandwidths.items():
        if b:
            log(f"ceiling: memory bandwidth (triad over 3 x {BANDWIDTH_MIB} MiB), {t} "
                f"thread(s): {b['best_gbps']:.1f} GB/s")
    log("table: median ms (p90 ms); hmc/ORT and hmc/PT are latency ratios "
        "(< 1: hmc faster); hmc GFLOP/s: the FLOPs hmc's kernels execute / hmc median "
        "(% of sgemm at that thread count)\n" + TABLE_HEADER)

    profile = args.profile == "on" or (args.profile == "auto" and not args.quick)
    if profile and 1 not in threads:
        log("per-kernel profile skipped: it runs with 1 thread, not in --threads")
        profile = False
    rows, kernel_rows, failed = [], [], False
    for name in names:
        workload = workload_table.WORKLOADS[name]
        lengths = ([int(n) for n in args.lengths.split(",")] if args.lengths else
                   list(workload.quick_lengths if args.quick else workload.lengths))
        workload_rows, workload_kernels, workload_failed = benchmark(
            workload, lengths, threads, settings, hmc, tools, ceilings, bandwidths, out, log,
            profile, tune_budget)
        rows += workload_rows
        kernel_rows += workload_kernels
        failed |= workload_failed
        add_ratios(rows)  # written after every workload, so a stopped run keeps its rows
        write_csv(rows, os.path.join(out, "results.csv"))
        if kernel_rows:
            write_csv(kernel_rows, os.path.join(out, "kernels.csv"), KERNEL_CSV_FIELDS)

    if ceilings and not args.quick:  # again at the end: the better of the two, less noise
        for t, again in measure_ceilings(sgemm, threads).items():
            if again and (not ceilings.get(t) or
                          again["best_gflops"] > ceilings[t]["best_gflops"]):
                ceilings[t] = again
        meta["sgemm_ceiling"] = {str(t): c for t, c in ceilings.items()}
        for r in rows:
            ceiling = ceilings.get(r["threads"])
            if ceiling:
                r["ceiling_gflops"] = ceiling["best_gflops"]
                if "hmc_gflops" in r:
                    r["pct_of_ceiling"] = 100.0 * r["hmc_gflops"] / ceiling["best_gflops"]
        for t, again in measure_bandwidths(bandwidth_tool, threads).items():
            if again and (not bandwidths.get(t) or
                          again["best_gbps"] > bandwidths[t]["best_gbps"]):
                bandwidths[t] = again
        meta["memory_bandwidth"] = {str(t): b for t, b in bandwidths.items()}
        for k in kernel_rows:
            roofline(k, ceilings.get(1), bandwidths.get(1))
        for t, c in ceilings.items():
            if c:
                log(f"ceiling (best of start and end): {t} thread(s): "
                    f"{c['best_gflops']:.1f} GFLOP/s")
        for t, b in bandwidths.items():
            if b:
                log(f"memory bandwidth (best of start and end): {t} thread(s): "
                    f"{b['best_gbps']:.1f} GB/s")
    add_ratios(rows)
    log("\n" + format_rows(rows))
    write_csv(rows, os.path.join(out, "results.csv"))
    growth = scaling.scaling_rows(rows)
    log("\ngrowth with the sequence length (least-squares log-log slope over the "
        "lengths; 1: linear, 2: quadratic):\n" + scaling.format_table(growth))
    scaling.write_csv(growth, os.path.join(out, "scaling.csv"))
    if kernel_rows:
        write_csv(kernel_rows, os.path.join(out, "kernels.csv"), KERNEL_CSV_FIELDS)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    try:
        plot(rows, os.path.join(out, "latency.png"), meta)
        written = "results.csv, scaling.csv, latency.png, meta.json"
    except ImportError:
        log("no plot: matplotlib is missing (scripts/setup.sh installs python3-matplotlib)")
        written = "results.csv, scaling.csv, meta.json"
    if kernel_rows:
        written += ", kernels.csv"
    log(f"\nwrote {out}/: {written}")
    if failed:
        log("FAILED: see the messages above (disagreeing outputs or engines that did not run)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
