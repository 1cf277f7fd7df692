#!/usr/bin/python3
"""End-to-end test of the DSL frontend: PyTorch HyperMixer classifiers -> safetensors
(their state_dict) + a .hmd model -> `hmc compile --weights` -> run -> compare.

For each model below: build nlu_models.HyperMixerClassifier with trained-like random
weights, write its state_dict with the small safetensors writer here (no Python
safetensors package is needed), compile test/frontends/dsl/Inputs/<model>.hmd against
it, then for B in {1, 3} and N in {1, 7, 50, 513} run the library on nlu_models.make_inputs
(rows after the first padded) and compare the logits with nlu_models.reference in
float64: relative L2 <= 1e-4.

  /usr/bin/python3 test/e2e/dsl/run_dsl_e2e.py --hmc build/bin/hmc --work DIR
"""
import argparse
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import hmc_library  # noqa: E402
import nlu_models  # noqa: E402
from hmc_tool import rel_l2, resolve_hmc  # noqa: E402

INPUTS = os.path.join(ROOT, "test", "frontends", "dsl", "Inputs")
TOLERANCE = 1e-4
BATCHES = [1, 3]
LENGTHS = [1, 7, 50, 513]

# .hmd file -> the classifier it describes.
MODELS = {
    "hypermixer_classifier": dict(layers=4, pre_ln=True, tied=False, pooling="mean"),
    "classifier_post_ln_tied_first": dict(layers=2, pre_ln=False, tied=True,
                                          pooling="first"),
    "classifier_segments": dict(layers=2, pre_ln=True, tied=False, pooling="mean",
                                segments=2),
}

SAFETENSORS_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64",
                      np.dtype(np.int64): "I64"}


def write_safetensors(path, tensors):
    """tensors: name -> numpy array. The layout of the format: an 8-byte little-endian
    header length, the JSON header (padded with spaces to 8 bytes), the data."""
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": SAFETENSORS_DTYPES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def check(name, config, hmc, work):
    torch.manual_seed(0)
    model = nlu_models.randomize(nlu_models.HyperMixerClassifier(**config), seed=7).eval()
    weights = os.path.join(work, name + ".safetensors")
    write_safetensors(weights, {k: v.numpy() for k, v in model.state_dict().items()})
    out = os.path.join(work, name)
    cmd = [hmc, "compile", os.path.join(INPUTS, name + ".hmd"), "--weights", weights,
           "-o", out, "-q"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        print(f"FAIL {name}: {' '.join(cmd)}\n{result.stderr}")
        return False
    library = hmc_library.Library(os.path.join(out, f"lib{name}.so"))
    ok = True
    with library.create() as handle:
        for B in BATCHES:
            for N in LENGTHS:
                inputs = nlu_models.make_inputs(B, N, 1000, seed=1000 * B + N,
                                                segments=config.get("segments", 0))
                ref = nlu_models.reference(model, inputs).numpy()
                logits = handle.run(**{k: v.numpy() for k, v in inputs.items()})["logits"]
                err = rel_l2(logits.astype(np.float64), ref)
                passed = logits.shape == ref.shape and err <= TOLERANCE
                ok = ok and passed
                print(f"{name:32s} B={B} N={N:4d} rel_err={err:.2e} "
                      f"{'ok' if passed else 'FAIL'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hmc", default="hmc", help="the hmc executable")
    parser.add_argument("--work", required=True, help="folder for weights and libraries")
    args = parser.parse_args()
    hmc = resolve_hmc(args.hmc)
    if hmc is None:
        sys.exit(f"error: no hmc executable at {args.hmc}")
    os.makedirs(args.work, exist_ok=True)
    results = [check(name, config, hmc, args.work) for name, config in MODELS.items()]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
