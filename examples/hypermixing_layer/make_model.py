#!/usr/bin/python3
"""Writes the example model and inputs of examples/hypermixing_layer/.

  /usr/bin/python3 examples/hypermixing_layer/make_model.py            # (re)generate files
  /usr/bin/python3 examples/hypermixing_layer/make_model.py --check RES/y.npy

Files (next to this script):
  hypermixing_layer.onnx  one multi-head HyperMixing layer (SpeechBrain style, impl (a) of
                          test/e2e/hypermixing_models.py): d=64, k=128, 8 heads, untied,
                          seeded random weights, opset 17, dynamic batch B and length N;
                          inputs x [B,N,64] float32, mask [B,N] bool (True = padded),
                          output y [B,N,64]. The position table is a [1, 1000, 64]
                          initializer (1000 rows instead of the recipes' 3000 to keep the file
                          small; hmc computes rows beyond the table from the formula).
  x.npy, mask.npy         sample inputs: B=2, N=50, row 0 fully valid, row 1 padded to 37.
  y_ref.npy               float64 reference output for those inputs (stored as float32).
--check prints a summary of a result file and compares it with y_ref.npy (relative L2
error over all rows <= 1e-5).
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "e2e"))

CONFIG = dict(impl="a", d=64, k=128, heads=8, tied=False, mask=True, seed=2024,
              max_len=1000, opset=17)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", metavar="Y_NPY", help="compare a result with y_ref.npy")
    args = ap.parse_args()
    if args.check:
        y = np.load(args.check).astype(np.float64)
        ref = np.load(os.path.join(HERE, "y_ref.npy")).astype(np.float64)
        if y.shape != ref.shape:
            print(f"shape {y.shape} != expected {ref.shape}")
            return 1
        print(f"output y: shape {list(y.shape)}, mean {y.mean():+.6f}, std {y.std():.6f}, "
              f"y[0, 0, :4] = {np.array2string(y[0, 0, :4], precision=5)}")
        err = np.linalg.norm(y - ref) / np.linalg.norm(ref)
        print(f"relative L2 error {err:.3e} ({'PASS' if err <= 1e-5 else 'FAIL'})")
        return 0 if err <= 1e-5 else 1

    import export_models
    import hypermixing_models as hm

    onnx_path = os.path.join(HERE, "hypermixing_layer.onnx")
    module = export_models.export(CONFIG, onnx_path)
    rng = np.random.default_rng(2024)
    B, N = 2, 50
    x = rng.standard_normal((B, N, CONFIG["d"])).astype(np.float32)
    mask = hm.make_mask(CONFIG, [50, 37], N)  # bool, True = padded
    np.save(os.path.join(HERE, "x.npy"), x)
    np.save(os.path.join(HERE, "mask.npy"), mask)
    y_ref = hm.reference(module, x, mask)
    np.save(os.path.join(HERE, "y_ref.npy"), y_ref.astype(np.float32))
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes), x.npy {x.shape}, "
          f"mask.npy {mask.shape} {mask.dtype}, y_ref.npy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
