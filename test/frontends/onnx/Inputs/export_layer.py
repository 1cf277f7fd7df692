#!/usr/bin/python3
"""Exports a small HyperMixing layer (opset 17) for importer tests:
export_layer.py OUT [D K HEADS] [--no-layer-norm] [--tied] (default d=8, k=8,
2 heads; with --no-layer-norm, impl b without its final LayerNorm; with --tied,
one hypernetwork for W1 and W2)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "e2e"))
import export_models  # noqa: E402

flags = ("--no-layer-norm", "--tied")
unknown = [a for a in sys.argv[1:] if a.startswith("-") and a not in flags]
if unknown or len(sys.argv) < 2:
    sys.exit(__doc__)
args = [a for a in sys.argv[1:] if a not in flags]
d, k, heads = (int(v) for v in args[1:4]) if len(args) > 1 else (8, 8, 2)
form = (dict(impl="b", layer_norm=False) if "--no-layer-norm" in sys.argv
        else dict(impl="a"))
export_models.export(dict(form, d=d, k=k, heads=heads, mask=True, max_len=12, seed=5,
                          opset=17, tied="--tied" in sys.argv), args[0])
