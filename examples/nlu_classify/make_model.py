#!/usr/bin/python3
"""Writes the example model and inputs of examples/nlu_classify/.

  /usr/bin/python3 examples/nlu_classify/make_model.py

Files (next to this script):
  nlu_classifier.onnx  a HyperMixer sentence classifier (test/e2e/nlu_models.py): vocabulary
                       1000, d=64, f=256, 2 pre-LN layers, mean pooling, 3 classes, seeded
                       random weights, 128-row position tables (hmc computes longer
                       sentences' positions from the formula), opset 17; inputs input_ids and attention_mask
                       [B, N] int64 (1 = real token), output logits [B, 3].
  sentences.txt        three token-id sentences of different lengths, one per line.
  expected.txt         their float64 reference logits, one line per sentence.
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "e2e"))
import nlu_models  # noqa: E402

CONFIG = dict(vocab=1000, d=64, f=256, layers=2, classes=3, pre_ln=True, pooling="mean",
              max_len=128)


def main():
    model = nlu_models.build(CONFIG, seed=7)
    nlu_models.export(model, os.path.join(HERE, "nlu_classifier.onnx"), opset=17)
    g = torch.Generator().manual_seed(11)
    sentences = [torch.randint(1, 1000, (n,), generator=g).tolist() for n in (12, 5, 30)]
    with open(os.path.join(HERE, "sentences.txt"), "w") as f:
        for ids in sentences:
            f.write(" ".join(map(str, ids)) + "\n")
    # The reference batches them the way the example program does: padded to the longest.
    N = max(len(s) for s in sentences)
    ids = torch.zeros(len(sentences), N, dtype=torch.int64)
    mask = torch.zeros(len(sentences), N, dtype=torch.int64)
    for b, s in enumerate(sentences):
        ids[b, :len(s)] = torch.tensor(s)
        mask[b, :len(s)] = 1
    logits = nlu_models.reference(model, {"input_ids": ids, "attention_mask": mask})
    with open(os.path.join(HERE, "expected.txt"), "w") as f:
        for row in logits.tolist():
            f.write(" ".join(f"{v:.9g}" for v in row) + "\n")


if __name__ == "__main__":
    main()
