#!/usr/bin/python3
"""End-to-end check of cross mixing: HyperMixing layers in the idiap reference's
query/key/value form (hypermixing_models.QueryKeyValueHyperMixing), whose queries
have their own length and padding mask, written with batched products or with a
loop over heads. Each model is exported with dynamic batch, query and key lengths
(one also with static ones), compiled with `hmc compile -v` (which must report one fused
HyperMixing layer, cross unless the three are one tensor), and run at odd sizes with
right-padded masks against the float64 module: relative L2 <= 1e-5 (--tol) on the
whole output, and padded query rows equal to the LayerNorm's beta where W2 is masked.

  run_cross_mixing.py --hmc build/bin/hmc --work DIR [--tol 1e-5]
"""
import os
import subprocess
import sys
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import hmc_library  # noqa: E402
import hypermixing_models  # noqa: E402
import onnx_upgrade  # noqa: E402
from hmc_tool import parse_driver_args, rel_l2  # noqa: E402


class SelfMixing(torch.nn.Module):
    """The same layer with one tensor as queries, keys and values, under one mask."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x, padding_mask):
        return self.layer(x, x, x, padding_mask, padding_mask)


# name -> (layer arguments, masks given, opset): "both", "key", "query" or "none".
# A "static" model is exported for the shapes of STATIC alone.
MODELS = {
    "qkv_h2_masks": (dict(d=48, k=96, heads=2), "both", 17),
    "qkv_h4_bias_idiap_table": (
        dict(d=32, k=64, heads=4, bias=True, positions="idiap"), "both", 14),
    "qkv_h1_tied_key_mask": (dict(d=40, k=56, heads=1, tied=True), "key", 17),
    "qkv_h8_query_mask": (dict(d=144, k=576, heads=8), "query", 17),
    "qkv_h2_unmasked": (dict(d=24, k=48, heads=2, bias=True), "none", 17),
    "qkv_h3_head_loop": (dict(d=36, k=48, heads=3, head_loop=True), "both", 17),
    "qkv_h2_static": (dict(d=32, k=48, heads=2), "both", 17),
    "qkv_h2_masked_positions": (dict(d=32, k=64, heads=2, masked_positions=True), "both", 17),
    "qkv_h2_tokens_masked_only": (dict(d=32, k=64, heads=2, tokens_masked_only=True),
                                  "both", 17),
}
STATIC = (2, 3, 7)

# (batch, queries, keys): one of each, more keys than queries and fewer, none a
# multiple of the vector width.
SIZES = [(1, 1, 1), (3, 7, 130), (2, 131, 5)]


def padding(batch, n):
    """True where padded: row r > 0 keeps its first r * n / batch + 1 tokens."""
    mask = torch.zeros(batch, n, dtype=torch.bool)
    for row in range(1, batch):
        mask[row, (row * n) // batch + 1:] = True
    return mask


def make_inputs(d, masks, batch, m, n, gen):
    inputs = {"query": torch.randn(batch, m, d, generator=gen),
              "key": torch.randn(batch, n, d, generator=gen),
              "value": torch.randn(batch, n, d, generator=gen)}
    if masks in ("both", "query"):
        inputs["query_padding_mask"] = padding(batch, m)
    if masks in ("both", "key"):
        inputs["key_padding_mask"] = padding(batch, n)
    return inputs


class Positional(torch.nn.Module):
    """The layer called with its inputs by position, masks left out as None."""

    def __init__(self, layer, names):
        super().__init__()
        self.layer, self.names = layer, names

    def forward(self, *args):
        given = dict(zip(self.names, args))
        return self.layer(given["query"], given["key"], given["value"],
                          given.get("query_padding_mask"), given.get("key_padding_mask"))


def compile_model(hmc, work, name, model, example, axes, opset):
    """Exports and compiles `model`; returns the library path and hmc's remarks."""
    path = os.path.join(work, name + ".onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(example.values()), path,
                          opset_version=onnx_upgrade.export_opset(opset),
                          input_names=list(example), output_names=["y"], dynamic_axes=axes)
    onnx_upgrade.upgrade(path, opset)
    out = os.path.join(work, name)
    result = subprocess.run([hmc, "compile", path, "-o", out, "-v"], check=True,
                            capture_output=True, text=True)
    return os.path.join(out, f"lib{name}.so"), result.stderr


def fused_layers(remarks):
    """The text of hmc's "fused HyperMixing" remarks (without the file and node
    they name, which may contain any word)."""
    return [line.split("remark: ", 1)[1] for line in remarks.splitlines()
            if "remark: fused HyperMixing" in line]


def check_run(name, handle, model, inputs, beta, query_mask, tol):
    """Runs one input set; prints and returns whether it failed."""
    with torch.no_grad():
        ref = model.double()(*[t.double() if t.is_floating_point() else t
                               for t in inputs.values()]).numpy()
    got = handle.run(**{key: t.numpy() for key, t in inputs.items()})["y"]
    err = rel_l2(got, ref) if got.shape == ref.shape else float("inf")
    ok = err <= tol
    if ok and query_mask is not None:
        padded = got[query_mask.numpy()]
        ok = bool(np.all(padded == beta.astype(np.float32)))
    shape = "x".join(str(s) for s in next(iter(inputs.values())).shape)
    print(f"{name} [{shape}] keys {inputs.get('key', inputs.get('x')).shape[1]}: "
          f"rel_err={err:.2e} {'ok' if ok else 'FAIL'}")
    return not ok


def main():
    args = parse_driver_args(__doc__, lambda parser: parser.add_argument(
        "--tol", type=float, default=1e-5, help="relative L2 bound (default 1e-5)"))
    os.makedirs(args.work, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    failed = False
    for name, (options, masks, opset) in MODELS.items():
        layer = hypermixing_models.randomize_(
            hypermixing_models.QueryKeyValueHyperMixing(**options), seed=len(name)).eval()
        d = options["d"]
        static = name.endswith("_static")
        example = make_inputs(d, masks, *(STATIC if static else (2, 3, 5)), gen)
        axes = {"query": {0: "B", 1: "M"}, "key": {0: "B", 1: "N"},
                "value": {0: "B", 1: "N"}, "query_padding_mask": {0: "B", 1: "M"},
                "key_padding_mask": {0: "B", 1: "N"}, "y": {0: "B", 1: "M"}}
        model = Positional(layer, list(example)).eval()
        library, remarks = compile_model(args.hmc, args.work, name, model, example,
                                         None if static else
                                         {k: v for k, v in axes.items()
                                          if k in example or k == "y"}, opset)
        fused = fused_layers(remarks)
        if len(fused) != 1 or "cross" not in fused[0]:
            print(f"{name}: expected one fused cross HyperMixing layer, hmc said:\n{remarks}")
            failed = True
            continue
        beta = layer.layer_norm.bias.detach().double().numpy()
        with hmc_library.Library(library).create() as handle:
            for batch, m, n in [STATIC] if static else SIZES:
                inputs = make_inputs(d, masks, batch, m, n, gen)
                # Unmasked W2 rows make padded query rows more than beta.
                failed |= check_run(name, handle, model, inputs, beta,
                                    None if layer.tokens_masked_only else
                                    inputs.get("query_padding_mask"), args.tol)

    # One tensor as queries, keys and values: the layer fuses as self mixing.
    layer = hypermixing_models.randomize_(
        hypermixing_models.QueryKeyValueHyperMixing(d=48, k=96, heads=4), seed=5).eval()
    model = SelfMixing(layer).eval()
    example = {"x": torch.randn(2, 5, 48, generator=gen), "padding_mask": padding(2, 5)}
    library, remarks = compile_model(
        args.hmc, args.work, "qkv_self", model, example,
        {"x": {0: "B", 1: "N"}, "padding_mask": {0: "B", 1: "N"}, "y": {0: "B", 1: "N"}}, 17)
    fused = fused_layers(remarks)
    if len(fused) != 1 or "cross" in fused[0]:
        print(f"qkv_self: expected one fused self-mixing layer, hmc said:\n{remarks}")
        failed = True
    else:
        beta = layer.layer_norm.bias.detach().double().numpy()
        with hmc_library.Library(library).create() as handle:
            for batch, n, _ in SIZES:
                inputs = {"x": torch.randn(batch, n, 48, generator=gen),
                          "padding_mask": padding(batch, n)}
                failed |= check_run("qkv_self", handle, model, inputs, beta,
                                    inputs["padding_mask"], args.tol)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
