#!/usr/bin/python3
"""Exports small HyperMixing layers with other exporter settings.

  export_variant.py static|unfolded OUT.onnx
static: fixed batch and length (the position slice folds to a constant);
unfolded: no constant folding (weights transposed and biases unsqueezed in
the graph).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "e2e"))
import export_models  # noqa: E402

VARIANTS = {
    "static": dict(impl="a", d=8, k=8, heads=2, mask=True, max_len=12, seed=6, opset=17,
                   dynamic=False),
    "unfolded": dict(impl="b", d=6, k=4, hidden=5, mask=True, max_len=12, seed=7, opset=14,
                     constant_folding=False),
}

export_models.export(VARIANTS[sys.argv[1]], sys.argv[2])
