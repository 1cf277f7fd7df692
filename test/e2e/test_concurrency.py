#!/usr/bin/python3
"""Threads, determinism and reproducible builds of generated libraries:

  /usr/bin/python3 test/e2e/test_concurrency.py --hmc build/bin/hmc --work DIR
        [--threads 8] [--runs 200]

(i)   THREADS threads x RUNS runs, each thread on its own handle: every output
      is bit-identical to the serial run of the same input.
(ii)  THREADS threads x RUNS runs on one shared handle: each call either
      succeeds with the serial output or is refused with BUSY and a message
      (docs/c-api.md); nothing else, and at least one call succeeds.
(iii) Determinism: the same input gives bit-identical outputs on every run and
      with 1, 2 and 3 threads per handle, for the example layer and the NLU
      classifier (reductions over the sequence).
(iv)  Compiling the same model twice, into different folders, gives
      byte-identical libraries and headers (embedded and external weights).
ctypes releases the GIL during each library call, so the calls really overlap.
Exits 1 on any failure.
"""
import filecmp
import os
import subprocess
import sys
import threading

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
from hmc_library import HmcError, Library  # noqa: E402
from hmc_tool import parse_driver_args  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def compile_model(hmc, model, out, *extra):
    subprocess.run([hmc, "compile", model, "-o", out, *extra], check=True)


def layer_inputs():
    """Three inputs of different shapes, so that runs also regrow the arena."""
    ex = os.path.join(ROOT, "examples", "hypermixing_layer")
    x, mask = np.load(os.path.join(ex, "x.npy")), np.load(os.path.join(ex, "mask.npy"))
    rng = np.random.default_rng(5)
    inputs = [dict(x=x, mask=mask)]
    for b, n in ((1, 7), (3, 90)):
        m = np.zeros((b, n), bool)
        m[0, n // 2:] = True
        inputs.append(dict(x=rng.standard_normal((b, n, 64)).astype(np.float32), mask=m))
    return inputs


def run_threads(n, body):
    errors = []

    def wrap(i):
        try:
            body(i)
        except Exception as e:  # reported below, the other threads go on
            errors.append(f"thread {i}: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=wrap, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def separate_handles(lib, inputs, expected, args):
    mismatches = [0] * args.threads

    def body(i):
        with lib.create(num_threads=1) as model:
            for r in range(args.runs):
                k = (i + r) % len(inputs)
                if not np.array_equal(model.run(**inputs[k])["y"], expected[k]):
                    mismatches[i] += 1

    errors = run_threads(args.threads, body)
    check(not errors, f"{args.threads} threads x {args.runs} runs on separate handles: "
          "no errors" + ("" if not errors else f" ({errors[:3]})"))
    check(sum(mismatches) == 0, f"  every output bit-identical to the serial run "
          f"({sum(mismatches)} mismatches)")


def shared_handle(lib, inputs, expected, args):
    counts = {"ok": 0, "busy": 0, "mismatch": 0, "other": []}
    lock = threading.Lock()
    with lib.create(num_threads=1) as model:
        def body(i):
            for r in range(args.runs):
                k = (i + r) % len(inputs)
                try:
                    y = model.run(**inputs[k])["y"]
                    result = "ok" if np.array_equal(y, expected[k]) else "mismatch"
                except HmcError as e:
                    # A refusal must say why (last_error on the refused thread).
                    result = "busy" if e.status == "BUSY" and "in use" in str(e) else str(e)
                with lock:
                    if result in counts:
                        counts[result] += 1
                    else:
                        counts["other"].append(result)

        errors = run_threads(args.threads, body)
        # The handle is still usable once the threads are done.
        y = model.run(**inputs[0])["y"]
    total = args.threads * args.runs
    print(f"      shared handle: {counts['ok']} succeeded, {counts['busy']} refused BUSY "
          f"of {total}")
    check(not errors and not counts["other"],
          f"{args.threads} threads x {args.runs} runs on one handle: only OK or BUSY"
          + ("" if not errors and not counts["other"]
             else f" ({(errors + counts['other'])[:3]})"))
    check(counts["mismatch"] == 0, f"  no corrupt output ({counts['mismatch']} mismatches)")
    check(counts["ok"] > 0, "  some runs succeed")
    check(np.array_equal(y, expected[0]), "  a serial run afterwards matches")


def thread_counts(lib, inputs, what):
    outputs = {}
    for threads in (1, 2, 3):
        with lib.create(num_threads=threads) as model:
            runs = [model.run_named(a) for a in inputs for _ in range(3)]
        outputs[threads] = runs
    base = outputs[1]
    same_runs = all(all(np.array_equal(base[3 * k][n], base[3 * k + j][n]) for n in base[0])
                    for k in range(len(inputs)) for j in (1, 2))
    check(same_runs, f"{what}: repeated runs bit-identical")
    for threads in (2, 3):
        same = all(np.array_equal(a[n], b[n]) for a, b in zip(base, outputs[threads])
                   for n in a)
        check(same, f"{what}: {threads} threads bit-identical to 1 thread")


def nlu_inputs(lib):
    rng = np.random.default_rng(9)
    inputs = []
    for b, n in ((1, 5), (4, 33)):
        arrays = {}
        for info in lib.inputs:
            if info.dtype.kind in "iu":
                arrays[info.name] = rng.integers(1, 50, (b, n)).astype(info.dtype)
            elif info.dtype.kind == "b":
                arrays[info.name] = np.ones((b, n), bool)
            else:
                arrays[info.name] = np.ones((b, n), info.dtype)
        inputs.append(arrays)
    return inputs


def reproducible(hmc, model, work, label, *extra):
    outs = [os.path.join(work, f"repro_{label}_{i}") for i in (1, 2)]
    for out in outs:
        compile_model(hmc, model, out, *extra)
    files = sorted(os.listdir(outs[0]))
    lib = os.path.join(outs[0], next(f for f in files if f.endswith(".so")))
    if "libasan" in subprocess.run(["ldd", lib], capture_output=True, text=True).stdout:
        # ASan records each object's source path, hmc's temporary folder
        # (docs/testing.md): sanitized libraries differ build to build.
        print(f"skip  compiling {os.path.basename(model)} twice ({label}): sanitized build")
        return
    same = files == sorted(os.listdir(outs[1])) and all(
        filecmp.cmp(os.path.join(outs[0], f), os.path.join(outs[1], f), shallow=False)
        for f in files)
    check(same, f"compiling {os.path.basename(model)} twice ({label}): byte-identical "
          f"{', '.join(files)}")


def main():
    def arguments(ap):
        ap.add_argument("--threads", type=int, default=8)
        ap.add_argument("--runs", type=int, default=200)

    args = parse_driver_args(__doc__, arguments)
    os.makedirs(args.work, exist_ok=True)
    layer = os.path.join(ROOT, "examples", "hypermixing_layer", "hypermixing_layer.onnx")
    nlu = os.path.join(ROOT, "examples", "nlu_classify", "nlu_classifier.onnx")
    compile_model(args.hmc, layer, os.path.join(args.work, "layer"))
    compile_model(args.hmc, nlu, os.path.join(args.work, "nlu"))
    lib = Library(os.path.join(args.work, "layer", "libhypermixing_layer.so"))
    inputs = layer_inputs()
    with lib.create(num_threads=1) as model:
        expected = [model.run(**a)["y"] for a in inputs]

    separate_handles(lib, inputs, expected, args)
    shared_handle(lib, inputs, expected, args)
    thread_counts(lib, inputs, "hypermixing layer")
    nlu_lib = Library(os.path.join(args.work, "nlu", f"lib{os.path.basename(nlu)[:-5]}.so"))
    thread_counts(nlu_lib, nlu_inputs(nlu_lib), "NLU classifier")
    reproducible(args.hmc, layer, args.work, "embedded")
    reproducible(args.hmc, layer, args.work, "external", "--weight-storage", "external")

    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) FAILED")
        return 1
    print("\nall concurrency and determinism checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
