"""PyTorch reference for the HyperConformer and Conformer speech encoders
(shared/design/MODELS.md), from normalised filterbank features to CTC log-probs.

    feats [B, T, 80] -> global mean/variance normalisation (model weights)
      -> 2 conv blocks: reflect pad 1 (time, freq), Conv2d 3x3 stride 2, LayerNorm over
         (freq, channels), LeakyReLU(0.01); T -> ceil(T/2) -> ceil(T/4), 80 -> 40 -> 20
      -> Linear(20*32, d)
      -> L layers: x += 0.5 FFN1(x); x += Mixing(LN(x)); x += Conv(x); x = LN(x + 0.5 FFN2(x))
      -> LayerNorm (eps 1e-6) -> Linear(d, vocab) -> log_softmax
Mixing is 8-head HyperMixing (hypermixing_models.MultiHeadHyperMixing) for the
HyperConformer and multi-head self-attention for the Conformer, either plain or with
Transformer-XL relative positions as SpeechBrain's Conformer recipe has them (RelPosEncXL,
RelPosMHAXL) or as ESPnet's has them (RelPositionalEncoding, RelPositionMultiHeadedAttention).
Inputs: feats, and optionally key_padding_mask [B, ceil(T/4)] bool (True = padded frame).
"""
import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import onnx_upgrade
from hypermixing_models import MultiHeadHyperMixing


class ConvBlock(nn.Module):
    def __init__(self, c_in, c_out, freq_out):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=2)
        self.norm = nn.LayerNorm([freq_out, c_out], eps=1e-5)

    def forward(self, x):  # x [B, T, F, C] channels last
        x = x.permute(0, 3, 1, 2)  # [B, C, T, F]
        x = F.pad(x, (1, 1, 1, 1), mode="reflect")
        x = self.conv(x).permute(0, 2, 3, 1)  # [B, T', F', C']
        return F.leaky_relu(self.norm(x), 0.01)


class FeedForward(nn.Module):
    def __init__(self, d, d_ffn):
        super().__init__()
        self.norm = nn.LayerNorm(d, eps=1e-5)
        self.fc1 = nn.Linear(d, d_ffn)
        self.fc2 = nn.Linear(d_ffn, d)

    def forward(self, x):
        return self.fc2(F.silu(self.fc1(self.norm(x))))


class ConvModule(nn.Module):
    def __init__(self, d, kernel=31):
        super().__init__()
        self.norm = nn.LayerNorm(d, eps=1e-5)
        self.pointwise = nn.Conv1d(d, 2 * d, 1)
        self.depthwise = nn.Conv1d(d, d, kernel, padding=kernel // 2, groups=d)
        self.after_norm = nn.LayerNorm(d, eps=1e-5)
        self.out = nn.Linear(d, d)

    def forward(self, x, key_padding_mask=None):
        y = self.norm(x).transpose(1, 2)  # [B, d, T]
        y = F.glu(self.pointwise(y), dim=1)
        y = self.depthwise(y).transpose(1, 2)  # [B, T, d]
        y = self.out(F.silu(self.after_norm(y)))
        if key_padding_mask is not None:
            y = y.masked_fill(key_padding_mask.unsqueeze(-1), 0.0)
        return y


class SelfAttention(nn.Module):
    """Multi-head self-attention written out (Softmax), the Conformer baseline."""

    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.d_h = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)

    def forward(self, x, key_padding_mask=None):
        B, T, d = x.shape
        q, k, v = self.qkv(x).reshape(B, T, 3, self.heads, self.d_h).permute(2, 0, 3, 1, 4)
        scores = torch.matmul(q, k.transpose(-1, -2)) / self.d_h ** 0.5
        if key_padding_mask is not None:
            scores = scores.masked_fill(key_padding_mask[:, None, None, :], -1e9)
        y = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out(y.transpose(1, 2).reshape(B, T, d))


class RelativePositions(nn.Module):
    """SpeechBrain's RelPosEncXL: sinusoids of the 2T - 1 relative positions T - 1 .. -(T - 1)
    for the run-time length T, [1, 2T - 1, d], built the way SpeechBrain writes it (slice
    assignments into a zero tensor, a flip, a concatenation along T)."""

    def __init__(self, d):
        super().__init__()
        self.d = d
        self.register_buffer("inv_freq", torch.exp(
            torch.arange(0, d, 2, dtype=torch.float32) * -(math.log(10000.0) / d)))

    def forward(self, x):
        T = x.size(1)
        both = torch.zeros((2, T, self.d), dtype=x.dtype)
        past, future = both[0], both[1]
        positions = torch.arange(0, T, dtype=x.dtype).unsqueeze(-1)
        sinusoids = torch.sin(positions * self.inv_freq)
        past[:, 0::2] = sinusoids
        past[:, 1::2] = torch.cos(positions * self.inv_freq)
        future[:, 0::2] = sinusoids
        future[:, 1::2] = torch.cos(-positions * self.inv_freq)
        past = torch.flip(past, (0,)).unsqueeze(0)
        future = future[1:].unsqueeze(0)
        return torch.cat([past, future], dim=1)


class StoredRelativePositions(nn.Module):
    """ESPnet's RelPositionalEncoding: a stored table of the relative positions
    max_len - 1 .. -(max_len - 1), [1, 2 max_len - 1, d], whose middle 2T - 1 rows the
    run-time length T selects (the window's start, c - T + 1, moves with T)."""

    def __init__(self, d, max_len):
        super().__init__()
        positions = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
        inv_freq = torch.exp(torch.arange(0, d, 2, dtype=torch.float32)
                             * -(math.log(10000.0) / d))
        past, future = torch.zeros(max_len, d), torch.zeros(max_len, d)
        past[:, 0::2] = torch.sin(positions * inv_freq)
        past[:, 1::2] = torch.cos(positions * inv_freq)
        future[:, 0::2] = torch.sin(-positions * inv_freq)
        future[:, 1::2] = torch.cos(-positions * inv_freq)
        self.register_buffer(
            "pe", torch.cat([torch.flip(past, [0]), future[1:]], 0).unsqueeze(0))

    def forward(self, x):
        c = self.pe.size(1) // 2
        return self.pe[:, c - x.size(1) + 1: c + x.size(1)]


class RelativeSelfAttention(nn.Module):
    """Content scores plus position scores against the projected relative sinusoids,
    aligned by a pad-reshape-slice "relative shift": SpeechBrain's RelPosMHAXL, or with
    style="espnet" ESPnet's RelPositionMultiHeadedAttention (the shift's pad a
    concatenated zero column, the padded scores filled with float32's lowest value and
    their weights zeroed after the softmax)."""

    def __init__(self, d, heads, style="speechbrain"):
        super().__init__()
        self.style = style
        self.heads, self.d_h = heads, d // heads
        self.qkv = nn.Linear(d, 3 * d)
        self.linear_pos = nn.Linear(d, d, bias=False)
        self.pos_bias_u = nn.Parameter(torch.empty(self.d_h, heads))
        self.pos_bias_v = nn.Parameter(torch.empty(self.d_h, heads))
        self.out = nn.Linear(d, d)
        self.scale = 1 / math.sqrt(d)

    def rel_shift(self, x):
        if self.style == "espnet":
            zero_pad = torch.zeros((*x.size()[:3], 1), dtype=x.dtype)
            padded = torch.cat([zero_pad, x], dim=-1)
            padded = padded.view(*x.size()[:2], x.size(3) + 1, x.size(2))
            return padded[:, :, 1:].view_as(x)[:, :, :, : x.size(-1) // 2 + 1]
        b, h, qlen, pos_len = x.size()  # pos_len = 2 qlen - 1
        x = F.pad(x, pad=(1, 0))
        x = x.view(b, h, -1, qlen)
        x = x[:, :, 1:].view(b, h, qlen, pos_len)
        return x[..., : pos_len // 2 + 1]

    def forward(self, x, pos_embs, key_padding_mask=None):
        B, T, d = x.shape
        q, k, v = self.qkv(x).view(B, -1, self.heads, self.d_h * 3).chunk(3, dim=-1)
        p_k = self.linear_pos(pos_embs).view(1, -1, self.heads, self.d_h)
        q_u = (q + self.pos_bias_u.view(1, 1, self.heads, self.d_h)).transpose(1, 2)
        q_v = (q + self.pos_bias_v.view(1, 1, self.heads, self.d_h)).transpose(1, 2)
        content = torch.matmul(q_u * self.scale, k.permute(0, 2, 3, 1))
        position = self.rel_shift(torch.matmul(q_v * self.scale, p_k.permute(0, 2, 3, 1)))
        scores = content + position
        if key_padding_mask is None:
            weights = F.softmax(scores, dim=-1)
        elif self.style == "espnet":
            mask = key_padding_mask.view(B, 1, 1, T)
            scores = scores.masked_fill(mask, torch.finfo(scores.dtype).min)
            weights = F.softmax(scores, dim=-1).masked_fill(mask, 0.0)
        else:
            scores = scores.masked_fill(key_padding_mask.view(B, 1, 1, T), float("-inf"))
            weights = F.softmax(scores, dim=-1)
        y = torch.matmul(weights, v.transpose(1, 2))
        return self.out(y.transpose(1, 2).reshape(B, T, d))


class EncoderLayer(nn.Module):
    def __init__(self, d, d_ffn, heads, mixing, max_len, positions):
        super().__init__()
        self.ffn1 = FeedForward(d, d_ffn)
        self.mix_norm = nn.LayerNorm(d, eps=1e-5)
        if mixing == "hypermixing":
            self.mixing = MultiHeadHyperMixing(d, d_ffn, heads=heads, max_len=max_len,
                                               positions=positions)
        elif mixing.startswith("relative_attention"):
            self.mixing = RelativeSelfAttention(
                d, heads, "espnet" if mixing.endswith("espnet") else "speechbrain")
        else:
            self.mixing = SelfAttention(d, heads)
        self.conv = ConvModule(d)
        self.ffn2 = FeedForward(d, d_ffn)
        self.norm = nn.LayerNorm(d, eps=1e-5)

    def forward(self, x, key_padding_mask=None, pos_embs=None):
        x = x + 0.5 * self.ffn1(x)
        y = self.mix_norm(x)
        if pos_embs is None:
            x = x + self.mixing(y, key_padding_mask)
        else:
            x = x + self.mixing(y, pos_embs, key_padding_mask)
        x = x + self.conv(x, key_padding_mask)
        return self.norm(x + 0.5 * self.ffn2(x))


class SpeechEncoder(nn.Module):
    """forward(feats [B,T,80], key_padding_mask [B,ceil(T/4)] bool, optional)
    -> log_probs [B, ceil(T/4), vocab].

    With padding="relative" the second input is wav_lens [B] float, each row's length
    relative to T, and the mask is built in the graph as SpeechBrain's encoder does:
    abs_len = round(wav_lens * T'), frames from abs_len on are padded. positions="computed"
    makes each HyperMixing layer compute its sinusoids for the run-time length instead of
    slicing a stored table."""

    def __init__(self, d=144, d_ffn=576, layers=10, heads=8, vocab=5000,
                 mixing="hypermixing", max_len=3000, padding="mask", positions="table"):
        super().__init__()
        if padding not in ("mask", "relative"):
            raise ValueError(f"padding must be 'mask' or 'relative', not {padding!r}")
        self.padding = padding
        self.register_buffer("feat_mean", torch.zeros(80))
        self.register_buffer("feat_std", torch.ones(80))
        self.block1 = ConvBlock(1, 64, 40)
        self.block2 = ConvBlock(64, 32, 20)
        self.proj = nn.Linear(20 * 32, d)
        self.layers = nn.ModuleList(EncoderLayer(d, d_ffn, heads, mixing, max_len, positions)
                                    for _ in range(layers))
        # The relative sinusoids are computed once for all layers.
        self.relative_positions = (
            RelativePositions(d) if mixing == "relative_attention"
            else StoredRelativePositions(d, max_len) if mixing == "relative_attention_espnet"
            else None)
        self.final_norm = nn.LayerNorm(d, eps=1e-6)
        self.ctc = nn.Linear(d, vocab)

    def forward(self, feats, key_padding_mask=None):
        x = ((feats - self.feat_mean) / self.feat_std).unsqueeze(-1)  # [B, T, 80, 1]
        x = self.block2(self.block1(x))  # [B, T/4, 20, 32]
        x = self.proj(x.flatten(2))
        if self.padding == "relative" and key_padding_mask is not None:
            key_padding_mask = mask_from_relative_lengths(key_padding_mask, x.size(1))
        pos_embs = self.relative_positions(x) if self.relative_positions else None
        for layer in self.layers:
            x = layer(x, key_padding_mask, pos_embs)
        return F.log_softmax(self.ctc(self.final_norm(x)), dim=-1)


def mask_from_relative_lengths(wav_lens, t):
    """True at padded frames: positions at or beyond round(wav_lens * t)."""
    abs_len = torch.round(wav_lens * t)
    positions = torch.arange(t, device=wav_lens.device, dtype=abs_len.dtype)
    return ~(positions.expand(abs_len.size(0), t) < abs_len.unsqueeze(1))


CONFIGS = {
    "hyperconformer_8m_l2": dict(d=144, d_ffn=576, layers=2, mixing="hypermixing"),
    "hyperconformer_8m": dict(d=144, d_ffn=576, layers=10, mixing="hypermixing"),
    "conformer_8m_l2": dict(d=144, d_ffn=576, layers=2, mixing="attention"),
    "conformer_8m_l2_relative": dict(d=144, d_ffn=576, layers=2, mixing="relative_attention"),
    "conformer_8m_l2_relative_espnet": dict(d=144, d_ffn=576, layers=2,
                                            mixing="relative_attention_espnet"),
    "hyperconformer_22m_l2": dict(d=256, d_ffn=1024, layers=2, mixing="hypermixing"),
    "hyperconformer_8m_l2_wav_lens": dict(d=144, d_ffn=576, layers=2, mixing="hypermixing",
                                          padding="relative"),
    "hyperconformer_8m_l2_computed_positions": dict(d=144, d_ffn=576, layers=2,
                                                    mixing="hypermixing", positions="computed"),
}


def randomize(module, g):
    """Seeds every parameter from generator `g`: norm scales near 1, biases small,
    weights scaled by their fan-in."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / (p[0].numel() ** 0.5))
    return module


def build(config, seed=0):
    g = torch.Generator().manual_seed(seed)
    model = randomize(SpeechEncoder(**config).eval(), g)
    with torch.no_grad():
        model.feat_mean.copy_(torch.randn(80, generator=g))
        model.feat_std.copy_(0.5 + torch.rand(80, generator=g))
    return model


def subsampled(T):
    return -(-(-(-T // 2)) // 2)


def make_inputs(batch, frames, seed, mask=True, padding="mask"):
    """Random features; the mask is all False, while relative lengths (padding="relative")
    are 1 for the first row and random below it for the others, each a whole number of
    encoder frames so that rounding cannot differ between float32 and float64."""
    g = torch.Generator().manual_seed(seed)
    feats = 2.0 * torch.randn(batch, frames, 80, generator=g)
    inputs = {"feats": feats}
    if mask and padding == "mask":
        inputs["key_padding_mask"] = torch.zeros(batch, subsampled(frames), dtype=torch.bool)
    elif mask:
        t = subsampled(frames)
        valid = torch.randint(1, t + 1, (batch,), generator=g)
        valid[0] = t
        inputs["wav_lens"] = valid.to(torch.float32) / t
    return inputs


def reference(model, inputs):
    with torch.no_grad():
        # Positional: the second input is key_padding_mask or wav_lens.
        return copy.deepcopy(model).double()(*(v.double() if v.is_floating_point() else v
                                               for v in inputs.values()))


def export(model, path, opset=17, mask=True):
    import warnings

    inputs = make_inputs(2, 37, seed=1, mask=mask, padding=model.padding)
    names = list(inputs)
    axes = {"feats": {0: "B", 1: "T"}, "log_probs": {0: "B", 1: "T4"}}
    if "key_padding_mask" in inputs:
        axes["key_padding_mask"] = {0: "B", 1: "T4"}
    if "wav_lens" in inputs:
        axes["wav_lens"] = {0: "B"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(inputs.values()), path,
                          opset_version=onnx_upgrade.export_opset(opset),
                          input_names=names, output_names=["log_probs"],
                          dynamic_axes=axes, do_constant_folding=True)
    onnx_upgrade.upgrade(path, opset)
