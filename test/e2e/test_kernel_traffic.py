"""The benchmark harness's byte counts and floors (benchmarks/kernel_flops.py,
benchmarks/harness.py): a kernel's compulsory traffic on a hand-made kernel
graph whose bytes are written out below, and on the bundled HyperMixing
layer's graph against the weight sizes its blob records; then which floor
bounds a kernel."""
import json
import subprocess
import sys
from pathlib import Path

from hmc_tool import parse_driver_args

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from harness import roofline  # noqa: E402
from kernel_flops import kernel_bytes  # noqa: E402

failures = []


def expect(what, got, want):
    status = "ok" if got == want else "FAIL"
    print(f"{status}: {what}: {got} (expected {want})")
    if got != want:
        failures.append(what)


def buffer(id, dtype, shape, storage="temp"):
    return {"id": id, "name": f"b{id}", "dtype": dtype, "shape": shape, "storage": storage}


def kernel(op, inputs, outputs, **attrs):
    return {"name": f"m_k_{op}", "op": op, "attrs": attrs,
            "inputs": [{"role": role, "buffer": b} for role, b in inputs],
            "outputs": [{"role": "y", "buffer": b} for b in outputs]}


def hand_made():
    graph = {"symbols": [{"name": "B"}, {"name": "N"}],
             "buffers": [buffer(0, "int64", ["B", "N"], "input"),
                         buffer(1, "float32", [100, 8], "weight"),
                         buffer(2, "float32", ["B", "N", 8]),
                         buffer(3, "float32", ["B", 3, 8]),
                         buffer(4, "bool", ["B", "N"]),
                         buffer(5, "int64", ["N"]),
                         buffer(6, "float64", ["B", "N", 8]),
                         buffer(7, "float32", [8, 50], "weight")]}
    symbols = {"B": 2, "N": 7}
    # 14 ids of 8 bytes, 14 table rows of 32, 14 output rows of 32
    expect("gather reads the gathered rows only",
           kernel_bytes(graph, kernel("gather", [("indices", 0), ("x", 1)], [2], axis=0),
                        symbols), 14 * 8 + 14 * 32 + 14 * 32)
    expect("slice reads the slice only",
           kernel_bytes(graph, kernel("slice", [("x", 2)], [3]), symbols),
           2 * 3 * 32 * 2)
    expect("an input read twice counts once",
           kernel_bytes(graph, kernel("add", [("lhs", 2), ("rhs", 2)], [2]), symbols),
           2 * 14 * 32)
    expect("bool and float64 sizes",
           kernel_bytes(graph, kernel("cast", [("x", 4)], [6], to="float64"), symbols),
           14 * 1 + 14 * 64)
    # x and y of 14 tokens x 8 channels; the table's 8 rows of 50 positions,
    # 7 tokens from the offset 2 on: the first 9 of each row
    expect("hyper_mix reads the positions it uses of a transposed table",
           kernel_bytes(graph, kernel("hyper_mix", [("x", 2), ("positions", 7)], [2],
                                      positions_transposed=True, position_offset=2),
                        symbols), 2 * 14 * 32 + 8 * 9 * 4)
    expect("iota reads no data", kernel_bytes(
        graph, kernel("iota", [("reference", 2)], [5], axis=1), symbols), 7 * 8)


def bundled_layer(hmc):
    model = ROOT / "examples" / "hypermixing_layer" / "hypermixing_layer.onnx"
    graph = json.loads(subprocess.run([hmc, "compile", str(model), "--emit", "kernels"],
                                      check=True, capture_output=True, text=True).stdout)
    buffers = {b["id"]: b for b in graph["buffers"]}
    mix = next(k for k in graph["kernels"] if k["op"] == "hyper_mix")
    batch, tokens = 3, 37
    d = buffers[mix["inputs"][0]["buffer"]]["shape"][-1]
    weights, positions = 0, None
    for entry in mix["inputs"]:
        b = buffers[entry["buffer"]]
        if entry["role"] == "positions":
            positions = b
        elif b["storage"] == "weight":
            weights += b["bytes"]
    offset = mix["attrs"].get("position_offset", 0)
    # x [B, N, d] and y in float32, the float mask [B, N], the weights as
    # stored, and the first N (+ offset) rows of the position table
    want = (2 * batch * tokens * d * 4 + batch * tokens * 4 + weights +
            positions["bytes"] // positions["shape"][0] * (tokens + offset))
    expect("hyper_mix of the bundled layer at B=3, N=37",
           kernel_bytes(graph, mix, {"B": batch, "N": tokens}), want)


def floors():
    ceiling, bandwidth = {"best_gflops": 200.0}, {"best_gbps": 25.0}
    dense = {"time_ms": 2.0, "gflop": 0.3, "gflops": 150.0, "mbytes": 5.0, "gbps": 2.5}
    roofline(dense, ceiling, bandwidth)
    # 0.3 GFLOP at 200 GFLOP/s: 1.5 ms; 5 MB at 25 GB/s: 0.2 ms
    expect("a dense kernel is bound by compute", dense["bound"], "compute")
    expect("its roofline share", round(dense["pct_of_roofline"], 6), 75.0)
    norm = {"time_ms": 0.5, "gflop": 0.0, "gflops": None, "mbytes": 10.0, "gbps": 20.0}
    roofline(norm, ceiling, bandwidth)
    expect("a layer norm is bound by memory", norm["bound"], "memory")
    expect("its traffic floor in ms", round(norm["traffic_floor_ms"], 6), 0.4)
    expect("its share of the bandwidth", round(norm["pct_of_bandwidth"], 6), 80.0)


def main():
    args = parse_driver_args(__doc__)
    hand_made()
    bundled_layer(args.hmc)
    floors()
    if failures:
        sys.exit(f"FAIL: {len(failures)} check(s): {', '.join(failures)}")
    print("all traffic checks passed")


if __name__ == "__main__":
    main()
