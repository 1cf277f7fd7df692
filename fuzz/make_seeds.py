#!/usr/bin/python3
"""Writes the seed corpora in fuzz/corpus/ (run from anywhere; committed).

  /usr/bin/python3 fuzz/make_seeds.py

Seeds are small on purpose: libFuzzer mutates bytes, and a kilobyte-sized
model reaches the importer's branches faster than the examples' weights.
  onnx/         tiny HyperMixing layers of every implementation in
                test/e2e/hypermixing_models.py, and the hand-built models of
                the importer's lit tests (test/frontends/onnx/Inputs)
  npy/          every dtype at ranks 0-3, format versions 1-3
  safetensors/  float and integer tensors, a scalar, metadata
  dsl/          the DSL lit tests' models (test/frontends/dsl/Inputs)
Regression inputs of fixed crashes live beside the seeds as crash-*.
"""
import glob
import json
import os
import shutil
import struct
import sys
import tempfile
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def onnx_seeds(out):
    sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
    sys.path.insert(0, os.path.join(ROOT, "test", "frontends", "onnx", "Inputs"))
    warnings.simplefilter("ignore")
    import export_models
    import hypermixing_models as hm
    tiny = {"a": dict(d=8, k=8, heads=2), "c": dict(d=8, k=8, heads=2),
            "d": dict(d=8, k=8, heads=2), "e": dict(d=6, k=6, heads=3),
            "b": dict(d=8, k=8, hidden=8)}
    for name, config in hm.CONFIGS.items():
        c = dict(config, **tiny[config["impl"]], max_len=16, opset=17)
        export_models.export(c, os.path.join(out, f"layer_{name}.onnx"))
    import make_onnx
    for kind in ("unify", "gelu20", "old_opset", "unsupported", "missing_input",
                 "bad_perm", "no_value", "repeated_axes"):
        make_onnx.KINDS[kind](os.path.join(out, f"lit_{kind}.onnx"))


def npy_seeds(out):
    rng = np.random.default_rng(0)
    arrays = {"f4": rng.standard_normal((2, 3)).astype(np.float32),
              "f8": rng.standard_normal(4),
              "i4": np.arange(6, dtype=np.int32).reshape(1, 2, 3),
              "i8": np.array(7, dtype=np.int64),
              "b1": np.array([[True, False]]),
              "empty": np.zeros((0, 3), dtype=np.float32)}
    for name, a in arrays.items():
        np.save(os.path.join(out, f"{name}.npy"), a)
    for version in ((2, 0), (3, 0)):
        with open(os.path.join(out, f"v{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, arrays["f4"], version=version)
    shutil.copy(os.path.join(ROOT, "examples", "hypermixing_layer", "mask.npy"),
                os.path.join(out, "example_mask.npy"))


def safetensors_seeds(out):
    def write(path, tensors, metadata=None):
        header, data = {}, b""
        if metadata:
            header["__metadata__"] = metadata
        for name, a in tensors.items():
            raw = np.ascontiguousarray(a).tobytes()
            dtype = {"float32": "F32", "float64": "F64", "int64": "I64",
                     "int32": "I32", "float16": "F16", "bool": "BOOL",
                     "uint8": "U8"}[str(a.dtype)]
            header[name] = {"dtype": dtype, "shape": list(a.shape),
                            "data_offsets": [len(data), len(data) + len(raw)]}
            data += raw
        text = json.dumps(header).encode()
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text + data)

    rng = np.random.default_rng(1)
    write(os.path.join(out, "floats.safetensors"),
          {"w": rng.standard_normal((2, 3)).astype(np.float32),
           "b": rng.standard_normal(3)}, {"format": "pt"})
    write(os.path.join(out, "mixed.safetensors"),
          {"ids": np.arange(4, dtype=np.int64), "half": np.ones(2, np.float16),
           "flag": np.array([True]), "scalar": np.array(1.5, np.float32)})
    write(os.path.join(out, "empty.safetensors"), {})


def dsl_seeds(out):
    for path in glob.glob(os.path.join(ROOT, "test", "frontends", "dsl", "Inputs", "*.hmd")):
        shutil.copy(path, out)


def main():
    for kind, make in (("onnx", onnx_seeds), ("npy", npy_seeds),
                       ("safetensors", safetensors_seeds), ("dsl", dsl_seeds)):
        out = os.path.join(CORPUS, kind)
        os.makedirs(out, exist_ok=True)
        for old in os.listdir(out):
            if not old.startswith("crash-"):
                os.remove(os.path.join(out, old))
        with tempfile.TemporaryDirectory():
            make(out)
        print(kind, len(os.listdir(out)), "files",
              sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out)), "bytes")


if __name__ == "__main__":
    main()
