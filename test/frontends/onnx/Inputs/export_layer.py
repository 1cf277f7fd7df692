#!/usr/bin/python3
"""Exports a small HyperMixing layer (opset 17) for importer tests:
export_layer.py OUT [D K HEADS] (default d=8, k=8, 2 heads)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "e2e"))
import export_models  # noqa: E402

d, k, heads = (int(v) for v in sys.argv[2:5]) if len(sys.argv) > 2 else (8, 8, 2)
export_models.export(dict(impl="a", d=d, k=k, heads=heads, mask=True, max_len=12, seed=5,
                          opset=17), sys.argv[1])
