#!/usr/bin/python3
"""Export the HyperMixing reference configurations to ONNX (torch.onnx.export).

  /usr/bin/python3 test/e2e/export_models.py --out DIR [--models a_h8,b_mask] [--opsets 14,17]

writes DIR/<config>_op<opset>.onnx for every configuration in hypermixing_models.CONFIGS and
both opsets, prints the node-type counts of each, and writes the full node lists (op_type,
name, inputs, outputs, attributes) of a_h8_op17 (Einsum, h=8) and b_mask_op14 (MatMul,
decomposed LayerNorm) to DIR/<model>.nodes.txt.

Exports: named inputs "x" [B,N,d] float32 and (when the config has a mask) "mask" [B,N]
(bool, True = padded, for impl a; float32, 1 = real token, for impl b); output "y" [B,N,d];
batch and sequence are dynamic (dim_param "B" and "N") on every input and the output;
do_constant_folding=True.
"""
import argparse
import collections
import io
import os
import sys
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hypermixing_models as hm  # noqa: E402
import onnx_upgrade  # noqa: E402

NODE_LIST_MODELS = ("a_h8_op17", "b_mask_op14")


def export(config, path, module=None):
    """Export one configuration (a CONFIGS entry plus "opset") to `path`; returns the seeded
    float32 torch module the export was made from (use it for the float64 reference).
    Optional keys: "dynamic" (default True: batch and sequence are dynamic axes),
    "constant_folding" (default True), to reproduce other exporters' settings, and
    "mask_input" ("b1n": the mask input is [B, 1, N]). `module` replaces the
    seeded module of the configuration (the same architecture, other weights)."""
    opset = int(config.get("opset", 17))
    mod = hm.build(config) if module is None else module
    d = config["d"]
    B, N = 2, 11  # example shapes for tracing; both dims are exported dynamic
    x = torch.randn(B, N, d, generator=torch.Generator().manual_seed(0))
    args = (x,)
    input_names = ["x"]
    dyn = {"x": {0: "B", 1: "N"}, "y": {0: "B", 1: "N"}}
    if config.get("mask", True):
        lengths = torch.tensor([N, N - 4])
        valid = torch.arange(N)[None, :] < lengths[:, None]
        mask = torch.logical_not(valid) if config["impl"] in ("a", "c") else valid.float()
        dyn["mask"] = {0: "B", 1: "N"}
        if config.get("mask_input") == "b1n":  # ESPnet's [B, 1, N] layout
            mask = mask[:, None, :]
            dyn["mask"] = {0: "B", 2: "N"}
        args = (x, mask)
        input_names.append("mask")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(mod, args, path, opset_version=onnx_upgrade.export_opset(opset),
                          input_names=input_names,
                          output_names=["y"],
                          dynamic_axes=dyn if config.get("dynamic", True) else None,
                          do_constant_folding=config.get("constant_folding", True),
                          export_params=True)
    onnx_upgrade.upgrade(path, opset)
    return mod


def node_counts(model):
    return collections.Counter(n.op_type for n in model.graph.node)


def _attr_str(a):
    import onnx
    import onnx.numpy_helper
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        v = v.decode()
    elif isinstance(v, onnx.TensorProto):
        arr = onnx.numpy_helper.to_array(v)
        v = f"tensor{list(arr.shape)}:{arr.dtype}" + (
            f"={arr.tolist()}" if arr.size <= 8 else "")
    return f"{a.name}={v}"


def describe_nodes(model):
    """Full node list: op_type name (inputs) -> (outputs) [attributes], plus graph I/O and the
    initializers (name, shape, dtype)."""
    import onnx
    import onnx.numpy_helper
    out = io.StringIO()
    g = model.graph

    def vi(v):
        t = v.type.tensor_type
        dims = [dd.dim_param or str(dd.dim_value) for dd in t.shape.dim]
        return f"{v.name}: {onnx.TensorProto.DataType.Name(t.elem_type)}[{', '.join(dims)}]"

    out.write(f"opset {model.opset_import[0].version}, {len(g.node)} nodes\n")
    for v in g.input:
        out.write(f"input  {vi(v)}\n")
    for v in g.output:
        out.write(f"output {vi(v)}\n")
    for t in g.initializer:
        out.write(f"init   {t.name}: {onnx.TensorProto.DataType.Name(t.data_type)}"
                  f"{list(t.dims)}\n")
    out.write("\n")
    for i, n in enumerate(g.node):
        attrs = ", ".join(_attr_str(a) for a in n.attribute)
        out.write(f"{i:3d} {n.op_type:<20} {n.name:<28} ({', '.join(n.input)}) -> "
                  f"({', '.join(n.output)})" + (f"  [{attrs}]" if attrs else "") + "\n")
    out.write("\nnode-type counts: " + ", ".join(
        f"{k} {v}" for k, v in sorted(node_counts(model).items())) + "\n")
    return out.getvalue()


def main():
    import onnx
    import onnx.numpy_helper
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--models", default=",".join(hm.CONFIGS),
                    help="comma-separated config names (default: all)")
    ap.add_argument("--opsets", default="14,17")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.models.split(","):
        if name not in hm.CONFIGS:
            sys.exit(f"export_models.py: unknown config {name!r}; known: "
                     f"{', '.join(hm.CONFIGS)}")
        for opset in (int(o) for o in args.opsets.split(",")):
            stem = f"{name}_op{opset}"
            path = os.path.join(args.out, stem + ".onnx")
            export(dict(hm.CONFIGS[name], opset=opset), path)
            model = onnx.load(path)
            onnx.checker.check_model(model)
            counts = node_counts(model)
            print(f"{stem}: {len(model.graph.node)} nodes, {os.path.getsize(path)} bytes "
                  f"({', '.join(i.name for i in model.graph.input)} -> "
                  f"{', '.join(o.name for o in model.graph.output)})")
            print("    " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            if stem in NODE_LIST_MODELS:
                with open(os.path.join(args.out, stem + ".nodes.txt"), "w") as f:
                    f.write(describe_nodes(model))
                print(f"    node list: {os.path.join(args.out, stem + '.nodes.txt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
