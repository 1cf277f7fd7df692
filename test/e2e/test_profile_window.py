"""The benchmark harness's per-kernel profiles (benchmarks/kernel_profile.py)
on the bundled HyperMixing layer, 40000 untimed warm-up runs and then 4000
timed ones in hmc_bench.

Without perf, from the library's HMC_PROFILE: both kernels of the layer are
timed, and their times add up to about a run.

With perf, only the timed runs are sampled (hmc_bench.c with perf's control
FIFOs): the CPU time perf sampled must be about the timed runs' time, far
from the warm-up's ten times as much, most of it in the layer's kernels.
Exits 77 (skipped) after the first part where perf is missing or may not
sample this process (perf_event_paranoid)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from hmc_tool import parse_driver_args

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import kernel_profile  # noqa: E402

LAYER = ROOT / "examples" / "hypermixing_layer"
KERNELS = {"hypermixing_layer_k0_elementwise", "hypermixing_layer_k1_hyper_mix"}
WARMUP, TIMED = 40000, 4000


def bench_command(hmc, work):
    bench = work / "hmc_bench"
    subprocess.run(["cc", "-std=c11", "-O2", "-o", str(bench),
                    str(ROOT / "benchmarks" / "hmc_bench.c"),
                    "-I", str(ROOT / "runtime" / "include"), "-ldl"], check=True)
    subprocess.run([hmc, "compile", str(LAYER / "hypermixing_layer.onnx"),
                    "-o", str(work / "lib")], check=True)
    for name in ("x", "mask"):
        shutil.copy(LAYER / f"{name}.npy", work / "inputs" / "set0" / f"{name}.npy")
    return [str(bench), str(work / "lib" / "libhypermixing_layer.so"),
            str(work / "inputs"), "1", "1", str(WARMUP), str(TIMED), str(TIMED), "0",
            str(work / "out")]


def library_profile(command):
    times, run_ms, _ = kernel_profile.library_profile(command, dict(os.environ))
    print(f"HMC_PROFILE: {times}; {run_ms:.4f} ms per run")
    failures = []
    if set(times) != KERNELS:
        failures.append(f"HMC_PROFILE named {sorted(times)}, expected {sorted(KERNELS)}")
    if not 0.5 * run_ms <= sum(times.values()) <= run_ms:
        failures.append(f"HMC_PROFILE's kernel times add up to {sum(times.values()):.4f} ms "
                        f"per run, of {run_ms:.4f} ms")
    return failures


def sampled_window(command, work):
    shares, sampled_ns, stdout = kernel_profile.sample(command, str(work))
    times = json.loads(stdout.strip().splitlines()[-1])["times_ms"]
    timed_ms, sampled_ms = sum(times), sampled_ns / 1e6
    in_kernels = sum(share for symbol, share in shares.items()
                     if symbol.startswith("hypermixing_layer_k"))
    print(f"{len(times)} timed runs: {timed_ms:.1f} ms; sampled CPU time {sampled_ms:.1f} ms "
          f"({100 * in_kernels:.0f}% in the layer's kernels); "
          f"{WARMUP} warm-up runs before them")
    failures = []
    if len(times) != TIMED:
        failures.append(f"{len(times)} timed runs, expected {TIMED}")
    # The warm-up alone would add about WARMUP / TIMED times the timed runs'
    # time.
    if not sampled_ms <= 2 * timed_ms + 10:
        failures.append(f"sampled {sampled_ms:.1f} ms, more than the timed runs' "
                        f"{timed_ms:.1f} ms: the warm-up was sampled")
    if not in_kernels >= 0.5:
        failures.append(f"only {100 * in_kernels:.0f}% of the samples in the kernels")
    return failures


def main():
    args = parse_driver_args(__doc__)
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    (work / "inputs" / "set0").mkdir(parents=True)
    command = bench_command(args.hmc, work)
    failures = library_profile(command)
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    probe = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-o",
                            str(work / "probe.data"), "--", "true"],
                           capture_output=True) if kernel_profile.available() else None
    if probe is None or probe.returncode != 0:
        print("SKIP (perf part): perf is missing or may not sample here")
        sys.exit(77)
    failures = sampled_window(command, work)
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    print("both profiles pass; perf sampled the timed runs only")


if __name__ == "__main__":
    main()
