#!/usr/bin/python3
"""End-to-end check of ops outside the model families' main paths, as an independent
implementation might export them: LayerNorm without affine parameters (opset 14
decomposition), Tanh, Relu, Exp, Log, the activations and norms hmc writes with its
own ops (Softplus, Mish, Elu, Selu, PRelu, ..., ReduceL2, ReduceLogSumExp, ...),
BatchNorm1d after a depthwise Conv1d and after a ReLU, conv modules between transposes
(run channels-last), comparisons (a padding mask
from `attention_mask == 0`, thresholds with >, >=, <, <=, combined with &, | and
^), run-time index ranges and sizes (a mask
from lengths, positions / length, Round, Floor, Ceil, tensors of run-time size from
torch.full and torch.zeros; sinusoidal positions computed in the forward pass with Sin,
Cos and Flatten), a feed-forward block on rows merged with x.reshape(-1, d), masked
max and min pooling with argmax and argmin, frame lengths from floor division with
remainders, dimensions derived by floor division used as data, strided slices
(ESPnet's subsampled masks, flips), a scalar input clamped, a static export of
make_pad_mask, Tensor.repeat, powers, a product with a 1-D weight, Gemm with matrix
biases, bool masks concatenated, selected and gathered, outputs that are inputs or
repeated or flattened over the tokens, on dynamic batch and length, against float64 PyTorch (relative L2 <= 1e-5;
integer outputs exactly).

  run_misc_ops.py --hmc build/bin/hmc --work DIR
"""
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
from hmc_tool import parse_driver_args  # noqa: E402
import onnx_upgrade  # noqa: E402


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


class BatchNormConvModule(torch.nn.Module):
    """A conv module as ESPnet writes it, [B, T, C] in and out: pointwise conv, GLU,
    depthwise conv, SiLU, BatchNorm (kept by the export: no conv before it) and a second
    pointwise conv, all over [B, C, T] between two transposes (hmc runs them
    channels-last)."""

    def __init__(self):
        super().__init__()
        self.pointwise1 = torch.nn.Conv1d(16, 32, 1)
        self.depthwise = torch.nn.Conv1d(16, 16, 5, padding=2, groups=16)
        self.norm = torch.nn.BatchNorm1d(16)
        self.pointwise2 = torch.nn.Conv1d(16, 16, 1)
        g = torch.Generator().manual_seed(2)
        with torch.no_grad():
            self.norm.running_mean.copy_(torch.randn(16, generator=g))
            self.norm.running_var.copy_(0.5 + torch.rand(16, generator=g))
            self.norm.weight.copy_(torch.randn(16, generator=g))
            self.norm.bias.copy_(torch.randn(16, generator=g))

    def forward(self, x):
        y = torch.nn.functional.glu(self.pointwise1(x.transpose(1, 2)), dim=1)
        y = self.norm(torch.nn.functional.silu(self.depthwise(y)))
        return self.pointwise2(y).transpose(1, 2)


class CausalConvModule(torch.nn.Module):
    """A causal conv module after a stride-2 subsampling conv: F.pad on the left of
    the subsampled (derived) length, then an unpadded depthwise conv that crops it
    back, so the conv sees the derived length only through its padded form."""

    def __init__(self):
        super().__init__()
        self.subsample = torch.nn.Conv1d(16, 16, 3, stride=2, padding=1)
        self.pointwise1 = torch.nn.Conv1d(16, 32, 1)
        self.depthwise = torch.nn.Conv1d(16, 16, 5, groups=16)
        self.pointwise2 = torch.nn.Conv1d(16, 16, 1)

    def forward(self, x):
        y = torch.nn.functional.glu(self.pointwise1(self.subsample(x.transpose(1, 2))), dim=1)
        y = torch.nn.functional.silu(self.depthwise(torch.nn.functional.pad(y, (4, 0))))
        return self.pointwise2(y).transpose(1, 2)


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


class Repeats(torch.nn.Module):
    """Tensor.repeat (ONNX Tile): a unit axis repeated (a broadcast) and a static axis
    tiled (copies), joined with the rest of the features."""

    def forward(self, x):
        first = x[..., :1].repeat(1, 1, 8)
        tiled = x[..., :4].repeat(1, 1, 2)
        return torch.cat([first * tiled, x[..., 8:]], -1)


class Powers(torch.nn.Module):
    """Pow with a constant exponent (x ** 3), an integer one (x ** tensor(2)) and a
    run-time one, and a product with a constant vector (MatMul by a 1-D weight)."""

    def __init__(self):
        super().__init__()
        self.v = torch.nn.Parameter(torch.randn(16))

    def forward(self, x):
        base = x.abs() + 0.5
        scores = x @ self.v
        return x.pow(3) + x ** torch.tensor(2) + torch.pow(base, x) + scores.unsqueeze(-1)


class MatrixBiases(torch.nn.Module):
    """torch.addmm with a bias per element ([M, N]) and per row ([M, 1]), scaled by
    beta and alpha (ONNX Gemm with C of those shapes)."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(4, 5))
        self.per_element = torch.nn.Parameter(torch.randn(3, 5))
        self.per_row = torch.nn.Parameter(torch.randn(3, 1))

    def forward(self, x):
        return (torch.addmm(self.per_element, x, self.w, beta=0.5, alpha=2.0) +
                torch.addmm(self.per_row, x, self.w))


class BoolPlumbing(torch.nn.Module):
    """Masks moved around as bools: concatenated, selected with torch.where and
    gathered by index lists, then used as numbers."""

    def forward(self, x):
        positive = x > 0
        joined = torch.cat([positive[..., 8:], positive[..., :8]], -1)
        chosen = torch.where(x.sum(-1, keepdim=True) > 0, joined, ~positive)
        picked = positive[..., [0, 2, 5, 7]].repeat(1, 1, 4)
        return x * chosen.to(x.dtype) + picked.to(x.dtype)


class Passthrough(torch.nn.Module):
    """Outputs without a computation of their own: the input itself, and one
    result returned twice."""

    def forward(self, x):
        y = torch.relu(x)
        return x, y, y


class MaskedPooling(torch.nn.Module):
    """Classifier-style pooling over valid tokens by max (masked_fill with -1e9, then
    max(dim=1): ReduceMax plus ArgMax) and by min (amin with keepdim: ReduceMin), the
    argmin over tokens, and per-token argmax over features on a grid of halves, where
    ties are common and the first index must win."""

    def forward(self, x, attention_mask):
        padded = (attention_mask == 0).unsqueeze(-1)
        high, where = x.masked_fill(padded, -1e9).max(dim=1)
        low = x.masked_fill(padded, 1e9).amin(dim=1, keepdim=True)
        lowest = torch.argmin(x, dim=1, keepdim=True)
        tokens = torch.argmax(torch.round(2 * x), dim=-1)
        return high + low.squeeze(1), where, lowest, tokens


class SqueezedFirstToken(torch.nn.Module):
    """First-token pooling as x[:, :1].squeeze(1): over a dynamic N torch 1.13 writes
    the squeeze as an If on shape[1] == 1, whose taken branch hmc imports."""

    def forward(self, x):
        return torch.tanh(x[:, :1].squeeze(1))


class GatheredEntries(torch.nn.Module):
    """torch.gather (ONNX GatherElements): last-token pooling at the mask's token count,
    x.gather(1, last.view(-1, 1, 1).expand(-1, 1, d)) squeezed, and each token's
    largest feature picked at its argmax along the last axis."""

    def forward(self, x, attention_mask):
        last = (attention_mask.sum(1) - 1).clamp(min=0)
        pooled = x.gather(1, last.view(-1, 1, 1).expand(-1, 1, x.size(2))).squeeze(1)
        return pooled, x.gather(2, x.argmax(dim=2, keepdim=True))


class FlattenedOutputs(torch.nn.Module):
    """Outputs whose dimension merges the tokens with static sizes: a projection
    flattened to [B, N*12], heads split and moved ahead of the tokens then merged
    back into [B, 4, N*3], a merge that is an output and also feeds a scaled ReLU,
    a class token joined before the tokens (N + 1 rows), the tokens joined twice
    (2N rows), and an einsum of the merged rows."""

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 12)
        self.cls = torch.nn.Parameter(torch.randn(1, 1, 16))

    def forward(self, x):
        b = x.size(0)
        y = self.fc(x)
        heads = y.view(b, -1, 4, 3).transpose(1, 2).reshape(b, 4, -1)
        flat = x.reshape(b, -1)
        with_cls = torch.flatten(torch.cat([self.cls.expand(b, 1, 16), x], 1), 1)
        doubled = torch.flatten(torch.cat([x, x], 1), 1)
        outer = torch.einsum("bk,bk->kb", flat, flat)
        return (torch.flatten(y, 1), heads, 2 * torch.relu(flat), flat, with_cls, doubled,
                outer)


class ClampedCountPooling(torch.nn.Module):
    """Mean pooling divided by the int64 token count clamped to at least 1 (Clip on
    int64), so that a row of padding only pools to 0, and the count clamped to [1, 4]
    as an output of its own."""

    def forward(self, x, attention_mask):
        count = attention_mask.sum(1, keepdim=True).clamp(min=1)
        pooled = (x * attention_mask.unsqueeze(-1)).sum(1) / count
        return pooled, count.clamp(min=1, max=4)


class SubsampledLengths(torch.nn.Module):
    """Frame lengths after two stride-2 convolutions computed ESPnet's way, with
    torch.div(..., rounding_mode="floor") (exported as Div, Mod, Where), a padding mask
    from them, then remainders of data: torch.fmod of floats (Mod fmod = 1), floor
    remainders of floats (Floor) and of negative integers (Mod fmod = 0), and Abs
    and Neg of floats and integers."""

    def forward(self, x, lengths):
        frames = torch.div(lengths - 1, 2, rounding_mode="floor") + 1
        frames = torch.div(frames - 1, 2, rounding_mode="floor") + 1
        n = x.size(1)
        valid = torch.arange(n).expand(x.size(0), n) < frames.unsqueeze(1)
        # Quarters are exact in float32, so remainders agree with float64.
        q = torch.round(4 * x) / 4 * valid.unsqueeze(-1).to(x.dtype)
        y = torch.fmod(3 * q, 0.75) + torch.remainder(q, 0.5) + torch.abs(q - 0.25)
        shifted = lengths - 4
        magnitude = 2 * torch.abs(shifted) + torch.neg(shifted)
        return y, frames, shifted % 3, torch.fmod(shifted, 3), magnitude


class StridedSlices(torch.nn.Module):
    """Strided slices: two stride-2 convolutions with the padding mask subsampled
    ESPnet's way, x_mask[:, :, :-2:2][:, :, :-2:2], frames from 1 by 3 to the end,
    torch.flip of the features (step -1) and every other feature."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(16, 16, 3, stride=2)
        self.conv2 = torch.nn.Conv1d(16, 16, 3, stride=2)

    def forward(self, x, attention_mask):
        mask = (attention_mask == 1).unsqueeze(1)
        h = torch.relu(self.conv2(torch.relu(self.conv1(x.transpose(1, 2)))))
        subsampled = mask[:, :, :-2:2][:, :, :-2:2]
        y = h.transpose(1, 2) * subsampled.transpose(1, 2).to(x.dtype)
        return y, x[:, 1::3], torch.flip(x, [2]) + x[..., 1::2].sum(-1, keepdim=True)


class Reversals(torch.nn.Module):
    """torch.flip of the dynamic token axis: alone, with a static axis in the same
    Slice, around a cumulative sum (a running sum from the end), and of a slice
    of it (a length derived from N)."""

    def forward(self, x):
        from_end = torch.flip(torch.cumsum(torch.flip(x, [1]), 1), [1])
        tail = torch.flip(x[:, 2:], [1])
        weights = torch.arange(1, 16 + 1, dtype=x.dtype)
        return (torch.flip(x, [1]) + 0.5 * torch.flip(x, [2, 1]) + 0.1 * from_end,
                (tail * weights).cumsum(1)[:, -1])


class FeatureBlock(torch.nn.Module):
    """A pre-LN residual feature MLP, exported as an ONNX local function."""

    def __init__(self):
        super().__init__()
        self.norm = torch.nn.LayerNorm(16)
        self.up = torch.nn.Linear(16, 24)
        self.down = torch.nn.Linear(24, 16)

    def forward(self, x):
        return x + self.down(torch.nn.functional.gelu(self.up(self.norm(x))))


class ModuleFunctions(torch.nn.Module):
    """Two calls of one block function (torch's export_modules_as_functions), then a
    residual outside them."""

    def __init__(self):
        super().__init__()
        self.first = FeatureBlock()
        self.second = FeatureBlock()

    def forward(self, x):
        return self.second(self.first(x)) - 0.5 * x


class ScalarClip(torch.nn.Module):
    """A scalar (rank-0) input clamped, as a gain and as an output of its own."""

    def forward(self, x, gain):
        g = torch.clamp(gain, -0.5, 0.5)
        return x * g, g


class StaticPadMask(torch.nn.Module):
    """make_pad_mask exported with static shapes: torch writes expand's sizes as
    Where(Equal(sizes, ones * -1), ones, sizes) over constants."""

    def forward(self, x, lengths):
        t = torch.arange(0, x.size(1), dtype=torch.int64)
        pad = t.unsqueeze(0).expand(lengths.size(0), x.size(1)) >= lengths.unsqueeze(-1)
        return x.masked_fill(pad.unsqueeze(-1), 0.0)


class DerivedLengthsAsData(torch.nn.Module):
    """Lengths clamped to the frames a stride-2 layer keeps, (T - 1) // 2 + 1, and T // 3
    used as float data: dimensions derived from T by floor division, as values."""

    def forward(self, x, lengths):
        frames = (x.size(1) - 1) // 2 + 1
        kept = torch.minimum(lengths, torch.full_like(lengths, frames))
        return kept, x * (x.size(1) // 3)


class Activations(torch.nn.Module):
    """Activations and reductions exported as single ONNX ops that hmc writes with
    its elementwise and reduction ops: Softplus, Softsign, HardSigmoid, HardSwish,
    Mish (Softplus and Tanh at opset 14), Elu, Selu, Celu, Sign and PRelu; and the
    L1 and L2 norms, the sum of squares and log-sum-exp over features."""

    def __init__(self):
        super().__init__()
        self.prelu = torch.nn.PReLU(16, init=0.1)
        with torch.no_grad():
            self.prelu.weight.copy_(torch.linspace(-0.5, 0.5, 16))

    def forward(self, x):
        f = torch.nn.functional
        y = (f.softplus(x) + f.softsign(x) + f.hardsigmoid(x) + f.hardswish(x) +
             f.mish(x) + f.elu(x, 0.7) + f.selu(x) + f.celu(30 * x, 1.3) / 30 +
             torch.sign(x) +
             self.prelu(x.transpose(1, 2)).transpose(1, 2))
        norms = torch.cat([x.abs().sum(-1, keepdim=True),
                           torch.linalg.vector_norm(x, dim=-1, keepdim=True),
                           (x * x).sum(-1, keepdim=True),
                           torch.logsumexp(8 * x, dim=-1, keepdim=True)], -1)
        return y, norms


class GlobalPools(torch.nn.Module):
    """Pooling heads written with adaptive pools of output size 1 (ONNX
    GlobalAveragePool and GlobalMaxPool): over the tokens of [B, d, N], and over
    a 2-D [B, 4, N, 4] map."""

    def forward(self, x):
        f = torch.nn.functional
        channels = x.transpose(1, 2)
        grid = x.reshape(x.size(0), x.size(1), 4, 4).transpose(1, 2)
        pooled = f.adaptive_avg_pool1d(channels, 1) - f.adaptive_max_pool1d(channels, 1)
        return pooled.squeeze(-1), f.adaptive_max_pool2d(grid, 1) + f.adaptive_avg_pool2d(grid, 1)


class RunningSums(torch.nn.Module):
    """Running sums (ONNX CumSum): RoBERTa's position ids from the attention mask,
    cumsum(mask) * mask + padding index, picking learned positions (arange(1, N + 1)
    counts the tokens); running means over the tokens and running sums over the
    features."""

    def __init__(self):
        super().__init__()
        self.positions = torch.nn.Embedding(200, 16, padding_idx=1)

    def forward(self, x, attention_mask):
        mask = attention_mask.int()
        ids = (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + 1
        count = torch.arange(1, x.size(1) + 1, dtype=x.dtype).unsqueeze(-1)
        means = torch.cumsum(x, dim=1) / count
        return x + self.positions(ids), means - torch.cumsum(x, dim=2), ids


class SliceAssignments(torch.nn.Module):
    """Slice assignments, which torch exports as ScatterND: sinusoids written into a
    zero table of the run-time length (pe[:, 0::2] = sin, pe[:, 1::2] = cos), and rows
    of a summary tensor set from the first and the last token (t[:, 1] = x[:, 0])."""

    def forward(self, x):
        n, d = x.size(1), x.size(2)
        position = torch.arange(n, dtype=x.dtype).unsqueeze(1)
        frequency = torch.exp(torch.arange(0, d, 2, dtype=x.dtype) * (-math.log(1e4) / d))
        pe = torch.zeros(n, d)
        pe[:, 0::2] = torch.sin(position * frequency)
        pe[:, 1::2] = torch.cos(position * frequency)
        summary = torch.zeros(x.size(0), 3, d)
        summary[:, 1] = x[:, 0]
        summary[:, -1] = 2 * x[:, -1]
        return x + pe, summary


class Pools(torch.nn.Module):
    """Windowed pools over tokens (ONNX MaxPool and AveragePool): max over 3 with
    stride 2 and padding, a dilated max, averages with and without the padding
    counted, and 2-D pools over a [B, 4, N, 4] map."""

    def forward(self, x):
        f = torch.nn.functional
        channels = x.transpose(1, 2)
        pooled = (f.max_pool1d(channels, 3, stride=2, padding=1) +
                  f.avg_pool1d(channels, 3, stride=2, padding=1, count_include_pad=False) +
                  f.avg_pool1d(channels, 3, stride=2, padding=1))
        dilated = f.max_pool1d(channels, 2, stride=1, dilation=2)
        grid = x.reshape(x.size(0), x.size(1), 4, 4).transpose(1, 2)
        maps = (f.max_pool2d(grid, (3, 2), stride=(1, 2), padding=(1, 0)) +
                f.avg_pool2d(grid, 3, stride=(1, 2), padding=1, count_include_pad=False))
        return pooled.transpose(1, 2), dilated.transpose(1, 2), maps


class TorchAttention(torch.nn.Module):
    """torch's own nn.MultiheadAttention with a key padding mask: the export merges
    the heads into the batch and fills the additive mask as [B * heads, 1, N]."""

    def __init__(self):
        super().__init__()
        self.attention = torch.nn.MultiheadAttention(16, 4, batch_first=True)

    def forward(self, x, attention_mask):
        return self.attention(x, x, x, key_padding_mask=attention_mask == 0,
                              need_weights=False)[0]


class GroupNorms(torch.nn.Module):
    """Normalisations over time per channel group (torch exports both through
    ONNX InstanceNormalization): GroupNorm(4, 16) and InstanceNorm1d with affine
    parameters on [B, 16, N]."""

    def __init__(self):
        super().__init__()
        self.group = torch.nn.GroupNorm(4, 16)
        self.instance = torch.nn.InstanceNorm1d(16, affine=True, eps=1e-3)
        with torch.no_grad():
            for norm in (self.group, self.instance):
                norm.weight.copy_(torch.linspace(0.5, 1.5, 16))
                norm.bias.copy_(torch.linspace(-0.3, 0.3, 16))

    def forward(self, x):
        channels = x.transpose(1, 2)
        return (self.group(channels) + self.instance(3 * channels + 1)).transpose(1, 2)


def padded_mask(batch, n, dtype=torch.int64):
    """1 for real tokens; row r > 0 keeps its first r * n / batch + 1."""
    mask = torch.ones(batch, n, dtype=dtype)
    for row in range(1, batch):
        mask[row, (row * n) // batch + 1:] = 0
    return mask


def lengths_of(batch, n):
    return padded_mask(batch, n).sum(-1)


def check(hmc, work, name, model, make_inputs, sizes, axes, outputs=("y",),
          example=(2, 5), opset=14, **export_options):
    """Exports `model` (opset 14 unless given, with any further torch.onnx.export
    options) with make_inputs(*example) as the example, compiles it, and compares
    every output at each (batch, n) of `sizes` against the float64 model: floats by
    relative L2 <= 1e-5, integers exactly."""
    path = os.path.join(work, name + ".onnx")
    example = make_inputs(*example)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(example.values()), path,
                          opset_version=onnx_upgrade.export_opset(opset),
                          input_names=list(example), output_names=list(outputs),
                          dynamic_axes=axes, **export_options)
    onnx_upgrade.upgrade(path, opset)
    out = os.path.join(work, name)
    subprocess.run([hmc, "compile", path, "-o", out, "-q"], check=True)
    failed = False
    with hmc_library.Library(os.path.join(out, f"lib{name}.so")).create() as handle:
        for batch, n in sizes:
            inputs = make_inputs(batch, n)
            with torch.no_grad():
                ref = model.double()(*[t.double() if t.is_floating_point() else t
                                       for t in inputs.values()])
            ref = ref if isinstance(ref, tuple) else (ref,)
            got = handle.run(**{key: t.numpy() for key, t in inputs.items()})
            shape = list(next(iter(inputs.values())).shape)
            for key, r in zip(outputs, (r.numpy() for r in ref)):
                if np.issubdtype(r.dtype, np.integer):
                    mismatches = int(np.sum(got[key] != r)) if got[key].shape == r.shape \
                        else r.size
                    ok = mismatches == 0
                    measure = f"mismatches={mismatches}"
                else:
                    err = float(np.linalg.norm(got[key] - r) /
                                max(np.linalg.norm(r), 1e-30))
                    ok = got[key].shape == r.shape and err <= 1e-5
                    measure = f"rel_err={err:.2e}"
                failed |= not ok
                print(f"{name} {key} {shape} {measure} {'ok' if ok else 'FAIL'}")
    return failed


def main():
    args = parse_driver_args(__doc__)
    hmc = args.hmc
    os.makedirs(args.work, exist_ok=True)
    torch.manual_seed(0)
    tokens = {0: "B", 1: "N"}
    sizes = [(1, 1), (3, 7), (2, 131)]

    def x_only(batch, n):
        return {"x": torch.randn(batch, n, 16)}

    def x_mask(batch, n):
        return {"x": 1.5 * torch.randn(batch, n, 16), "attention_mask": padded_mask(batch, n)}

    def x_mask_empty_row(batch, n):
        inputs = x_mask(batch, n)
        if batch > 1:
            inputs["attention_mask"][-1] = 0
        return inputs

    def x_lengths(batch, n):
        return {"x": 1.5 * torch.randn(batch, n, 16), "lengths": lengths_of(batch, n)}

    x_axes = {"x": tokens, "y": tokens}
    batch_only = {0: "B"}
    failed = False
    for name, model in [("head", Head()), ("merged_rows", MergedRows()),
                        ("einsums", Einsums()), ("merged_heads", MergedHeads()),
                        ("padded_conv_glu", PaddedConvGlu()),
                        ("batch_norm_conv_module", BatchNormConvModule()),
                        ("computed_positions", ComputedPositions()),
                        ("repeats", Repeats()), ("powers", Powers()),
                        ("bool_plumbing", BoolPlumbing())]:
        failed |= check(hmc, args.work, name, model.eval(), x_only, sizes, x_axes)
    failed |= check(hmc, args.work, "causal_conv_module", CausalConvModule().eval(), x_only,
                    sizes, {"x": tokens, "y": {0: "B", 1: "N_1"}})
    failed |= check(hmc, args.work, "activations", Activations().eval(), x_only, sizes,
                    {"x": tokens, "y": tokens, "norms": tokens}, outputs=("y", "norms"))
    # torch refuses instance norms over a single element: at least 2 tokens.
    failed |= check(hmc, args.work, "group_norms", GroupNorms().eval(), x_only,
                    [(1, 2), (3, 7), (2, 131)], x_axes)
    failed |= check(hmc, args.work, "global_pools", GlobalPools().eval(), x_only, sizes,
                    {"x": tokens, "y": {0: "B"}, "grid": {0: "B"}}, outputs=("y", "grid"))
    # Opset 18 moved the reductions' axes into an input; torch's dynamo exporter writes 22.
    failed |= check(hmc, args.work, "activations_op22", Activations().eval(), x_only, sizes,
                    {"x": tokens, "y": tokens, "norms": tokens}, outputs=("y", "norms"),
                    opset=22)
    failed |= check(hmc, args.work, "global_pools_op22", GlobalPools().eval(), x_only, sizes,
                    {"x": tokens, "y": {0: "B"}, "grid": {0: "B"}}, outputs=("y", "grid"),
                    opset=22)
    failed |= check(hmc, args.work, "running_sums", RunningSums().eval(), x_mask, sizes,
                    {"x": tokens, "attention_mask": tokens, "y": tokens, "sums": tokens,
                     "ids": tokens}, outputs=("y", "sums", "ids"))
    failed |= check(hmc, args.work, "conv_block", ConvBlock().eval(),
                    lambda batch, n: {"x": torch.randn(batch, 8, n)},
                    [(1, 1), (3, 37)], {"x": {0: "B", 2: "T"}, "y": {0: "B", 2: "T"}})
    failed |= check(hmc, args.work, "passthrough", Passthrough().eval(), x_only, sizes,
                    {"x": tokens, "same": tokens, "y": tokens, "again": tokens},
                    outputs=("same", "y", "again"))
    failed |= check(hmc, args.work, "matrix_biases", MatrixBiases().eval(),
                    lambda batch, n: {"x": torch.randn(3, 4)}, [(3, 4)], {})
    failed |= check(hmc, args.work, "slice_assignments", SliceAssignments().eval(), x_only,
                    sizes, {"x": tokens, "y": tokens, "summary": {0: "B"}},
                    outputs=("y", "summary"))
    failed |= check(hmc, args.work, "pools", Pools().eval(), x_only,
                    [(1, 3), (3, 8), (2, 131)],
                    {"x": tokens, "y": {0: "B", 1: "N_1"}, "dilated": {0: "B", 1: "N_2"},
                     "maps": {0: "B", 2: "N"}},
                    outputs=("y", "dilated", "maps"), example=(2, 9))
    failed |= check(hmc, args.work, "module_functions", ModuleFunctions().eval(), x_only,
                    sizes, x_axes, opset=15,
                    export_modules_as_functions={FeatureBlock})
    failed |= check(hmc, args.work, "reversals", Reversals().eval(), x_only,
                    [(1, 3), (3, 7), (2, 131)], {"x": tokens, "y": tokens, "tail": {0: "B"}},
                    outputs=("y", "tail"))
    failed |= check(hmc, args.work, "torch_attention", TorchAttention().eval(), x_mask, sizes,
                    {"x": tokens, "attention_mask": tokens, "y": tokens})
    failed |= check(hmc, args.work, "masked_thresholds", MaskedThresholds().eval(), x_mask,
                    sizes, {"x": tokens, "attention_mask": tokens, "y": tokens})
    failed |= check(hmc, args.work, "index_ranges", IndexRanges().eval(), x_lengths, sizes,
                    {"x": tokens, "lengths": {0: "B"}, "y": tokens,
                     "grid": {0: "B", 1: "N", 2: "N"}}, outputs=("y", "grid"))
    failed |= check(hmc, args.work, "strided_slices", StridedSlices().eval(), x_mask,
                    [(1, 7), (3, 37), (2, 131)],
                    {"x": tokens, "attention_mask": tokens, "y": {0: "B", 1: "N_4"},
                     "every_third": {0: "B", 1: "N_3"}, "flipped": tokens},
                    outputs=("y", "every_third", "flipped"), example=(2, 9))
    failed |= check(hmc, args.work, "scalar_clip", ScalarClip().eval(),
                    lambda batch, n: {"x": torch.randn(batch, n, 16),
                                      "gain": torch.tensor(0.3 - 0.1 * n)},
                    sizes, {"x": tokens, "y": tokens}, outputs=("y", "gain_clamped"))
    failed |= check(hmc, args.work, "static_pad_mask", StaticPadMask().eval(), x_lengths,
                    [(2, 11)], {}, example=(2, 11))
    failed |= check(hmc, args.work, "derived_lengths_as_data", DerivedLengthsAsData().eval(),
                    x_lengths, sizes, {"x": tokens, "lengths": batch_only, "kept": batch_only,
                                       "scaled": tokens}, outputs=("kept", "scaled"))
    failed |= check(hmc, args.work, "masked_pooling", MaskedPooling().eval(), x_mask, sizes,
                    {"x": tokens, "attention_mask": tokens, "pooled": {0: "B"},
                     "where": {0: "B"}, "lowest": {0: "B"}, "tokens": tokens},
                    outputs=("pooled", "where", "lowest", "tokens"))
    failed |= check(hmc, args.work, "squeezed_first_token", SqueezedFirstToken().eval(),
                    x_only, sizes, {"x": tokens, "y": {0: "B"}})
    failed |= check(hmc, args.work, "gathered_entries", GatheredEntries().eval(), x_mask,
                    sizes, {"x": tokens, "attention_mask": tokens, "pooled": {0: "B"},
                            "peak": tokens}, outputs=("pooled", "peak"))
    flattened = ("y", "heads", "gated", "flat", "with_cls", "doubled", "outer")
    failed |= check(hmc, args.work, "flattened_outputs", FlattenedOutputs().eval(), x_only,
                    sizes, {"x": tokens, "heads": {0: "B", 2: "M"}, "outer": {0: "M", 1: "B"},
                            **{name: {0: "B", 1: "M"} for name in flattened
                               if name not in ("heads", "outer")}},
                    outputs=flattened)
    failed |= check(hmc, args.work, "clamped_count_pooling", ClampedCountPooling().eval(),
                    x_mask_empty_row, sizes,
                    {"x": tokens, "attention_mask": tokens, "pooled": {0: "B"},
                     "count": {0: "B"}}, outputs=("pooled", "count"))
    failed |= check(hmc, args.work, "subsampled_lengths", SubsampledLengths().eval(),
                    x_lengths, sizes,
                    {"x": tokens, "lengths": batch_only, "y": tokens, "frames": batch_only,
                     "floored": batch_only, "truncated": batch_only, "magnitude": batch_only},
                    outputs=("y", "frames", "floored", "truncated", "magnitude"))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
