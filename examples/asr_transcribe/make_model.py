#!/usr/bin/python3
"""Writes the example model of examples/asr_transcribe/.

  /usr/bin/python3 examples/asr_transcribe/make_model.py

Files (next to this script):
  asr_encoder.onnx  a one-layer HyperConformer encoder (test/e2e/asr_models.py: d=144, 8
                    heads, conv front-end, CTC head) over a 29-token vocabulary, seeded
                    random weights (so its transcripts are gibberish, but exactly
                    reproducible), opset 17, input feats [B, T, 80], output log_probs.
                    CMakeLists.txt compiles it with AUDIO_FRONTEND: the library takes the
                    16 kHz samples and computes the filterbank itself.
  vocab.txt         the 29 token pieces, line i = id i (0 is the CTC blank).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "e2e"))
import asr_models  # noqa: E402

CONFIG = dict(d=144, d_ffn=576, layers=1, vocab=29, mixing="hypermixing", max_len=64)
PIECES = ["<blank>", "\u2581"] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]


def main():
    model = asr_models.build(CONFIG, seed=5)
    asr_models.export(model, os.path.join(HERE, "asr_encoder.onnx"), opset=17, mask=False)
    with open(os.path.join(HERE, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(PIECES) + "\n")


if __name__ == "__main__":
    main()
