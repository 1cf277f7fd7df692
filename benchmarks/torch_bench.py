#!/usr/bin/python3
"""Times one workload's PyTorch module in eager mode: the PyTorch engine of the
benchmark harness (run with /usr/bin/python3, Debian's python3-torch).

  torch_bench.py WORKLOAD STATE.pt INPUT_DIR NUM_SETS THREADS WARMUP MIN_ITERS
                 MAX_ITERS BUDGET_S OUTPUT_DIR

Same protocol as hmc_bench.c: builds the workload's module, loads the exact
weights the ONNX file was exported from (STATE.pt), float32, torch.no_grad,
torch.set_num_threads(THREADS) and one inter-op thread; input set i is
INPUT_DIR/set<i>/<name>.npy; every set runs once and its outputs go to
OUTPUT_DIR/set<i>/<name>.npy; WARMUP untimed runs follow; timed runs cycle
through the sets until MIN_ITERS runs and BUDGET_S seconds are done (at most
MAX_ITERS). Prints one JSON object on stdout.
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402


def status_kib(field):
    """A field of /proc/self/status (VmRSS, VmHWM) in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def main(argv):
    if len(argv) != 10:
        sys.exit(__doc__)
    name, state_path, input_dir = argv[0], argv[1], argv[2]
    num_sets, threads, warmup, min_iters, max_iters = (int(a) for a in argv[3:8])
    budget_s, output_dir = float(argv[8]), argv[9]
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    workload = workloads.WORKLOADS[name]

    names = list(workload.make_inputs(1, 0))  # argument order of the module
    sets = []
    for s in range(num_sets):
        arrays = [np.load(os.path.join(input_dir, f"set{s}", f"{n}.npy")) for n in names]
        sets.append([torch.from_numpy(a) for a in arrays])
    base_rss = status_kib("VmRSS")

    module = workload.build()
    module.load_state_dict(torch.load(state_path))
    module = module.float().eval()
    output_name = workload.output
    with torch.no_grad():
        for s in range(num_sets):
            os.makedirs(os.path.join(output_dir, f"set{s}"), exist_ok=True)
            out = module(*sets[s]).numpy()
            np.save(os.path.join(output_dir, f"set{s}", f"{output_name}.npy"), out)
        for w in range(warmup):
            module(*sets[w % num_sets])
        times = []
        start_all = time.perf_counter()
        while len(times) < max_iters and (len(times) < min_iters or
                                          time.perf_counter() - start_all < budget_s):
            args = sets[len(times) % num_sets]
            start = time.perf_counter()
            module(*args)
            times.append((time.perf_counter() - start) * 1e3)
    print(json.dumps({"engine": "torch", "threads": threads,
                      "torch_version": torch.__version__, "base_rss_kib": base_rss,
                      "peak_rss_kib": status_kib("VmHWM"), "times_ms": times}))


if __name__ == "__main__":
    main(sys.argv[1:])
