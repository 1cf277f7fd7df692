#!/usr/bin/python3
"""A stand-in for `hmc` with the same CLI, used only to test the e2e drivers themselves.

  fake_hmc.py compile MODEL.onnx -o OUTDIR [--name NAME]
  fake_hmc.py run OUTDIR/libNAME.so --input NAME=FILE.npy ... --output-dir DIR [--repeat K]

`compile` validates the model and copies it to OUTDIR/libNAME.so (not a real shared library)
plus a placeholder NAME.h; `run` evaluates that ONNX graph in float32 with onnx_eval.py.
Unsupported ops produce one diagnostic listing every unsupported op type with its node names
and the opset; unreadable files a message naming the file. Never used by the real tests.
"""
import argparse
import collections
import os
import shutil
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SUPPORTED = {"Constant", "Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Reshape",
             "Transpose", "Slice", "Range", "Cast", "Not", "Add", "Sub", "Mul", "Div", "Pow",
             "Sqrt", "Erf", "MatMul", "Einsum", "ReduceMean", "LayerNormalization",
             "Identity"}


def compile_cmd(a):
    import onnx
    try:
        model = onnx.load(a.model)
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001
        print(f"hmc: error: {a.model}: not a valid ONNX model ({type(e).__name__})",
              file=sys.stderr)
        return 1
    bad = collections.defaultdict(list)
    for n in model.graph.node:
        if n.op_type not in SUPPORTED:
            bad[n.op_type].append(n.name or "<unnamed>")
    if bad:
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                     "?")
        items = "; ".join(f"{t} (nodes: {', '.join(v)})" for t, v in sorted(bad.items()))
        print(f"hmc: error: {a.model}: unsupported ONNX operators at opset {opset}: {items}",
              file=sys.stderr)
        return 1
    name = a.name or os.path.splitext(os.path.basename(a.model))[0]
    os.makedirs(a.o, exist_ok=True)
    shutil.copyfile(a.model, os.path.join(a.o, f"lib{name}.so"))
    with open(os.path.join(a.o, f"{name}.h"), "w") as f:
        f.write(f"/* fake header for {name} */\n")
    return 0


def run_cmd(a):
    import onnx
    import onnx_eval
    model = onnx.load(a.lib)
    feeds = {}
    for spec in a.input:
        k, v = spec.split("=", 1)
        feeds[k] = np.load(v)
    times = []
    for _ in range(max(1, a.repeat)):
        t0 = time.perf_counter()
        outs = onnx_eval.run(model, feeds, float_dtype=np.float32)
        times.append((time.perf_counter() - t0) * 1e3)
    os.makedirs(a.output_dir, exist_ok=True)
    for k, v in outs.items():
        np.save(os.path.join(a.output_dir, f"{k}.npy"), np.asarray(v, dtype=np.float32))
    if a.repeat:
        print(f"median_ms: {float(np.median(times)):.4f}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("compile")
    c.add_argument("model")
    c.add_argument("-o", required=True)
    c.add_argument("--name")
    r = sub.add_parser("run")
    r.add_argument("lib")
    r.add_argument("--input", action="append", default=[])
    r.add_argument("--output-dir", required=True)
    r.add_argument("--repeat", type=int, default=0)
    a = ap.parse_args()
    return compile_cmd(a) if a.cmd == "compile" else run_cmd(a)


if __name__ == "__main__":
    sys.exit(main())
