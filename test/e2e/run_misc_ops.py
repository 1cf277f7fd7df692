#!/usr/bin/python3
"""End-to-end check of ops outside the model families' main paths, as an independent
implementation might export them: LayerNorm without affine parameters (opset 14
decomposition), Tanh, Relu, Exp, Log, BatchNorm1d after a depthwise Conv1d and after
a ReLU, comparisons (a padding mask from `attention_mask == 0`, thresholds with
>, >=, <, <=, combined with &, | and ^), and run-time index ranges and sizes (a mask
from lengths, positions / length, Round, Floor, Ceil, tensors of run-time size from
torch.full and torch.zeros; sinusoidal positions computed in the forward pass with Sin,
Cos and Flatten), and a feed-forward block on rows merged with x.reshape(-1, d), on
dynamic batch and length, against float64 PyTorch (relative L2
<= 1e-5).

  run_misc_ops.py --hmc build/bin/hmc --work DIR
"""
import argparse
import math
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


class ConvBlock(torch.nn.Module):
    """Depthwise conv, BatchNorm, ReLU, BatchNorm over [B, C, T] (exports keep the
    second BatchNorm, which hmc imports as a per-channel scale and shift)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(8, 8, 5, padding=2, groups=8)
        self.bn1 = torch.nn.BatchNorm1d(8)
        self.bn2 = torch.nn.BatchNorm1d(8)
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():
            for bn in (self.bn1, self.bn2):
                bn.running_mean.copy_(torch.randn(8, generator=g))
                bn.running_var.copy_(0.5 + torch.rand(8, generator=g))
                bn.weight.copy_(torch.randn(8, generator=g))
                bn.bias.copy_(torch.randn(8, generator=g))

    def forward(self, x):
        return self.bn2(torch.relu(self.bn1(self.conv(x))))


class MaskedThresholds(torch.nn.Module):
    """Zeroes padded tokens through a comparison of the int64 attention mask, then
    weights every value by how many thresholds it passes."""

    def forward(self, x, attention_mask):
        x = x.masked_fill((attention_mask == 0).unsqueeze(-1), 0.0)
        passed = (x > 0.5).to(x.dtype) + (x >= 1.0).to(x.dtype) + \
            (x < -0.5).to(x.dtype) + (x <= -1.0).to(x.dtype)
        inner = ((x > -1.0) & (x < 1.0)) | (x == 0.0)
        sign_flip = (x < 0.0) ^ (x[..., :1] < 0.0)
        return x * passed + torch.relu(x) + inner.to(x.dtype) - sign_flip.to(x.dtype)


class IndexRanges(torch.nn.Module):
    """Index ranges and sizes as data: a padding mask from lengths (arange expanded to
    the batch, as length_to_mask writes it), relative positions t / n, rounding, and
    tensors of run-time size filled with a constant."""

    def forward(self, x, lengths):
        b, n = x.size(0), x.size(1)
        valid = torch.arange(n, device=x.device).expand(b, n) < lengths.unsqueeze(1)
        x = x * valid.unsqueeze(-1).to(x.dtype)
        # x * 4 and x are exact in float32, so rounding agrees with float64.
        steps = torch.round(x * 4) / 4 + 0.25 * torch.floor(x) - 0.1 * torch.ceil(x)
        relative = torch.arange(n, device=x.device).to(x.dtype) / n
        y = steps + relative[None, :, None] + torch.full((b, n, 1), 0.25)
        grid = torch.zeros(b, n, n) + relative[None, None, :]
        return y, grid


class ComputedPositions(torch.nn.Module):
    """Sinusoidal positions computed for the run-time length, sines and cosines
    interleaved (stack, then flatten), added to the input."""

    def forward(self, x):
        n, d = x.size(1), x.size(2)
        position = torch.arange(n, dtype=torch.float32).unsqueeze(1)
        frequency = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
        angle = position * frequency
        return x + torch.stack([torch.sin(angle), torch.cos(angle)], -1).flatten(1)


class MergedRows(torch.nn.Module):
    """A feed-forward block written on [B*N, d] rows: reshape(-1, d), Linear, GELU,
    Linear, LayerNorm, log-softmax, scale, then view back to [B, N, d]."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(16, 24)
        self.fc2 = torch.nn.Linear(24, 16)
        self.norm = torch.nn.LayerNorm(16)

    def forward(self, x):
        b, n, d = x.shape
        rows = self.norm(self.fc2(torch.nn.functional.gelu(self.fc1(x.reshape(-1, d)))))
        rows = torch.log_softmax(rows, -1)
        return 0.5 * rows.view(b, n, d) + x


class MergedHeads(torch.nn.Module):
    """Per-head token mixing written SpeechBrain's way, heads merged into the batch
    (reshape(B * h, ...), bmm), with a tanh GELU and a softmax that hm.hyper_mix does not
    cover: it runs unfused, on buffers that keep B and h as separate dimensions."""

    def __init__(self, d=16, heads=4, k_head=6):
        super().__init__()
        self.heads, self.k_head = heads, k_head
        self.w1 = torch.nn.Linear(d, heads * k_head)
        self.w2 = torch.nn.Linear(d, heads * k_head)

    def forward(self, x):
        b, n, d = x.shape
        h, k = self.heads, self.k_head
        w1 = self.w1(x).reshape(b, n, h, k).transpose(1, 2).reshape(b * h, n, k)
        w2 = self.w2(x).reshape(b, n, h, k).transpose(1, 2).reshape(b * h, n, k)
        v = x.transpose(1, 2).reshape(b * h, d // h, n)
        z = torch.nn.functional.gelu(torch.bmm(v, w1) / n, approximate="tanh")
        y = torch.bmm(torch.softmax(z, -1), w2.transpose(1, 2))  # [B*h, d_h, N]
        return y.reshape(b, d, n).transpose(1, 2)


class PaddedConvGlu(torch.nn.Module):
    """A convolution block written by hand: pointwise conv, GLU as chunk and sigmoid,
    an explicit F.pad before a depthwise conv without padding (the padded length T + 6
    crops back to T), a causal depthwise conv (padding k - 1, then y[..., :-(k - 1)]),
    then the residual."""

    def __init__(self):
        super().__init__()
        self.pointwise = torch.nn.Conv1d(16, 32, 1)
        self.depthwise = torch.nn.Conv1d(16, 16, 7, groups=16)

        self.causal = torch.nn.Conv1d(16, 16, 5, padding=4, groups=16)

    def forward(self, x):
        a, b = self.pointwise(x.transpose(1, 2)).chunk(2, dim=1)
        y = torch.nn.functional.pad(a * torch.sigmoid(b), (3, 3))
        y = self.depthwise(y)
        return x + self.causal(y)[..., :-4].transpose(1, 2)


class Einsums(torch.nn.Module):
    """Einsums outside a HyperMixing layer: a grouped per-head projection (two free
    indices on the left), a contraction over the run-time length, a sum over one
    operand's index, a batched product and an outer product (nothing contracted)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(4, 5, 4) / 2)
        self.v = torch.nn.Parameter(torch.randn(5))

    def forward(self, x):
        b, n, _ = x.shape
        g = torch.einsum("blmf,mhf->bmlh", x.reshape(b, n, 4, 4), self.w)
        s = torch.einsum("bmlh,bld->bmhd", g, x) / 16
        t = torch.einsum("bmhd->bhd", s)
        y = torch.einsum("bld,bhd->blh", x, t)
        return y + torch.einsum("bl,h->blh", x.sum(-1), self.v)


def check_index_ranges(hmc, work):
    """IndexRanges on right-padded batches; both outputs against float64."""
    name, model = "index_ranges", IndexRanges().eval()
    path = os.path.join(work, name + ".onnx")
    axes = {0: "B", 1: "N"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 5, 16), torch.tensor([5, 3])), path,
                          opset_version=14, input_names=["x", "lengths"],
                          output_names=["y", "grid"],
                          dynamic_axes={"x": axes, "lengths": {0: "B"}, "y": axes,
                                        "grid": {0: "B", 1: "N", 2: "N"}})
    out = os.path.join(work, name)
    subprocess.run([hmc, "compile", path, "-o", out, "-q"], check=True)
    failed = False
    with hmc_library.Library(os.path.join(out, f"lib{name}.so")).create() as handle:
        for batch, n in [(1, 1), (3, 7), (2, 131)]:
            x = 1.5 * torch.randn(batch, n, 16)
            lengths = torch.tensor([n] + [(row * n) // batch + 1 for row in range(1, batch)])
            with torch.no_grad():
                ref = [r.numpy() for r in model.double()(x.double(), lengths)]
            got = handle.run(x=x.numpy(), lengths=lengths.numpy())
            for key, r in zip(("y", "grid"), ref):
                err = float(np.linalg.norm(got[key] - r) / max(np.linalg.norm(r), 1e-30))
                ok = got[key].shape == r.shape and err <= 1e-5
                failed |= not ok
                print(f"{name} {key} [{batch}, {n}, 16] padded rows {batch - 1} "
                      f"rel_err={err:.2e} {'ok' if ok else 'FAIL'}")
    return failed


def check_masked(hmc, work):
    """MaskedThresholds on right-padded batches: the comparisons and the mask."""
    name, model = "masked_thresholds", MaskedThresholds().eval()
    path = os.path.join(work, name + ".onnx")
    axes = {0: "B", 1: "N"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 5, 16), torch.ones(2, 5, dtype=torch.int64)),
                          path, opset_version=14, input_names=["x", "attention_mask"],
                          output_names=["y"],
                          dynamic_axes={"x": axes, "attention_mask": axes, "y": axes})
    out = os.path.join(work, name)
    subprocess.run([hmc, "compile", path, "-o", out, "-q"], check=True)
    failed = False
    with hmc_library.Library(os.path.join(out, f"lib{name}.so")).create() as handle:
        for batch, n in [(1, 1), (3, 7), (2, 131)]:
            x = 1.5 * torch.randn(batch, n, 16)
            mask = torch.ones(batch, n, dtype=torch.int64)
            for row in range(1, batch):
                mask[row, (row * n) // batch + 1:] = 0
            with torch.no_grad():
                ref = model.double()(x.double(), mask).numpy()
            y = handle.run(x=x.numpy(), attention_mask=mask.numpy())["y"]
            err = float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
            ok = err <= 1e-5
            failed |= not ok
            print(f"{name} [{batch}, {n}, 16] padded rows {batch - 1} rel_err={err:.2e} "
                  f"{'ok' if ok else 'FAIL'}")
    return failed


def check(hmc, work, name, model, example, shapes, axes):
    path = os.path.join(work, name + ".onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), path, opset_version=14, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": axes, "y": axes})
    out = os.path.join(work, name)
    subprocess.run([hmc, "compile", path, "-o", out, "-q"], check=True)
    failed = False
    with hmc_library.Library(os.path.join(out, f"lib{name}.so")).create() as handle:
        for shape in shapes:
            x = torch.randn(*shape)
            with torch.no_grad():
                ref = model.double()(x.double()).numpy()
            y = handle.run(x=x.numpy())["y"]
            err = float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
            ok = err <= 1e-5
            failed |= not ok
            print(f"{name} {list(shape)} rel_err={err:.2e} {'ok' if ok else 'FAIL'}")
    return failed


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
    failed = check(hmc, args.work, "head", Head().eval(), torch.randn(2, 5, 16),
                   [(1, 1, 16), (3, 7, 16), (2, 131, 16)], {0: "B", 1: "N"})
    failed |= check(hmc, args.work, "conv_block", ConvBlock().eval(),
                    torch.randn(2, 8, 20), [(1, 8, 1), (3, 8, 37)], {0: "B", 2: "T"})
    failed |= check_masked(hmc, args.work)
    failed |= check_index_ranges(hmc, args.work)
    failed |= check(hmc, args.work, "merged_rows", MergedRows().eval(), torch.randn(2, 5, 16),
                    [(1, 1, 16), (3, 7, 16), (2, 131, 16)], {0: "B", 1: "N"})
    failed |= check(hmc, args.work, "einsums", Einsums().eval(), torch.randn(2, 5, 16),
                    [(1, 1, 16), (3, 7, 16), (2, 131, 16)], {0: "B", 1: "N"})
    failed |= check(hmc, args.work, "merged_heads", MergedHeads().eval(), torch.randn(2, 5, 16),
                    [(1, 1, 16), (3, 7, 16), (2, 131, 16)], {0: "B", 1: "N"})
    failed |= check(hmc, args.work, "padded_conv_glu", PaddedConvGlu().eval(),
                    torch.randn(2, 5, 16), [(1, 1, 16), (3, 7, 16), (2, 131, 16)],
                    {0: "B", 1: "N"})
    failed |= check(hmc, args.work, "computed_positions", ComputedPositions().eval(),
                    torch.randn(2, 5, 16), [(1, 1, 16), (3, 7, 16), (2, 131, 16)],
                    {0: "B", 1: "N"})
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
