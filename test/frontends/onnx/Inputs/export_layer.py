#!/usr/bin/python3
"""Exports a small multi-head HyperMixing layer (opset 17) for importer tests."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "e2e"))
import export_models  # noqa: E402

export_models.export(dict(impl="a", d=8, k=8, heads=2, mask=True, max_len=12, seed=5,
                          opset=17), sys.argv[1])
