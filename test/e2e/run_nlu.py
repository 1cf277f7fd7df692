#!/usr/bin/python3
"""End-to-end test of whole HyperMixer classifiers (nlu_models.CONFIGS) from ONNX.

For every model and opset: export with torch.onnx, `hmc compile`, then for every batch B
and length N run the library on random ids with padded rows and compare the logits with
the float64 PyTorch reference (relative L2 <= 1e-4). Padding must be ignored exactly:
changing the ids under the padding leaves the logits bit-identical. A 12-layer model
must compile each distinct kernel once (outlining), checked from the kernel graph.

  run_nlu.py --hmc build/bin/hmc --work DIR [--models a,b] [--opsets 14,17] [--quick]
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import hmc_library  # noqa: E402
import nlu_models  # noqa: E402
from hmc_tool import parse_driver_args, rel_l2  # noqa: E402

TOLERANCE = 1e-4


def compile_model(hmc, onnx_path, out_dir, extra=()):
    cmd = [hmc, "compile", onnx_path, "-o", out_dir, "-q", *extra]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{result.stderr}")


def check_model(model, library, batches, lengths):
    """Returns a list of (B, N, rel_err, padding_ok, ok) rows."""
    vocab = model.embedding.num_embeddings
    segments = (model.segment_embedding.num_embeddings
                if model.segment_embedding is not None else 0)
    rows = []
    with library.create() as handle:
        for B in batches:
            for N in lengths:
                inputs = nlu_models.make_inputs(B, N, vocab, seed=1000 * B + N,
                                                segments=segments,
                                                lengths=model.mask_from == "lengths")
                ref = nlu_models.reference(model, inputs).numpy()
                arrays = {k: v.numpy() for k, v in inputs.items()}
                logits = handle.run(**arrays)["logits"]
                err = rel_l2(logits.astype(np.float64), ref)
                # Other ids under the padding must not change a single bit.
                scrambled = dict(arrays)
                pad = (arrays["attention_mask"] == 0 if "attention_mask" in arrays
                       else np.arange(N)[None, :] >= arrays["lengths"][:, None])
                ids = arrays["input_ids"].copy()
                ids[pad] = (ids[pad] + 17) % vocab
                scrambled["input_ids"] = ids
                again = handle.run(**scrambled)["logits"]
                padding_ok = bool(np.array_equal(again, logits))
                rows.append((B, N, err, padding_ok,
                             err <= TOLERANCE and padding_ok and np.isfinite(err)))
    return rows


def check_limits(model, library):
    """N = 4096 matches the reference; a token id outside the vocabulary is a run error
    that names the gather, not a wrong answer or a crash."""
    vocab = model.embedding.num_embeddings
    inputs = nlu_models.make_inputs(1, 4096, vocab, seed=4096)
    ref = nlu_models.reference(model, inputs).numpy()
    arrays = {k: v.numpy() for k, v in inputs.items()}
    ok = True
    with library.create() as handle:
        err = rel_l2(handle.run(**arrays)["logits"].astype(np.float64), ref)
        print(f"N=4096: rel_err {err:.2e}")
        ok &= err <= TOLERANCE
        for bad in (vocab, -vocab - 1):
            ids = arrays["input_ids"].copy()
            ids[0, 5] = bad
            try:
                handle.run(**dict(arrays, input_ids=ids))
                print(f"id {bad}: accepted (FAIL)")
                ok = False
            except hmc_library.HmcError as error:
                named = "gather index" in str(error)
                print(f"id {bad}: rejected: {error}")
                ok &= named
        # The handle stays usable after the refused run.
        ok &= rel_l2(handle.run(**arrays)["logits"].astype(np.float64), ref) <= TOLERANCE
    return ok


def check_position_table_end(model, library):
    """A sequence longer than the learned position table is a run error that names
    the input and the table's length as the limit, as it is an error in PyTorch."""
    length = model.position_embedding.num_embeddings + 1
    inputs = nlu_models.make_inputs(1, length, model.embedding.num_embeddings, seed=7)
    with library.create() as handle:
        try:
            handle.run(**{k: v.numpy() for k, v in inputs.items()})
        except hmc_library.HmcError as error:
            print(f"N={length} beyond the position table: rejected: {error}")
            return f"is {length}, expected 1..{length - 1}" in str(error)
    print(f"N={length} beyond the position table: accepted (FAIL)")
    return False


def check_outlining(hmc, work):
    """A 12-layer model's kernel graph calls one compiled kernel per distinct op signature:
    the layers share their kernels (repeated kernel names are repeated calls), so it has
    as many distinct kernels as the same model with 2 layers."""
    def kernels(layers):
        config = dict(d=32, f=64, layers=layers, pre_ln=True, tied=False, pooling="mean")
        path = os.path.join(work, "models", f"nlu_l{layers}.onnx")
        nlu_models.export(nlu_models.build(config), path, 17)
        return json.loads(subprocess.run([hmc, "compile", path, "--emit=kernels"],
                                         capture_output=True, text=True,
                                         check=True).stdout)["kernels"]
    graph, two = kernels(12), kernels(2)
    functions = {k["name"] for k in graph}
    mixes = {k["name"] for k in graph if k["op"] == "hyper_mix"}
    calls = sum(k["op"] == "hyper_mix" for k in graph)
    print(f"outlining: 12 layers, {len(graph)} kernel calls, "
          f"{len(functions)} distinct kernels (2 layers: {len(two)} calls, "
          f"{len({k['name'] for k in two})} distinct), hyper_mix: {calls} calls of "
          f"{len(mixes)} kernel(s)")
    return (calls == 12 and len(mixes) == 1 and
            len(functions) == len({k["name"] for k in two}) and len(graph) > len(two))


def main():
    def arguments(ap):
        ap.add_argument("--models", default=",".join(nlu_models.CONFIGS))
        ap.add_argument("--opsets", default="14,17")
        ap.add_argument("--quick", action="store_true", help="B in {1, 3}, N in {7, 50}")

    args = parse_driver_args(__doc__, arguments)
    hmc = args.hmc
    torch.manual_seed(0)
    batches = [1, 3]
    lengths = [7, 50] if args.quick else [1, 7, 50, 513]
    failed = False
    print(f"{'model':<24} {'opset':>5} {'B':>2} {'N':>4} {'rel_err':>9} {'padding':>8} status")
    for name in args.models.split(","):
        model = nlu_models.build(nlu_models.CONFIGS[name])
        for opset in [int(o) for o in args.opsets.split(",")]:
            stem = f"{name}_op{opset}"
            onnx_path = os.path.join(args.work, "models", stem + ".onnx")
            os.makedirs(os.path.dirname(onnx_path), exist_ok=True)
            nlu_models.export(model, onnx_path, opset)
            out_dir = os.path.join(args.work, "build", stem)
            try:
                compile_model(hmc, onnx_path, out_dir)
            except RuntimeError as error:
                print(f"{name:<24} {opset:>5} compile FAILED\n{error}")
                failed = True
                continue
            library = hmc_library.Library(os.path.join(out_dir, f"lib{stem}.so"))
            if name == "nlu_d64_pre" and opset == 17 and not check_limits(model, library):
                failed = True
            if model.position_embedding is not None and \
                    not check_position_table_end(model, library):
                failed = True
            for B, N, err, padding_ok, ok in check_model(model, library, batches, lengths):
                failed |= not ok
                print(f"{name:<24} {opset:>5} {B:>2} {N:>4} {err:>9.2e} "
                      f"{'exact' if padding_ok else 'CHANGED':>8} {'ok' if ok else 'FAIL'}")
    if not check_outlining(hmc, args.work):
        print("outlining: FAIL (identical layers compiled more than once)")
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
