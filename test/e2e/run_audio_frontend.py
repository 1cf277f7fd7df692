#!/usr/bin/python3
"""End-to-end test of `hmc compile --audio-frontend`: a library that takes 16 kHz audio,
computes the log-Mel filterbank itself and adds greedy CTC token ids.

The model is a small CTC head on filterbank features (normalisation, Linear(80, V),
log_softmax) exported from PyTorch with a [B, T, 80] input; the reference runs the float64
filterbank of fbank_reference.py and the same module in float64. Checks: log-probs at
relative L2 <= 1e-4, token ids equal to the reference's greedy decoding, several lengths
and a batch of 2, and audio shorter than one frame refused with an error.

  run_audio_frontend.py --hmc build/bin/hmc --work DIR
"""
import os
import subprocess
import sys
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import fbank_reference  # noqa: E402
import hmc_library  # noqa: E402
from hmc_tool import parse_driver_args  # noqa: E402

VOCAB = 12


class CtcHead(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(7)
        self.register_buffer("mean", -8.0 + torch.randn(80, generator=g))
        self.register_buffer("std", 2.0 + torch.rand(80, generator=g))
        self.proj = torch.nn.Linear(80, VOCAB)
        with torch.no_grad():
            self.proj.weight.copy_(torch.randn(VOCAB, 80, generator=g))
            self.proj.bias.copy_(torch.randn(VOCAB, generator=g))

    def forward(self, feats):
        return torch.log_softmax(self.proj((feats - self.mean) / self.std), dim=-1)


def greedy(log_probs):
    """Greedy CTC decoding of [T, V], blank 0."""
    ids, previous = [], -1
    for t in np.argmax(log_probs, axis=-1):
        if t != previous and t != 0:
            ids.append(int(t))
        previous = t
    return ids


def main():
    args = parse_driver_args(__doc__)
    hmc = args.hmc
    os.makedirs(args.work, exist_ok=True)
    model = CtcHead().eval()
    onnx_path = os.path.join(args.work, "ctc_head.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 20, 80),), onnx_path, opset_version=17,
                          input_names=["feats"], output_names=["log_probs"],
                          dynamic_axes={"feats": {0: "B", 1: "T"},
                                        "log_probs": {0: "B", 1: "T"}})
    out_dir = os.path.join(args.work, "lib")
    subprocess.run([hmc, "compile", onnx_path, "-o", out_dir, "--audio-frontend", "-q"],
                   check=True)
    library = hmc_library.Library(os.path.join(out_dir, "libctc_head.so"))
    rng = np.random.default_rng(3)
    failed = False
    with library.create() as handle:
        for B, S in [(1, 400), (1, 16077), (2, 8000), (1, 48000)]:
            t = np.arange(S) / 16000.0
            audio = np.stack([0.3 * np.sin(2 * np.pi * (220 + 110 * b) * t) +
                              0.05 * rng.standard_normal(S) for b in range(B)])
            audio = audio.astype(np.float32)
            outputs = handle.run(audio=audio)
            feats = fbank_reference.fbank(audio.astype(np.float64))
            with torch.no_grad():
                ref = model.double()(torch.from_numpy(feats)).numpy()
            err = float(np.linalg.norm(outputs["log_probs"] - ref) / np.linalg.norm(ref))
            ids_ok = all(
                [int(i) for i in row if i >= 0] == greedy(ref[b]) and
                np.all(row[len(greedy(ref[b])):] == -1)
                for b, row in enumerate(outputs["token_ids"]))
            ok = err <= 1e-4 and ids_ok
            failed |= not ok
            print(f"B={B} S={S:>6} T={ref.shape[1]:>4} rel_err={err:.2e} "
                  f"ids {'match' if ids_ok else 'DIFFER'} {'ok' if ok else 'FAIL'}")
        try:
            handle.run(audio=np.zeros((1, 399), np.float32))
            print("399 samples accepted: FAIL")
            failed = True
        except hmc_library.HmcError as error:
            print(f"399 samples refused: {error}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
