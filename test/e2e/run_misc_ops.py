#!/usr/bin/python3
"""End-to-end check of ops outside the model families' main paths, as an independent
implementation might export them: LayerNorm without affine parameters (opset 14
decomposition), Tanh, Relu, Exp, Log, on dynamic batch and length, against float64
PyTorch (relative L2 <= 1e-5).

  run_misc_ops.py --hmc build/bin/hmc --work DIR
"""
import argparse
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
from hmc_tool import resolve_hmc  # noqa: E402


class Head(torch.nn.Module):
    """A pooler-like head: normalise, project, squash, plus smooth side terms."""

    def __init__(self):
        super().__init__()
        self.norm = torch.nn.LayerNorm(16, elementwise_affine=False)
        self.fc = torch.nn.Linear(16, 8)

    def forward(self, x):
        s = x[..., :8] * x[..., :8]
        return torch.relu(torch.tanh(self.fc(self.norm(x)))) + torch.exp(-s) + \
            torch.log(1 + s)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hmc", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    hmc = resolve_hmc(args.hmc)
    if not hmc:
        sys.exit(f"run_misc_ops.py: hmc not found: {args.hmc}")
    os.makedirs(args.work, exist_ok=True)
    torch.manual_seed(0)
    model = Head().eval()
    path = os.path.join(args.work, "head.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 5, 16),), path, opset_version=14,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "B", 1: "N"}, "y": {0: "B", 1: "N"}})
    out = os.path.join(args.work, "lib")
    subprocess.run([hmc, "compile", path, "-o", out, "-q"], check=True)
    failed = False
    with hmc_library.Library(os.path.join(out, "libhead.so")).create() as handle:
        for B, N in [(1, 1), (3, 7), (2, 131)]:
            x = torch.randn(B, N, 16)
            with torch.no_grad():
                ref = model.double()(x.double()).numpy()
            y = handle.run(x=x.numpy())["y"]
            err = float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
            ok = err <= 1e-5
            failed |= not ok
            print(f"B={B} N={N:>3} rel_err={err:.2e} {'ok' if ok else 'FAIL'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
