#!/usr/bin/python3
"""End-to-end test of the speech encoders (asr_models.CONFIGS) from ONNX: export with
torch.onnx, `hmc compile`, run the library on random normalised features and compare the
CTC log-probs with the float64 PyTorch reference (relative L2 <= 1e-4).

The encoders are not padding-invariant as a whole (the convolutions see padded frames), so
every batch row is a full-length utterance and the padding mask is all False; a mask whose
length disagrees with the features must be refused. A model that builds its mask from
relative lengths (wav_lens) gets padded rows: the same padded computation in both.
Every HyperMixing layer must fuse into one hm.hyper_mix (counted from `hmc compile -v`).
SpeechBrain's relative-position attention needs T - 1 >= 1 future positions: one encoder
frame is refused with a clear error (the intermediate would be empty). ESPnet's runs one
encoder frame, and refuses more frames than its stored table has positions for.

  run_asr.py --hmc build/bin/hmc --work DIR [--models a,b] [--opsets 14,17] [--frames 100,401]
"""
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import asr_models  # noqa: E402
import hmc_library  # noqa: E402
from hmc_tool import parse_driver_args, rel_l2  # noqa: E402

TOLERANCE = 1e-4


def main():
    def arguments(ap):
        ap.add_argument("--models", default="hyperconformer_8m_l2,conformer_8m_l2,"
                        "hyperconformer_8m,hyperconformer_22m_l2,hyperconformer_8m_l2_wav_lens")
        ap.add_argument("--opsets", default="17")
        ap.add_argument("--frames", default="100,401,3000")
        ap.add_argument("--batches", default="1,2")

    args = parse_driver_args(__doc__, arguments)
    hmc = args.hmc
    failed = False
    print(f"{'model':<30} {'opset':>5} {'B':>2} {'T':>5} {'T/4':>4} {'rel_err':>9} status")
    for name in args.models.split(","):
        model = asr_models.build(asr_models.CONFIGS[name])
        for opset in [int(o) for o in args.opsets.split(",")]:
            stem = f"{name}_op{opset}"
            onnx_path = os.path.join(args.work, "models", stem + ".onnx")
            os.makedirs(os.path.dirname(onnx_path), exist_ok=True)
            asr_models.export(model, onnx_path, opset)
            out_dir = os.path.join(args.work, "build", stem)
            result = subprocess.run([hmc, "compile", onnx_path, "-o", out_dir, "-v"],
                                    capture_output=True, text=True, timeout=1800)
            if result.returncode != 0:
                print(f"{name:<30} {opset:>5} compile FAILED\n{result.stderr}")
                failed = True
                continue
            # Every HyperMixing layer must become one hm.hyper_mix.
            config = asr_models.CONFIGS[name]
            if config["mixing"] == "hypermixing":
                fused = result.stderr.count("remark: fused HyperMixing")
                ok = fused == config["layers"]
                failed |= not ok
                print(f"{name:<30} {opset:>5} fused {fused} of {config['layers']} layers "
                      f"{'ok' if ok else 'FAIL'}")
            library = hmc_library.Library(os.path.join(out_dir, f"lib{stem}.so"))
            with library.create() as handle:
                for B in [int(b) for b in args.batches.split(",")]:
                    for T in [int(t) for t in args.frames.split(",")]:
                        inputs = asr_models.make_inputs(B, T, seed=1000 * B + T,
                                                        padding=model.padding)
                        ref = asr_models.reference(model, inputs).numpy()
                        arrays = {k: v.numpy() for k, v in inputs.items()}
                        out = handle.run(**arrays)["log_probs"]
                        err = rel_l2(out.astype(np.float64), ref) \
                            if out.shape == ref.shape else float("inf")
                        ok = err <= TOLERANCE
                        failed |= not ok
                        print(f"{name:<30} {opset:>5} {B:>2} {T:>5} {out.shape[1]:>4} "
                              f"{err:>9.2e} {'ok' if ok else 'FAIL'}")
                refusals = {"relative_attention": [(4, "too short")],
                            "relative_attention_espnet": [(4 * 3001, "expected 1..3000")]}
                # The front end reflects 1 frame on each side of each block, so a
                # block's input needs 2 frames: T = 1 is below T's minimum and
                # T = 2 leaves the second block 1 frame.
                reflect = [(1, "OUT_OF_RANGE: input"), (2, "below its minimum 2")]
                for frames, expected in reflect + refusals.get(config["mixing"], []):
                    inputs = asr_models.make_inputs(1, frames, seed=7, padding=model.padding)
                    arrays = {k: v.numpy() for k, v in inputs.items()}
                    try:
                        handle.run(**arrays)
                        print(f"{name:<30} {opset:>5} {frames} frames ran: FAIL")
                        failed = True
                    except hmc_library.HmcError as error:
                        ok = expected in str(error)
                        failed |= not ok
                        print(f"{name:<30} {opset:>5} {frames} frames refused: {error}"
                              f" {'ok' if ok else 'FAIL'}")
                if model.padding != "mask":
                    continue
                # The mask must have the subsampled length ceil(ceil(T/2)/2).
                bad = asr_models.make_inputs(1, 100, seed=5)
                arrays = {k: v.numpy() for k, v in bad.items()}
                arrays["key_padding_mask"] = np.zeros((1, 24), dtype=bool)
                try:
                    handle.run(**arrays)
                    print(f"{name:<30} {opset:>5} mask of the wrong length accepted: FAIL")
                    failed = True
                except hmc_library.HmcError as error:
                    print(f"{name:<30} {opset:>5} wrong mask length refused: {error}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
