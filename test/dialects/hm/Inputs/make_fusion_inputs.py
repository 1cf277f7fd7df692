#!/usr/bin/python3
"""Regenerates the fusion pass's lit inputs: small HyperMixing layers exported
by torch.onnx in each form the pass must recognise, imported with
`hmc compile --emit=mlir --print-weights`.

  /usr/bin/python3 make_fusion_inputs.py --hmc build/bin/hmc
"""
import argparse
import os
import subprocess
import sys
import tempfile
import warnings

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "e2e"))
import export_models  # noqa: E402
import hypermixing_models  # noqa: E402
import onnx_upgrade  # noqa: E402

# name -> (configuration, opset); tiny sizes keep the files readable.
FORMS = {
    "einsum-heads-mask-op17": (dict(impl="a", d=8, k=8, heads=2, mask=True), 17),
    "einsum-heads-mask-op14": (dict(impl="a", d=8, k=8, heads=2, mask=True), 14),
    "einsum-heads-nomask-op17": (dict(impl="a", d=8, k=8, heads=2, mask=False), 17),
    "speechbrain-layout-mask-op17": (dict(impl="c", d=8, k=8, heads=2, mask=True), 17),
    "batched-matmul-heads-mask-op14": (dict(impl="d", d=8, k=8, heads=2, mask=True), 14),
    "per-head-loop-mask-op17": (dict(impl="e", d=8, k=8, heads=2, mask=True), 17),
    "computed-positions-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, positions="computed"), 17),
    "scattered-positions-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, positions="scattered"), 17),
    "expanded-positions-op14": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, positions="expanded"), 14),
    "learned-positions-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, positions="learned"), 17),
    "shifted-positions-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, positions="shifted"), 17),
    "masked-fill-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, mask_apply="fill"), 17),
    "weights-mask-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, mask_apply="weights"), 17),
    "tokens-mask-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, mask_apply="tokens"), 17),
    "mixed-mask-op14": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, mask_apply="mixed"), 14),
    "espnet-mask-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, mask_apply="espnet"), 17),
    "espnet-mask-input-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, mask_apply="espnet", mask_input="b1n"),
        17),
    "where-single-head-op14": (
        dict(impl="b", d=6, k=4, hidden=5, mask=True, layer_norm=True, mask_apply="where"),
        14),
    "scaled-tokens-op17": (
        dict(impl="b", d=6, k=4, hidden=5, mask=True, layer_norm=True, scale_tokens=True), 17),
    "positions-from-one-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, position_offset=1), 17),
    "tanh-gelu-op17": (
        dict(impl="a", d=8, k=8, heads=2, mask=True, gelu="tanh"), 17),
    "matmul-single-head-mask-op14": (
        dict(impl="b", d=6, k=4, hidden=5, mask=True, layer_norm=True), 14),
    "matmul-single-head-tied-op17": (
        dict(impl="b", d=6, k=4, hidden=5, mask=True, tied=True, layer_norm=True), 17),
    "conv1d-heads-mask-op17": (dict(impl="f", d=8, k=8, heads=2, hidden=3, mask=True), 17),
}

# name -> (QueryKeyValueHyperMixing arguments, opset): cross mixing with both
# padding masks, queries of length M over keys and values of length N.
CROSS_FORMS = {
    "query-key-value-masks-op17": (dict(d=8, k=8, heads=2, max_len=12), 17),
}


def export_cross(options, opset, path):
    layer = hypermixing_models.randomize_(
        hypermixing_models.QueryKeyValueHyperMixing(**options), seed=11).eval()
    gen = torch.Generator().manual_seed(0)
    d = options["d"]
    args = (torch.randn(2, 3, d, generator=gen), torch.randn(2, 5, d, generator=gen),
            torch.randn(2, 5, d, generator=gen), torch.zeros(2, 3, dtype=torch.bool),
            torch.zeros(2, 5, dtype=torch.bool))
    names = ["query", "key", "value", "query_padding_mask", "key_padding_mask"]
    axes = {name: {0: "B", 1: "M" if name.startswith("query") else "N"} for name in names}
    axes["y"] = {0: "B", 1: "M"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(layer, args, path, opset_version=onnx_upgrade.export_opset(opset),
                          input_names=names, output_names=["y"], dynamic_axes=axes)
    onnx_upgrade.upgrade(path, opset)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hmc", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        forms = [(name, lambda path, c=config, o=opset: export_models.export(
            dict(c, opset=o, max_len=12, seed=11), path)) for name, (config, opset) in FORMS.items()]
        forms += [(name, lambda path, c=config, o=opset: export_cross(c, o, path))
                  for name, (config, opset) in CROSS_FORMS.items()]
        for name, export in forms:
            model = os.path.join(tmp, name + ".onnx")
            export(model)
            text = subprocess.run(
                [args.hmc, "compile", model, "--emit=mlir", "--print-weights"],
                check=True, capture_output=True, text=True).stdout
            with open(os.path.join(here, name + ".mlir"), "w") as f:
                f.write(text.replace(tmp + "/", ""))
            print("wrote", name + ".mlir")


if __name__ == "__main__":
    main()
