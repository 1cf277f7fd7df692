"""hmc CUDA libraries against PyTorch eager on the same GPU.

  bench_gpu.py --hmc HMC --target TARGET --work DIR [--workloads a,b]
               [--lengths 500,2000] [--repeat 50] [--warmup 5]

For each workload of benchmarks/workloads.py: the seeded module is exported
to ONNX and compiled with `hmc compile --target TARGET`; at each length the
hmc library through NAME_run (host arrays in and out, so its times include
the copies to and from the device; weights stay on the device) and through
NAME_run_device (torch CUDA tensors in and out, no copies), and the module
on the GPU (torch.no_grad, float32 without TF32, inputs already on the
device) each run
`warmup` untimed and `repeat` timed runs, synchronised; the outputs must
agree (relative L2 <= 1e-3, float32 against float32 on the GPU). Prints one
line per (workload, length) with the medians and hmc / torch, and writes
DIR/results.csv. Exits 1 when an output disagrees or a step fails.

Run with a Python that has a CUDA build of torch, onnx and numpy.
"""
import argparse
import ctypes
import csv
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import workloads  # noqa: E402 (puts test/e2e on the path)
from hmc_tool import rel_l2  # noqa: E402
import hmc_library  # noqa: E402
from hmc_library import Library  # noqa: E402

DEFAULT_WORKLOADS = "nlu_small,nlu_base,hyperconformer_8m"


def median_ms(fn, warmup, repeat, sync):
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def device_runner(library, model, inputs, expected, device):
    """NAME_run_device on torch CUDA tensors (device 0's primary context, the
    one the library uses): returns (run, outputs)."""
    fn = getattr(library._dll, f"{library.name}_run_device")
    fn.restype = ctypes.c_int
    codes = {np.dtype(v): k for k, v in hmc_library.DTYPES.items()}
    held = []

    def tensors(infos, arrays):
        slots = (hmc_library._Tensor * len(infos))()
        for slot, info, a in zip(slots, infos, arrays):
            t = (torch.from_numpy(np.ascontiguousarray(a.astype(info.dtype)))
                 if isinstance(a, np.ndarray) else a).to(device).contiguous()
            held.append(t)
            slot.name = info.name.encode()
            slot.dtype = codes[np.dtype(info.dtype)]
            slot.rank = t.dim()
            slot.shape[:t.dim()] = list(t.shape)
            slot.data = t.data_ptr()
            slot.size_bytes = t.numel() * t.element_size()
        return slots

    ins = tensors(library.inputs, [inputs[i.name] for i in library.inputs])
    outs = tensors(library.outputs, [torch.empty(tuple(expected.shape),
                                                 dtype=torch.float32)])

    def run(held=held):  # the tensors live as long as run
        status = fn(model._handle, ins, len(ins), outs, len(outs))
        if status:
            message = library._desc.last_error(model._handle)
            raise hmc_library.HmcError(status, message.decode() if message else "")
    return run, held[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hmc", required=True)
    ap.add_argument("--target", default="host-cuda-cuda_capability_86")
    ap.add_argument("--work", required=True)
    ap.add_argument("--workloads", default=DEFAULT_WORKLOADS)
    ap.add_argument("--lengths", help="override every workload's lengths")
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        sys.exit("bench_gpu.py: torch sees no CUDA device")
    device = torch.device("cuda")
    # Plain float32 like hmc's kernels (PyTorch would use TF32 for
    # convolutions by default on Ampere and newer).
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    print(f"GPU: {torch.cuda.get_device_name(0)}; torch {torch.__version__}; "
          f"hmc target {args.target}", flush=True)
    os.makedirs(args.work, exist_ok=True)
    rows, failed = [], False
    for name in args.workloads.split(","):
        w = workloads.WORKLOADS[name]
        module = w.build().float().eval()
        onnx_path = os.path.join(args.work, f"{name}.onnx")
        w.export(module, onnx_path)
        out_dir = os.path.join(args.work, name)
        subprocess.run([args.hmc, "compile", onnx_path, "--target", args.target,
                        "-o", out_dir], check=True)
        lib_path = [os.path.join(out_dir, f) for f in os.listdir(out_dir)
                    if f.startswith("lib") and f.endswith(".so")][0]
        library = Library(lib_path)
        model = library.create()
        gpu_module = module.to(device)
        lengths = ([int(n) for n in args.lengths.split(",")] if args.lengths
                   else list(w.lengths))
        for n in lengths:
            inputs = w.make_inputs(n, 0)
            tensors = [torch.from_numpy(np.ascontiguousarray(a)).to(device)
                       for a in inputs.values()]
            with torch.no_grad():
                expected = gpu_module(*tensors).float().cpu().numpy()
                actual = model.run_named(inputs)[w.output]
                error = rel_l2(actual, expected)
                hmc_ms = median_ms(lambda: model.run_named(inputs), args.warmup,
                                   args.repeat, lambda: None)
                run_device, device_out = device_runner(library, model, inputs,
                                                       expected, device)
                run_device()
                device_error = rel_l2(device_out.cpu().numpy(), expected)
                device_ms = median_ms(run_device, args.warmup, args.repeat,
                                      torch.cuda.synchronize)
                torch_ms = median_ms(lambda: gpu_module(*tensors), args.warmup,
                                     args.repeat, torch.cuda.synchronize)
            ok = max(error, device_error) <= 1e-3
            failed |= not ok
            print(f"{name:20s} n={n:6d}  hmc {hmc_ms:9.3f} ms (device I/O "
                  f"{device_ms:9.3f} ms)  torch {torch_ms:9.3f} ms  hmc/torch "
                  f"{hmc_ms / torch_ms:6.2f} ({device_ms / torch_ms:6.2f})"
                  f"  rel_l2 {max(error, device_error):.2e}"
                  f"{'' if ok else '  DISAGREE'}", flush=True)
            rows.append([name, n, f"{hmc_ms:.4f}", f"{device_ms:.4f}",
                         f"{torch_ms:.4f}", f"{hmc_ms / torch_ms:.4f}",
                         f"{device_ms / torch_ms:.4f}",
                         f"{max(error, device_error):.3e}"])
        model.close()
    with open(os.path.join(args.work, "results.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["workload", "length", "hmc_ms", "hmc_device_io_ms", "torch_ms",
                         "hmc_over_torch", "hmc_device_io_over_torch", "rel_l2"])
        writer.writerows(rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
