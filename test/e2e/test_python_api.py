#!/usr/bin/python3
"""The Python module (python/hmc_library.py) against the float64 reference:
export a layer, compile it with hmc, run it from Python on padded batches.

  /usr/bin/python3 test/e2e/test_python_api.py --hmc build/bin/hmc --work DIR
"""
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import export_models  # noqa: E402
import hypermixing_models as hm  # noqa: E402
from hmc_library import HmcError, Library  # noqa: E402
from hmc_tool import parse_driver_args  # noqa: E402


def main():
    args = parse_driver_args(__doc__)
    os.makedirs(args.work, exist_ok=True)
    config = dict(hm.CONFIGS["a_h8_tied"], opset=17)
    model_path = os.path.join(args.work, "layer.onnx")
    module = export_models.export(config, model_path)
    out = os.path.join(args.work, "out")
    subprocess.run([args.hmc, "compile", model_path, "-o", out], check=True)

    lib = Library(os.path.join(out, "liblayer.so"))
    assert lib.name == "layer", lib.name
    assert [i.name for i in lib.inputs] == ["x", "mask"], lib.inputs
    assert lib.inputs[0].shape == ("B", "N", 64), lib.inputs[0].shape
    failures = 0
    rng = np.random.default_rng(7)
    with lib.create(num_threads=2) as model:
        for batch, n in [(1, 1), (3, 37), (2, 300)]:
            x = rng.standard_normal((batch, n, config["d"])).astype(np.float32)
            lengths = [n] + [int(rng.integers(1, n + 1)) for _ in range(batch - 1)]
            mask = hm.make_mask(config, lengths, n)
            y = model.run(x=x, mask=mask)["y"]
            ref = hm.reference(module, x, mask)
            err = np.linalg.norm(y - ref) / np.linalg.norm(ref)
            ok = err <= 1e-5
            failures += not ok
            print(f"B={batch} N={n}: relative L2 {err:.2e} {'PASS' if ok else 'FAIL'}")
        # float64 tokens and a 0/1 float mask convert to the model's dtypes.
        x64 = rng.standard_normal((1, 5, config["d"]))
        y = model.run(x=x64, mask=np.zeros((1, 5)))["y"]
        assert y.dtype == np.float32 and y.shape == (1, 5, config["d"])
        for bad, expected in [
            (dict(x=x64), "expected inputs"),
            (dict(x=x64, mask=np.full((1, 5), 0.5)), "no exact bool"),
            (dict(x=x64 + 1j, mask=np.zeros((1, 5))), "complex128 values are not real"),
            (dict(x=np.where(x64 > 0, 1e39, x64), mask=np.zeros((1, 5))),
             "float64 values are beyond the range of float32"),
            (dict(x=x64[0], mask=np.zeros((1, 5))), "SHAPE"),
        ]:
            try:
                model.run(**bad)
                print(f"FAIL: no error for {sorted(bad)} ({expected})")
                failures += 1
            except HmcError as e:
                if expected not in str(e):
                    print(f"FAIL: {e} lacks {expected!r}")
                    failures += 1
    print("python API:", "all passed" if not failures else f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
