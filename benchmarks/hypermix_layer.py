#!/usr/bin/python3
"""Latency of one HyperMixing layer: the hmc library against PyTorch eager.

  /usr/bin/python3 benchmarks/hypermix_layer.py --hmc build/bin/hmc [--out DIR]

Exports the HyperConformer "8M" layer (d=144, k=576, 8 heads, masked, opset 17)
and the HyperMixer-style single-head layer (d=256, k=512), compiles each with
hmc, and times batch-1 runs at several lengths with 1 and 2 threads: hmc via
`hmc run --repeat` (median of the run calls), PyTorch eager via
torch.set_num_threads and the median of as many forward calls after warm-up.
Outputs are checked to agree before timing. Prints PyTorch's own sgemm rate
first (Debian's torch links a generic BLAS, which explains much of its
latency), then a table, and writes DIR/hypermix_layer.csv. ONNX Runtime joins
these comparisons with the benchmark harness.
"""
import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
import export_models  # noqa: E402
import hypermixing_models as hm  # noqa: E402

LAYERS = {
    "hyperconformer_8M_layer": dict(impl="a", d=144, k=576, heads=8, mask=True,
                                    max_len=4096, seed=1, opset=17),
    "hypermixer_d256_layer": dict(impl="b", d=256, k=512, hidden=256, mask=True,
                                  max_len=4096, seed=2, opset=17),
}


def torch_median_ms(module, args, repeat):
    with torch.no_grad():
        for _ in range(3):
            module(*args)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            module(*args)
            times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times))


def torch_sgemm_gflops(threads, size=1024):
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    start = time.perf_counter()
    for _ in range(5):
        a @ b
    return 2 * size**3 * 5 / (time.perf_counter() - start) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hmc", required=True)
    parser.add_argument("--out", default="benchmarks/results")
    parser.add_argument("--lengths", default="256,1024,4096")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    lengths = [int(n) for n in args.lengths.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    os.makedirs(args.out, exist_ok=True)
    for t in threads:
        print(f"torch sgemm 1024^3, {t} thread(s): {torch_sgemm_gflops(t):.1f} GFLOP/s")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for name, config in LAYERS.items():
            onnx_path = os.path.join(work, name + ".onnx")
            module = export_models.export(config, onnx_path)
            libdir = os.path.join(work, name)
            subprocess.run([args.hmc, "compile", onnx_path, "-o", libdir], check=True)
            lib = os.path.join(libdir, f"lib{name}.so")
            for n in lengths:
                rng = np.random.default_rng(n)
                x = rng.standard_normal((1, n, config["d"])).astype(np.float32)
                mask = hm.make_mask(config, [n], n)
                np.save(os.path.join(work, "x.npy"), x)
                np.save(os.path.join(work, "mask.npy"), mask)
                torch_args = (torch.from_numpy(x), torch.from_numpy(mask))
                for t in threads:
                    run = subprocess.run(
                        [args.hmc, "run", lib, "--input", f"x={work}/x.npy",
                         "--input", f"mask={work}/mask.npy", "--output-dir", work,
                         "--repeat", str(args.repeat), "--threads", str(t)],
                        check=True, capture_output=True, text=True)
                    hmc_ms = float(re.search(r"median_ms: ([0-9.]+)", run.stdout).group(1))
                    y = np.load(os.path.join(work, "y.npy"))
                    torch.set_num_threads(t)
                    with torch.no_grad():
                        ref = module(*torch_args).numpy()
                    err = np.linalg.norm(y - ref) / np.linalg.norm(ref)
                    if err > 1e-4:
                        sys.exit(f"{name} N={n}: outputs disagree (relative error {err:.2e})")
                    torch_ms = torch_median_ms(module, torch_args, args.repeat)
                    rows.append(dict(layer=name, N=n, threads=t, hmc_ms=round(hmc_ms, 4),
                                     torch_ms=round(torch_ms, 4),
                                     speedup_vs_torch=round(torch_ms / hmc_ms, 2)))
                    print(f"{name:26s} N={n:5d} threads={t}  hmc {hmc_ms:9.3f} ms  "
                          f"torch {torch_ms:9.3f} ms  x{torch_ms / hmc_ms:6.2f}", flush=True)
    path = os.path.join(args.out, "hypermix_layer.csv")
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print("wrote", path)


if __name__ == "__main__":
    main()
