"""Per-kernel time of an hmc library on one thread: by sampling (Linux perf),
or without perf from the library's own profile (HMC_PROFILE).

The kernels of a generated library keep their local symbols
(`<model>_k<index>_<op>` and the `..._par_for_...` task bodies Halide makes
of them), so `perf record` on one hmc_bench process attributes CPU samples
to kernels. hmc_bench enables the events for its timed runs only: the first
runs touch the outputs and temporaries for the first time (page faults,
which a virtual machine's host charges to whatever instruction was running:
a 30 MB output made the CTC head's log_softmax look three times slower) and
write the .npy files. With one thread, CPU time is wall time: a kernel's
time per run is its sampled CPU time over the number of timed runs, and
"other" is the rest of the median run (the hmc runtime, libc, memory
traffic between kernels). Sampling itself slows the process (each sample is
an interrupt; in a virtual machine, 4000 samples a second made runs 27%
slower), so kernel times are scaled by the unprofiled median over the
profiled one.

Without perf, the library times each kernel call with the clock
(HMC_PROFILE: its runs after the first, the agreement and warm-up runs
among them) and prints the times when the handle is destroyed; nothing
outside the kernels is named then.

The FLOPs and the compulsory bytes of each kernel come from the kernel graph
(kernel_flops.py), which gives each kernel's achieved GFLOP/s and GB/s.
"""
import os
import re
import shutil
import subprocess

from kernel_flops import gemm_shape, kernel_bytes, kernel_flops

_LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(\S+)")
_LIBRARY_LINE = re.compile(r"^\s*[\d.]+%\s+([\d.]+)\s+(\S+)$")
_LIBRARY_HEADER = re.compile(r"^hmc profile: .*: \d+ runs, ([\d.]+) ms per run")
_EVENTS = re.compile(r"^# Event count \(approx\.\): (\d+)", re.MULTILINE)


# Enough samples for a run of a few seconds, few enough to keep the
# interrupts' cost a few percent.
SAMPLES_PER_S = 1000


def available():
    return shutil.which("perf") is not None


def sample(command, work, env=None):
    """Runs hmc_bench `command` under perf record, sampling its timed runs
    only (it enables and disables the events through perf's control FIFOs,
    HMC_BENCH_PERF_CONTROL); returns ({symbol: share of the samples}, sampled
    CPU time in ns, the command's stdout)."""
    data = os.path.join(work, "perf.data")
    ctl, ack = os.path.join(work, "perf-ctl.fifo"), os.path.join(work, "perf-ack.fifo")
    for fifo in (ctl, ack):
        if os.path.exists(fifo):
            os.remove(fifo)
        os.mkfifo(fifo)
    # Held open so that perf's opening of the FIFOs never waits for hmc_bench.
    held = [os.open(ctl, os.O_RDWR), os.open(ack, os.O_RDWR)]
    try:
        record = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F",
                                 str(SAMPLES_PER_S), "-D", "-1", "--control",
                                 f"fifo:{ctl},{ack}", "-o", data, "--"] + command,
                                capture_output=True, text=True,
                                env=dict(env or os.environ,
                                         HMC_BENCH_PERF_CONTROL=f"{ctl},{ack}"))
    finally:
        for fd in held:
            os.close(fd)
        for fifo in (ctl, ack):
            os.remove(fifo)
    if record.returncode != 0:
        raise RuntimeError(f"perf record failed: {record.stderr.strip()[:200]}")
    report = subprocess.run(["perf", "report", "-i", data, "--stdio", "--sort", "dso,sym"],
                            capture_output=True, text=True)
    os.remove(data)
    if report.returncode != 0:
        raise RuntimeError(f"perf report failed: {report.stderr.strip()[:200]}")
    shares = {}
    for line in report.stdout.splitlines():
        match = _LINE.match(line)
        if match:
            symbol = match.group(3)
            shares[symbol] = shares.get(symbol, 0.0) + float(match.group(1)) / 100.0
    events = _EVENTS.search(report.stdout)
    if not events:
        raise RuntimeError("perf report printed no event count")
    return shares, int(events.group(1)), record.stdout


def library_profile(command, env):
    """Runs hmc_bench `command` with HMC_PROFILE set; returns ({kernel symbol:
    ms per run, its call sites added up}, the profiled runs' mean in ms, the
    command's stdout)."""
    result = subprocess.run(command, capture_output=True, text=True,
                            env=dict(env, HMC_PROFILE="1"))
    if result.returncode != 0:
        raise RuntimeError(f"hmc_bench failed: {result.stderr.strip()[:200]}")
    times, run_ms = {}, None
    for line in result.stderr.splitlines():
        header = _LIBRARY_HEADER.match(line)
        if header:
            run_ms = float(header.group(1))
        match = _LIBRARY_LINE.match(line)
        if match:
            times[match.group(2)] = times.get(match.group(2), 0.0) + float(match.group(1))
    if not times or run_ms is None:
        raise RuntimeError("the library printed no profile")
    return times, run_ms, result.stdout


def kernel_times(graph, symbol_ms, median_ms, n):
    """One entry per compiled kernel (calls of one kernel, e.g. the same layer
    L times, add up) plus "other": time per run (ms), share of the median run,
    calls, executed GFLOP and GFLOP/s, compulsory MB and GB/s. `symbol_ms`
    holds each symbol's time per run (a kernel's own or its task bodies'),
    `median_ms` is the unprofiled median."""
    kernels = {}
    for call in graph["kernels"]:
        entry = kernels.setdefault(call["name"], {"kernel": call["name"], "op": call["op"],
                                                  "calls": 0, "flops": 0, "bytes": 0,
                                                  "gemm": gemm_shape(graph, call, {"B": 1, "N": n})})
        entry["calls"] += 1
        entry["flops"] += sum(kernel_flops(dict(graph, kernels=[call]),
                                           {"B": 1, "N": n}).values())
        entry["bytes"] += kernel_bytes(graph, call, {"B": 1, "N": n})
    sampled = {name: 0.0 for name in kernels}
    outside = {}
    for symbol, ms in symbol_ms.items():
        owner = next((name for name in kernels
                      if symbol == name or symbol.startswith(name + "_")), None)
        if owner is not None:
            sampled[owner] += ms
        else:
            outside[symbol] = ms
    rows = []
    for name, entry in kernels.items():
        time_ms = sampled[name]
        flops, moved = entry.pop("flops"), entry.pop("bytes")
        entry.update(share=time_ms / median_ms, time_ms=time_ms, gflop=flops / 1e9,
                     gflops=flops / (time_ms * 1e-3) / 1e9 if time_ms > 0 and flops else None,
                     mbytes=moved / 1e6,
                     gbps=moved / (time_ms * 1e-3) / 1e9 if time_ms > 0 and moved else None)
        rows.append(entry)
    rest = max(0.0, median_ms - sum(r["time_ms"] for r in rows))
    rows.append({"kernel": "other", "op": "other", "calls": 0, "share": rest / median_ms,
                 "time_ms": rest, "gflop": 0.0, "gflops": None, "mbytes": 0.0, "gbps": None})
    for symbol, time_ms in sorted(outside.items(), key=lambda item: -item[1])[:3]:
        rows.append({"kernel": f"other: {symbol}", "op": "other (top symbols)", "calls": 0,
                     "share": time_ms / median_ms, "time_ms": time_ms, "gflop": 0.0,
                     "gflops": None, "mbytes": 0.0, "gbps": None})
    return rows


def by_op(rows):
    """Kernels grouped by op: share, time, GFLOP/s and GB/s of each op class."""
    groups = {}
    for r in rows:
        if r["kernel"].startswith("other: "):
            continue
        g = groups.setdefault(r["op"], {"op": r["op"], "share": 0.0, "time_ms": 0.0,
                                        "gflop": 0.0, "mbytes": 0.0, "kernels": 0})
        g["share"] += r["share"]
        g["time_ms"] += r["time_ms"]
        g["gflop"] += r["gflop"]
        g["mbytes"] += r["mbytes"]
        g["kernels"] += 1
    for g in groups.values():
        g["gflops"] = (g["gflop"] / (g["time_ms"] * 1e-3) if g["time_ms"] > 0 and g["gflop"]
                       else None)
        g["gbps"] = (g["mbytes"] / (g["time_ms"] * 1e-3) / 1e3 if g["time_ms"] > 0 and g["mbytes"]
                     else None)
    return sorted(groups.values(), key=lambda g: -g["share"])
