"""PyTorch references for the HyperMixing layer (see shared/design/HYPERMIXING.md).

Two independently written implementations of the same operator:

(a) MultiHeadHyperMixing  -- SpeechBrain / HyperConformer style: bool key padding mask
    (True = padded), positions sliced from a [1, max_len, d] buffer, grouped per-head
    hypernetworks written with torch.einsum, mixing with batched matmuls over [B*h, ...].
(b) HyperMixerTokenMixing -- original HyperMixer (NLU) style: a single head, hypernetworks
    built from nn.Linear layers (MatMul + Add in an export), float mask with 1 = real token,
    hypernetwork hidden size independent of d, optional final LayerNorm.

Both compute, per batch element (m = validity mask, P = sinusoidal table):
    Xm = diag(m) X;   H = Xm + P[0:N]
    W_i = diag(m) (gelu(H_j A_i_j^T + a_i_j) C_i_j^T + c_i_j)          per head j
    Y_j = W_2_j gelu(W_1_j^T Xm_j);  out = LayerNorm_d([Y_0 .. Y_{h-1}])
A float64 reference is the same module after .double(), fed double inputs (see `reference`).
"""
import math

import numpy as np
import torch
import torch.nn as nn


def sinusoid_table(length, d):
    """P[n, 2i] = sin(n * 10000^(-2i/d)), P[n, 2i+1] = cos(n * 10000^(-2i/d)); float32.

    Computed in float64 and rounded once to float32, so the table is the correctly rounded
    float32 value of the formula (the float32 value that an ONNX export stores).
    """
    n = np.arange(length, dtype=np.float64)[:, None]
    two_i = np.arange(0, d, 2, dtype=np.float64)[None, :]
    angle = n * np.power(10000.0, -two_i / d)
    table = np.zeros((length, d), dtype=np.float64)
    table[:, 0::2] = np.sin(angle)
    table[:, 1::2] = np.cos(angle[:, : d // 2])
    return torch.from_numpy(table.astype(np.float32))


def computed_sinusoids(n, d, dtype=torch.float32, device=None):
    """The sinusoid_table rows 0..n-1 computed for a run-time length n (as a model that
    computes its positions in the forward pass writes it): sines and cosines stacked and
    flattened, so they interleave."""
    position = torch.arange(n, dtype=dtype, device=device).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d, 2, device=device).to(dtype) *
                          (-math.log(10000.0) / d))
    angle = position * frequency
    return torch.stack([torch.sin(angle), torch.cos(angle)], -1).flatten(1)


def scattered_sinusoids(n, d, dtype=torch.float32, device=None):
    """The same rows written into a zero table by slice assignment, pe[:, 0::2] = sin and
    pe[:, 1::2] = cos (torch exports the assignments as ScatterND)."""
    position = torch.arange(n, dtype=dtype, device=device).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d, 2, device=device).to(dtype) *
                          (-math.log(10000.0) / d))
    table = torch.zeros(n, d, dtype=dtype, device=device)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


# --------------------------------------------------------------------------------------------
# (a) SpeechBrain-style multi-head HyperMixing
# --------------------------------------------------------------------------------------------
class _GroupedHyperNetwork(nn.Module):
    """Per-head two-layer MLP: head j maps its d_h input channels -> d_h hidden -> k_h outputs.

    Weights are stored [heads, out, in] like SpeechBrain's ParallelMLPs and applied with einsum.
    Input [B, N, h, d_h]; output [B, h, N, k_h] (head-major, ready for the batched mixing).
    """

    def __init__(self, heads, d_h, k_h, gelu="none"):
        super().__init__()
        self.w1 = nn.Parameter(torch.empty(heads, d_h, d_h))
        self.b1 = nn.Parameter(torch.empty(heads, d_h))
        self.w2 = nn.Parameter(torch.empty(heads, k_h, d_h))
        self.b2 = nn.Parameter(torch.empty(heads, k_h))
        self.act = nn.GELU(approximate=gelu)

    def forward(self, h_in):
        # h_in: [B, N(l), heads(m), d_h(f)] ; weight [m, out(h), in(f)] -> [B, m, l, out]
        hid = torch.einsum("blmf,mhf->bmlh", h_in, self.w1) + self.b1.unsqueeze(1)
        hid = self.act(hid)
        out = torch.einsum("bmlf,mhf->bmlh", hid, self.w2) + self.b2.unsqueeze(1)
        return out


class MultiHeadHyperMixing(nn.Module):
    """forward(x [B,N,d], key_padding_mask [B,N] bool, True = padded, optional) -> [B,N,d].

    positions="computed" computes the sinusoids for the run-time length instead of
    slicing the stored table, positions="scattered" too, by slice assignment into a
    zero table; positions="shifted" counts positions from 1 by slicing
    the table from row 1 (pe[:, 1:N + 1], as the idiap reference does);
    positions="expanded" writes the prefix as pe[:, :N].expand_as(x);
    positions="learned" slices a trained [1, max_len, d] parameter instead of the
    sinusoids (the model then takes at most max_len tokens).
    mask_apply="fill" masks with masked_fill(pad, 0) instead of multiplying;
    mask_apply="espnet" multiplies by ESPnet's [B, 1, N] mask transposed, then cast;
    mask_apply="weights" masks W1 and W2 alone, the tokens stay unmasked;
    mask_apply="mixed" masks the tokens it mixes, not those the hypernetworks read;
    mask_apply="tokens" masks the tokens alone (mixed and read), not W1 and W2, so a
    padded row of the output is W2's row times the mixed matrix, not 0;
    mask_apply="tokens_w1" masks the tokens and W1, not W2 (with a bool mask, the same);
    mask_apply="after_positions" masks the hypernetworks' input after the positions are
    added, (x + P) * m, with the mixed tokens, W1 and W2 masked as usual."""

    def __init__(self, d, k, heads=8, tied=False, max_len=3000, eps=1e-5, positions="table",
                 mask_apply="multiply", gelu="none"):
        super().__init__()
        if mask_apply not in ("multiply", "fill", "espnet", "weights", "mixed", "tokens",
                              "tokens_w1", "after_positions"):
            raise ValueError(f"mask_apply must be 'multiply', 'fill', 'espnet', 'weights', "
                             f"'mixed', 'tokens', 'tokens_w1' or 'after_positions', "
                             f"not {mask_apply!r}")
        self.mask_apply = mask_apply
        if positions not in ("table", "computed", "scattered", "shifted", "expanded",
                             "learned"):
            raise ValueError(f"positions must be 'table', 'computed', 'scattered', "
                             f"'shifted', 'expanded' or 'learned', not {positions!r}")
        self.positions = positions
        if d % heads or k % heads:
            raise ValueError(f"d={d} and k={k} must be divisible by heads={heads}")
        self.d, self.k, self.heads, self.tied = d, k, heads, tied
        self.d_h, self.k_h = d // heads, k // heads
        if positions == "learned":
            self.pe = nn.Parameter(torch.zeros(1, max_len, d))  # randomize_ fills it
        else:
            self.register_buffer("pe", sinusoid_table(max_len, d).unsqueeze(0))  # [1, L, d]
        self.hyper_w1 = _GroupedHyperNetwork(heads, self.d_h, self.k_h, gelu)
        self.hyper_w2 = None if tied else _GroupedHyperNetwork(heads, self.d_h, self.k_h, gelu)
        self.activation = nn.GELU(approximate=gelu)
        self.norm = nn.LayerNorm(d, eps=eps)

    def forward(self, x, key_padding_mask=None):
        B, N = x.shape[0], x.shape[1]
        unmasked = x
        if key_padding_mask is not None:
            # logical not of the bool padding flags (torch 1.13 cannot export
            # torch.logical_not; `~` on a bool tensor exports as ONNX Not), then a float cast
            valid = (~key_padding_mask).to(x.dtype)  # [B, N]
            if self.mask_apply == "fill":
                x = x.masked_fill(key_padding_mask.unsqueeze(-1), 0.0)
            elif self.mask_apply == "espnet":
                # masks = ~make_pad_mask(lengths)[:, None, :] (or given as
                # [B, 1, N]), then [B, N, 1]
                keep = ~key_padding_mask
                if keep.dim() == 2:
                    keep = keep[:, None, :]
                valid = keep.transpose(1, 2).to(x.dtype)
                x = x * valid
            elif self.mask_apply != "weights":
                x = x * valid.unsqueeze(-1)
        mixed = x
        if self.mask_apply in ("mixed", "after_positions"):
            x = unmasked
        if self.positions == "computed":
            hyper_in = x + computed_sinusoids(x.size(1), self.d, x.dtype, x.device)
        elif self.positions == "scattered":
            hyper_in = x + scattered_sinusoids(x.size(1), self.d, x.dtype, x.device)
        elif self.positions == "shifted":
            hyper_in = x + self.pe[:, 1: x.size(1) + 1]
        elif self.positions == "expanded":
            hyper_in = x + self.pe[:, : x.size(1)].expand_as(x)
        else:
            hyper_in = x + self.pe[:, : x.size(1)]
        if key_padding_mask is not None and self.mask_apply == "after_positions":
            hyper_in = hyper_in * valid.unsqueeze(-1)
        hyper_in = hyper_in.reshape(B, N, self.heads, self.d_h)
        W1 = self.hyper_w1(hyper_in)  # [B, h, N, k_h]
        W2 = W1 if self.tied else self.hyper_w2(hyper_in)
        if key_padding_mask is not None and self.mask_apply == "fill":
            padded = key_padding_mask[:, None, :, None]  # [B, 1, N, 1]
            W1 = W1.masked_fill(padded, 0.0)
            W2 = W2.masked_fill(padded, 0.0)
        elif key_padding_mask is not None and self.mask_apply != "tokens":
            m4 = valid.unsqueeze(1)  # [B, 1, N, 1]
            if self.mask_apply != "espnet":
                m4 = m4.unsqueeze(-1)
            W1 = W1 * m4
            if self.mask_apply != "tokens_w1":
                W2 = W2 * m4
        W1 = W1.reshape(B * self.heads, N, self.k_h)
        W2 = W2.reshape(B * self.heads, N, self.k_h)
        # tokens per head: [B, N, h, d_h] -> [B, h, d_h, N] -> [B*h, d_h, N]
        xh = mixed.reshape(B, N, self.heads, self.d_h).permute(0, 2, 3, 1)
        xh = xh.reshape(B * self.heads, self.d_h, N)
        zt = self.activation(torch.bmm(xh, W1))  # [B*h, d_h, k_h] = (W1^T Xm)^T
        y = torch.bmm(W2, zt.transpose(1, 2))  # [B*h, N, d_h]
        y = y.reshape(B, self.heads, N, self.d_h).transpose(1, 2).reshape(B, N, self.d)
        return self.norm(y)


# --------------------------------------------------------------------------------------------
# (b) Original HyperMixer (NLU) token mixing, single head
# --------------------------------------------------------------------------------------------
class HyperMixerTokenMixing(nn.Module):
    """forward(x [B,N,d], mask [B,N] float, 1 = real token, optional) -> [B,N,d].

    The position table is a 2-D [max_len, d] buffer indexed with arange(N) (exports as
    Range + Gather, the other slicing form the importer must accept).
    mask_apply="where" masks with torch.where(mask > 0, t, zeros_like(t)), which keeps
    whole rows where a multiply would scale them, "fill_eq0" with
    t.masked_fill(mask[..., None] == 0, 0) (the same), "expand" multiplies by
    mask[..., None].expand_as(t). scale_tokens=True feeds the
    hypernetworks x * sqrt(d) + P (the tokens mixed stay x). mask_apply="tokens" multiplies
    the tokens by the mask and leaves W1 and W2 unmasked, "weights" the reverse,
    "mixed_and_weights" masks the mixed tokens, W1 and W2 while the hypernetworks read
    the unmasked x + P. hidden2 gives the second hypernetwork a hidden size of its own.
    """

    def __init__(self, d, k, hidden=None, tied=False, layer_norm=True, max_len=4096,
                 eps=1e-5, mask_apply="multiply", scale_tokens=False, hidden2=None,
                 gelu="none"):
        super().__init__()
        self.gelu = gelu
        self.token_scale = math.sqrt(d) if scale_tokens else 1.0
        if mask_apply not in ("multiply", "where", "fill_eq0", "expand", "tokens", "weights",
                              "mixed_and_weights"):
            raise ValueError(f"mask_apply must be 'multiply', 'where', 'fill_eq0', "
                             f"'expand', 'tokens', 'weights' or 'mixed_and_weights', "
                             f"not {mask_apply!r}")
        self.mask_apply = mask_apply
        self.d, self.k, self.tied = d, k, tied
        self.hidden = d if hidden is None else hidden
        self.register_buffer("positions", sinusoid_table(max_len, d))
        self.w1_in = nn.Linear(d, self.hidden)
        self.w1_out = nn.Linear(self.hidden, k)
        if not tied:
            hidden2 = self.hidden if hidden2 is None else hidden2
            self.w2_in = nn.Linear(d, hidden2)
            self.w2_out = nn.Linear(hidden2, k)
        self.layer_norm = nn.LayerNorm(d, eps=eps) if layer_norm else None

    def _gelu(self, t):
        return torch.nn.functional.gelu(t, approximate=self.gelu)

    def _hyper(self, lin_in, lin_out, t):
        return lin_out(self._gelu(lin_in(t)))

    def _masked(self, t, mask):
        if self.mask_apply == "where":
            return torch.where((mask > 0).unsqueeze(2), t, torch.zeros_like(t))
        column = mask.to(t.dtype).unsqueeze(2)  # [B, N, 1]
        if self.mask_apply == "fill_eq0":
            return t.masked_fill(column == 0, 0.0)
        if self.mask_apply == "expand":
            return t * column.expand_as(t)
        return t * column  # broadcast

    def forward(self, x, mask=None):
        n_tokens = x.shape[1]
        read = x
        if mask is not None and self.mask_apply != "weights":
            x = self._masked(x, mask)
            if self.mask_apply != "mixed_and_weights":
                read = x
        pos = self.positions[torch.arange(n_tokens, device=x.device)]  # [N, d]
        h_in = read * self.token_scale + pos if self.token_scale != 1.0 else read + pos
        W1 = self._hyper(self.w1_in, self.w1_out, h_in)  # [B, N, k]
        if self.tied:
            W2 = W1
        else:
            W2 = self._hyper(self.w2_in, self.w2_out, h_in)
        if mask is not None and self.mask_apply != "tokens":
            W1 = self._masked(W1, mask)
            W2 = self._masked(W2, mask)
        z = self._gelu(torch.matmul(W1.transpose(1, 2), x))  # [B, k, d]
        y = torch.matmul(W2, z)  # [B, N, d]
        if self.layer_norm is not None:
            y = self.layer_norm(y)
        return y


# --------------------------------------------------------------------------------------------
# (c) The same layer laid out like SpeechBrain's HyperMixing module
# --------------------------------------------------------------------------------------------
class _ParallelMLPs(nn.Module):
    """Per-head MLPs as SpeechBrain lays them out: weights [heads, out, in], the second
    einsum contracting the hidden axis 'h' ("bmlh,mfh->bmlf"), biases broadcast with
    unsqueeze(0).unsqueeze(2)."""

    def __init__(self, d, hidden, out, heads):
        super().__init__()
        self.heads, self.d = heads, d
        self.fc1_weights = nn.Parameter(torch.empty(heads, hidden // heads, d // heads))
        self.fc1_biases = nn.Parameter(torch.empty(heads, hidden // heads))
        self.fc2_weights = nn.Parameter(torch.empty(heads, out // heads, hidden // heads))
        self.fc2_biases = nn.Parameter(torch.empty(heads, out // heads))
        self.activation = nn.GELU()

    def forward(self, x):
        b, n = x.size(0), x.size(1)
        x = x.reshape((b, n, self.heads, self.d // self.heads))
        x = torch.einsum("blmf,mhf->bmlh", x, self.fc1_weights) + \
            self.fc1_biases.unsqueeze(0).unsqueeze(2)
        x = self.activation(x)
        return torch.einsum("bmlh,mfh->bmlf", x, self.fc2_weights) + \
            self.fc2_biases.unsqueeze(0).unsqueeze(2)


class SpeechBrainStyleHyperMixing(nn.Module):
    """forward(x [B,N,d], key_padding_mask [B,N] bool, True = padded) -> [B,N,d].

    Differs from (a) in layout only: the mask is unsqueezed before its float cast, the
    tokens are mixed as [B, d, N] reshaped to [B*h, d_h, N], the second product multiplies
    by W2 transposed, and heads are concatenated through [B, d, N]."""

    def __init__(self, d, k, heads=8, tied=False, max_len=3000, eps=1e-5):
        super().__init__()
        self.d, self.heads, self.tied = d, heads, tied
        self.register_buffer("pe", sinusoid_table(max_len, d).unsqueeze(0))
        self.w1_gen = _ParallelMLPs(d, d, k, heads)
        self.w2_gen = self.w1_gen if tied else _ParallelMLPs(d, d, k, heads)
        self.activation = nn.GELU()
        self.layer_norm = nn.LayerNorm(d, eps=eps)

    def forward(self, x, key_padding_mask=None):
        b, n = x.size(0), x.size(1)
        out = x
        if key_padding_mask is not None:
            float_mask = (~key_padding_mask).unsqueeze(-1).to(x.dtype)
            out = out * float_mask
        hyp_input = out + self.pe[:, : out.size(1)].clone().detach()
        W1 = self.w1_gen(hyp_input)
        W2 = W1 if self.tied else self.w2_gen(hyp_input)
        if key_padding_mask is not None:
            W1 = W1 * float_mask.unsqueeze(1)
            W2 = W2 * float_mask.unsqueeze(1)
        out = out.transpose(1, 2).reshape((b * self.heads, self.d // self.heads, n))
        W1 = W1.reshape((b * self.heads, n, -1))
        W2 = W2.reshape((b * self.heads, n, -1))
        out = torch.bmm(out, W1)
        out = self.activation(out)
        out = torch.bmm(out, W2.transpose(1, 2))
        out = out.reshape((b, self.d, n))
        return self.layer_norm(out.transpose(1, 2))


class QueryKeyValueHyperMixing(nn.Module):
    """forward(query [B,M,d], key [B,N,d], value [B,N,d], query_padding_mask [B,M],
    key_padding_mask [B,N]; bool, True = padded) -> [B,M,d].

    The query/key/value form of the idiap reference: W1 is generated from the keys and
    mixes the values, W2 is generated from the queries, each side masked by its own
    padding mask; hypernetworks without biases by default (bias=True adds them), their
    input scaled by sqrt(d) plus positions counted from 1. positions="sinusoid" slices
    the sinusoidal table; "idiap" builds the table as that reference does (frequencies
    10000^(-2c/d) per channel c, not shared by sine/cosine pairs), which is no sinusoid
    of the operator's formula, so it is read as a learned table. head_loop=True
    computes each head on its channel slices in a Python loop and concatenates them.
    masked_positions=True masks each hypernetwork's input after the positions are
    added, (K sqrt(d) + P) * m, instead of masking K first. tokens_masked_only=True
    leaves W1 and W2 unmasked: a padded query's output row is then its W2 row times
    the mixed matrix."""

    def __init__(self, d, k, heads=2, tied=False, max_len=300, eps=1e-5, bias=False,
                 positions="sinusoid", head_loop=False, masked_positions=False,
                 tokens_masked_only=False):
        super().__init__()
        self.d, self.heads, self.tied, self.bias = d, heads, tied, bias
        self.masked_positions = masked_positions
        self.tokens_masked_only = tokens_masked_only
        self.head_loop = head_loop
        if positions == "idiap":
            pe = torch.zeros(max_len + 1, d)
            for pos in range(max_len + 1):
                for c in range(0, d, 2):
                    pe[pos, c] = math.sin(pos / 10000 ** (2 * c / d))
                    if c + 1 < d:
                        pe[pos, c + 1] = math.cos(pos / 10000 ** (2 * (c + 1) / d))
        else:
            pe = sinusoid_table(max_len + 1, d)
        self.register_buffer("pe", pe.unsqueeze(0))
        d_h, k_h = d // heads, k // heads
        self.fc1_weights = nn.ParameterList(
            [nn.Parameter(torch.empty(heads, d_h, d_h)) for _ in range(2)])
        self.fc2_weights = nn.ParameterList(
            [nn.Parameter(torch.empty(heads, k_h, d_h)) for _ in range(2)])
        if bias:
            self.fc1_biases = nn.ParameterList(
                [nn.Parameter(torch.empty(heads, d_h)) for _ in range(2)])
            self.fc2_biases = nn.ParameterList(
                [nn.Parameter(torch.empty(heads, k_h)) for _ in range(2)])
        self.layer_norm = nn.LayerNorm(d, eps=eps)

    def _positions(self, t):
        return t * math.sqrt(self.d) + self.pe[:, 1:t.size(1) + 1].expand_as(t)

    def _generate(self, i, t):
        i = 0 if self.tied else i
        b, n = t.size(0), t.size(1)
        t = t.reshape(b, n, self.heads, self.d // self.heads)
        t = torch.einsum("blmf,mhf->bmlh", t, self.fc1_weights[i])
        if self.bias:
            t = t + self.fc1_biases[i].unsqueeze(0).unsqueeze(2)
        t = nn.functional.gelu(t)
        t = torch.einsum("bmlh,mfh->bmlf", t, self.fc2_weights[i])
        if self.bias:
            t = t + self.fc2_biases[i].unsqueeze(0).unsqueeze(2)
        return t  # [B, h, n, k_h]

    def forward(self, query, key, value, query_padding_mask=None, key_padding_mask=None):
        b, m, n = query.size(0), query.size(1), key.size(1)
        raw_key, raw_query = key, query
        if key_padding_mask is not None:
            key_keep = (~key_padding_mask).unsqueeze(-1).float()
            key = key * key_keep
            value = value * key_keep
        if query_padding_mask is not None:
            query_keep = (~query_padding_mask).unsqueeze(-1).float()
            query = query * query_keep
        if self.head_loop:
            return self.layer_norm(self._per_head(query, key, value, key_padding_mask,
                                                  query_padding_mask))
        hyper_key, hyper_query = self._positions(key), self._positions(query)
        if self.masked_positions:  # (K sqrt(d) + P) * m, K itself unmasked
            hyper_key = self._positions(raw_key)
            hyper_query = self._positions(raw_query)
            if key_padding_mask is not None:
                hyper_key = hyper_key * key_keep
            if query_padding_mask is not None:
                hyper_query = hyper_query * query_keep
        W1 = self._generate(0, hyper_key)
        W2 = self._generate(1, hyper_query)
        if key_padding_mask is not None and not self.tokens_masked_only:
            W1 = W1 * key_keep.unsqueeze(1)
        if query_padding_mask is not None and not self.tokens_masked_only:
            W2 = W2 * query_keep.unsqueeze(1)
        mixed = value.transpose(1, 2).reshape(b * self.heads, self.d // self.heads, n)
        W1 = W1.reshape(b * self.heads, n, -1)
        W2 = W2.reshape(b * self.heads, m, -1)
        out = nn.functional.gelu(torch.bmm(mixed, W1))
        out = torch.bmm(out, W2.transpose(1, 2))
        out = out.reshape(b, self.d, m).transpose(1, 2)
        return self.layer_norm(out)

    def _per_head(self, query, key, value, key_padding_mask, query_padding_mask):
        d_h = self.d // self.heads
        h_key, h_query = self._positions(key), self._positions(query)
        outputs = []
        for j in range(self.heads):
            channels = slice(j * d_h, (j + 1) * d_h)
            w = []
            for i, t in ((0, h_key), (1, h_query)):
                i = 0 if self.tied else i
                hid = nn.functional.gelu(t[..., channels] @ self.fc1_weights[i][j].T +
                                         (self.fc1_biases[i][j] if self.bias else 0))
                w.append(hid @ self.fc2_weights[i][j].T +
                         (self.fc2_biases[i][j] if self.bias else 0))
            if key_padding_mask is not None:
                w[0] = w[0] * (~key_padding_mask).unsqueeze(-1).float()
            if query_padding_mask is not None:
                w[1] = w[1] * (~query_padding_mask).unsqueeze(-1).float()
            z = nn.functional.gelu(w[0].transpose(1, 2) @ value[..., channels])
            outputs.append(w[1] @ z)
        return torch.cat(outputs, dim=-1)


# --------------------------------------------------------------------------------------------
# (d) Per-head weight stacks applied with batched matmuls
# --------------------------------------------------------------------------------------------
class BatchedMatMulHyperMixing(nn.Module):
    """forward(x [B,N,d], mask [B,N] float, 1 = real token) -> [B,N,d].

    Written without einsum or nn.Linear: each hypernetwork layer is a [h, in, out] weight
    stack applied with torch.matmul to the head-major [B, h, N, d_h] view (bias [h, 1, out]),
    the mixing is torch.matmul on [B, h, ...] batches, and positions come from a 2-D
    [max_len, d] buffer sliced with narrow(). leading_one=True applies each stack as
    W.unsqueeze(0), a [1, h, in, out] weight."""

    def __init__(self, d, k, heads=8, tied=False, max_len=3000, eps=1e-5, leading_one=False):
        super().__init__()
        self.d, self.heads, self.tied = d, heads, tied
        self.leading_one = leading_one
        self.d_h, self.k_h = d // heads, k // heads
        self.register_buffer("pe", sinusoid_table(max_len, d))
        names = ["1"] if tied else ["1", "2"]
        for i in names:
            setattr(self, f"w{i}_in", nn.Parameter(torch.empty(heads, self.d_h, self.d_h)))
            setattr(self, f"b{i}_in", nn.Parameter(torch.empty(heads, 1, self.d_h)))
            setattr(self, f"w{i}_out", nn.Parameter(torch.empty(heads, self.d_h, self.k_h)))
            setattr(self, f"b{i}_out", nn.Parameter(torch.empty(heads, 1, self.k_h)))
        self.norm = nn.LayerNorm(d, eps=eps)

    def _heads(self, t):
        b, n = t.shape[0], t.shape[1]
        return t.view(b, n, self.heads, self.d_h).permute(0, 2, 1, 3)  # [B, h, N, d_h]

    def _weight(self, name):
        w = getattr(self, name)
        return w.unsqueeze(0) if self.leading_one else w

    def _hyper(self, i, hh):
        hid = torch.nn.functional.gelu(torch.matmul(hh, self._weight(f"w{i}_in")) +
                                       getattr(self, f"b{i}_in"))
        return torch.matmul(hid, self._weight(f"w{i}_out")) + getattr(self, f"b{i}_out")

    def forward(self, x, mask=None):
        b, n = x.shape[0], x.shape[1]
        if mask is not None:
            x = x * mask.unsqueeze(-1)
        hh = self._heads(x + self.pe.narrow(0, 0, n))
        w1 = self._hyper("1", hh)  # [B, h, N, k_h]
        w2 = w1 if self.tied else self._hyper("2", hh)
        if mask is not None:
            m = mask[:, None, :, None]
            w1, w2 = w1 * m, w2 * m
        z = torch.nn.functional.gelu(torch.matmul(w1.transpose(-1, -2), self._heads(x)))
        y = torch.matmul(w2, z)  # [B, h, N, d_h]
        return self.norm(y.permute(0, 2, 1, 3).reshape(b, n, self.d))


# --------------------------------------------------------------------------------------------
# (e) One head at a time: a Python loop of per-head dense layers and products
# --------------------------------------------------------------------------------------------
class PerHeadLoopHyperMixing(nn.Module):
    """forward(x [B,N,d], mask [B,N] float, 1 = real token) -> [B,N,d].

    Each head slices its channels, runs its own nn.Linear hypernetworks and its own
    matmuls; the heads are concatenated before the LayerNorm (exports as Slice, per-head
    MatMuls and one Concat)."""

    def __init__(self, d, k, heads=2, tied=False, max_len=3000, eps=1e-5):
        super().__init__()
        self.d, self.heads, self.tied = d, heads, tied
        d_h, k_h = d // heads, k // heads
        self.d_h = d_h
        self.register_buffer("pe", sinusoid_table(max_len, d).unsqueeze(0))

        def mlp():
            return nn.Sequential(nn.Linear(d_h, d_h), nn.GELU(), nn.Linear(d_h, k_h))

        self.hyper1 = nn.ModuleList([mlp() for _ in range(heads)])
        self.hyper2 = None if tied else nn.ModuleList([mlp() for _ in range(heads)])
        self.norm = nn.LayerNorm(d, eps=eps)

    def forward(self, x, mask=None):
        if mask is not None:
            m = mask.unsqueeze(-1)
            x = x * m
        h_in = x + self.pe[:, : x.size(1)]
        outs = []
        for j in range(self.heads):
            cols = slice(j * self.d_h, (j + 1) * self.d_h)
            w1 = self.hyper1[j](h_in[:, :, cols])
            w2 = w1 if self.tied else self.hyper2[j](h_in[:, :, cols])
            if mask is not None:
                w1, w2 = w1 * m, w2 * m
            z = torch.nn.functional.gelu(torch.matmul(w1.transpose(1, 2), x[:, :, cols]))
            outs.append(torch.matmul(w2, z))
        return self.norm(torch.cat(outs, dim=-1))


# --------------------------------------------------------------------------------------------
# (f) Channels-first hypernetworks: grouped pointwise Conv1d layers
# --------------------------------------------------------------------------------------------
class Conv1dHyperMixing(nn.Module):
    """forward(x [B,N,d], mask [B,N] float, 1 = real token) -> [B,N,d].

    The hypernetworks run on the channels-first [B, d, N] tokens as pointwise
    nn.Conv1d layers with one group per head (kernel size 1, d -> h * hidden -> k), so
    the generated weights come out as [B, k, N]; the mixing is torch.matmul on
    [B, h, k_h, N] and [B, h, N, d_h]. hidden is the hypernetworks' hidden size per
    head."""

    def __init__(self, d, k, heads=4, hidden=None, tied=False, max_len=3000, eps=1e-5):
        super().__init__()
        self.d, self.heads, self.tied = d, heads, tied
        self.d_h = d // heads
        hidden = self.d_h if hidden is None else hidden
        self.register_buffer("pe", sinusoid_table(max_len, d))

        def mlp():
            return nn.Sequential(nn.Conv1d(d, heads * hidden, 1, groups=heads), nn.GELU(),
                                 nn.Conv1d(heads * hidden, k, 1, groups=heads))

        self.hyper1 = mlp()
        self.hyper2 = None if tied else mlp()
        self.norm = nn.LayerNorm(d, eps=eps)

    def forward(self, x, mask=None):
        b, n = x.shape[0], x.shape[1]
        if mask is not None:
            x = x * mask.unsqueeze(-1)
        h_in = (x + self.pe[:n]).transpose(1, 2)  # [B, d, N]
        w1 = self.hyper1(h_in)  # [B, k, N]
        w2 = w1 if self.tied else self.hyper2(h_in)
        if mask is not None:
            w1, w2 = w1 * mask.unsqueeze(1), w2 * mask.unsqueeze(1)
        w1, w2 = (w.reshape(b, self.heads, -1, n) for w in (w1, w2))  # [B, h, k_h, N]
        xh = x.reshape(b, n, self.heads, self.d_h).transpose(1, 2)  # [B, h, N, d_h]
        z = torch.nn.functional.gelu(torch.matmul(w1, xh))  # [B, h, k_h, d_h]
        y = torch.matmul(w2.transpose(2, 3), z)  # [B, h, N, d_h]
        return self.norm(y.transpose(1, 2).reshape(b, n, self.d))


# --------------------------------------------------------------------------------------------
# Seeding, configurations, reference evaluation
# --------------------------------------------------------------------------------------------
def randomize_(module, seed):
    """Seed every parameter with non-trivial values (incl. biases, LayerNorm gamma/beta).

    Scales keep pre-activations O(1) so GELU is exercised on both sides of zero.
    """
    gen = torch.Generator().manual_seed(seed)
    conv_weights = {id(m.weight) for m in module.modules() if isinstance(m, nn.Conv1d)}
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.startswith(("norm.", "layer_norm.")):
                if name.endswith("weight"):
                    p.copy_(1.0 + 0.5 * torch.randn(p.shape, generator=gen))
                else:
                    p.copy_(0.5 * torch.randn(p.shape, generator=gen))
                continue
            if name.endswith("b1") or name.endswith("b2") or name.endswith("bias"):
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p.shape[1] * p.shape[2] if id(p) in conv_weights else p.shape[-1]
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(fan_in))
    return module


# Model configurations used by export_models.py and run_e2e.py.
#   impl "a": MultiHeadHyperMixing (bool padding mask), impl "b": HyperMixerTokenMixing
#   (float validity mask), impl "c": SpeechBrainStyleHyperMixing (SpeechBrain's layout,
#   bool padding mask), impl "d": BatchedMatMulHyperMixing (per-head weight stacks and
#   batched matmuls, float validity mask), impl "e": PerHeadLoopHyperMixing (a Python loop
#   over heads, float validity mask), impl "f": Conv1dHyperMixing (grouped pointwise Conv1d
#   hypernetworks on channels-first tokens, float validity mask).  mask=False: the model has
#   a single input "x".
CONFIGS = {
    # HyperConformer "8M" layer size
    "a_h8": dict(impl="a", d=144, k=576, heads=8, tied=False, mask=True, seed=1),
    "a_h1": dict(impl="a", d=64, k=256, heads=1, tied=False, mask=True, seed=2),
    "a_h8_tied": dict(impl="a", d=64, k=128, heads=8, tied=True, mask=True, seed=3),
    "a_h8_nomask": dict(impl="a", d=64, k=128, heads=8, tied=False, mask=False, seed=4),
    "a_h4_computed_pos": dict(impl="a", d=48, k=96, heads=4, tied=False, mask=True,
                              positions="computed", seed=13),
    "a_h4_scattered_pos": dict(impl="a", d=48, k=96, heads=4, tied=False, mask=True,
                               positions="scattered", seed=19),
    "a_h2_shifted_pos": dict(impl="a", d=32, k=64, heads=2, tied=False, mask=True,
                             positions="shifted", seed=14),
    "a_h2_expanded_pos": dict(impl="a", d=32, k=64, heads=2, tied=False, mask=True,
                              positions="expanded", seed=18),
    "a_h2_learned_pos": dict(impl="a", d=32, k=64, heads=2, tied=False, mask=True,
                             positions="learned", max_len=1100, seed=23),
    "a_h2_masked_fill": dict(impl="a", d=32, k=64, heads=2, tied=False, mask=True,
                             mask_apply="fill", seed=15),
    "a_h2_espnet_mask": dict(impl="a", d=32, k=64, heads=2, tied=False, mask=True,
                             mask_apply="espnet", seed=19),
    "a_h2_espnet_mask_input": dict(impl="a", d=32, k=64, heads=2, tied=False, mask=True,
                                   mask_apply="espnet", mask_input="b1n", seed=20),
    "a_h4_weights_mask": dict(impl="a", d=48, k=96, heads=4, tied=False, mask=True,
                              mask_apply="weights", seed=24),
    "a_h4_tokens_mask": dict(impl="a", d=48, k=96, heads=4, tied=False, mask=True,
                             mask_apply="tokens", seed=29),
    "a_h4_tokens_w1_mask": dict(impl="a", d=48, k=96, heads=4, tied=False, mask=True,
                                mask_apply="tokens_w1", seed=32),
    "a_h2_after_positions_mask": dict(impl="a", d=32, k=64, heads=2, tied=False, mask=True,
                                      mask_apply="after_positions", seed=33),
    "a_h2_mixed_mask_tied": dict(impl="a", d=32, k=64, heads=2, tied=True, mask=True,
                                 positions="computed", mask_apply="mixed", seed=25),
    "c_h8": dict(impl="c", d=144, k=576, heads=8, tied=False, mask=True, seed=9),
    "d_h4": dict(impl="d", d=48, k=96, heads=4, tied=False, mask=True, seed=10),
    "d_h2_leading_one": dict(impl="d", d=32, k=48, heads=2, tied=False, mask=True,
                             leading_one=True, seed=26),
    "e_h3": dict(impl="e", d=24, k=48, heads=3, tied=False, mask=True, seed=12),
    "f_h4_conv1d": dict(impl="f", d=48, k=96, heads=4, hidden=20, tied=False, mask=True,
                        seed=34),
    "f_h1_conv1d_tied": dict(impl="f", d=40, k=56, heads=1, hidden=48, tied=True, mask=True,
                             seed=35),
    # Widths that are even but not a multiple of 8: the vectors over channels
    # start at odd multiples of 32 bytes (a crash of the kernel once).
    "a_h2_d20": dict(impl="a", d=20, k=40, heads=2, tied=False, mask=True,
                     positions="computed", seed=21),
    "b_mask": dict(impl="b", d=96, k=128, hidden=192, tied=False, layer_norm=True, mask=True,
                   seed=5),
    # torch's tanh approximation for every GELU (nn.GELU(approximate="tanh")).
    "a_h4_tanh_gelu": dict(impl="a", d=48, k=96, heads=4, tied=False, mask=True,
                           gelu="tanh", seed=38),
    "b_tanh_gelu": dict(impl="b", d=40, k=56, hidden=48, tied=False, layer_norm=True,
                        mask=True, gelu="tanh", seed=39),
    "b_nomask": dict(impl="b", d=96, k=128, hidden=192, tied=False, layer_norm=True,
                     mask=False, seed=6),
    "b_tied": dict(impl="b", d=96, k=160, hidden=64, tied=True, layer_norm=True, mask=True,
                   seed=7),
    "b_where": dict(impl="b", d=48, k=64, hidden=40, tied=False, layer_norm=True, mask=True,
                    mask_apply="where", seed=16),
    "b_fill_eq0": dict(impl="b", d=40, k=56, hidden=48, tied=False, layer_norm=True, mask=True,
                       mask_apply="fill_eq0", seed=27),
    "b_weights_mask": dict(impl="b", d=40, k=56, hidden=48, tied=True, layer_norm=True,
                           mask=True, mask_apply="weights", seed=31),
    "b_tokens_mask": dict(impl="b", d=40, k=56, hidden=48, tied=False, layer_norm=True,
                          mask=True, mask_apply="tokens", seed=30),
    "b_expand": dict(impl="b", d=40, k=56, hidden=48, tied=True, layer_norm=True, mask=True,
                     mask_apply="expand", seed=28),
    "b_scaled": dict(impl="b", d=64, k=96, hidden=64, tied=False, layer_norm=True, mask=True,
                     scale_tokens=True, seed=17),
    "b_noln": dict(impl="b", d=64, k=96, hidden=128, tied=False, layer_norm=False, mask=True,
                   seed=8),
    "b_d36": dict(impl="b", d=36, k=52, hidden=44, tied=False, layer_norm=True, mask=True,
                  seed=22),
    "b_unmasked_hyper_input": dict(impl="b", d=40, k=56, hidden=48, tied=False,
                                   layer_norm=True, mask=True, mask_apply="mixed_and_weights",
                                   seed=37),
    "b_hidden_sizes": dict(impl="b", d=40, k=56, hidden=48, hidden2=24, tied=False,
                           layer_norm=True, mask=True, seed=36),
}


def build(config):
    """Construct and seed the float32 module described by a CONFIGS entry (in eval mode)."""
    c = dict(config)
    if c["impl"] == "a":
        mod = MultiHeadHyperMixing(c["d"], c["k"], heads=c.get("heads", 8),
                                   tied=c.get("tied", False),
                                   max_len=c.get("max_len", 3000),
                                   positions=c.get("positions", "table"),
                                   mask_apply=c.get("mask_apply", "multiply"),
                                   gelu=c.get("gelu", "none"))
    elif c["impl"] == "b":
        mod = HyperMixerTokenMixing(c["d"], c["k"], hidden=c.get("hidden"),
                                    tied=c.get("tied", False),
                                    layer_norm=c.get("layer_norm", True),
                                    max_len=c.get("max_len", 4096),
                                    mask_apply=c.get("mask_apply", "multiply"),
                                    scale_tokens=c.get("scale_tokens", False),
                                    hidden2=c.get("hidden2"),
                                    gelu=c.get("gelu", "none"))
    elif c["impl"] == "c":
        mod = SpeechBrainStyleHyperMixing(c["d"], c["k"], heads=c.get("heads", 8),
                                          tied=c.get("tied", False),
                                          max_len=c.get("max_len", 3000))
    elif c["impl"] == "d":
        mod = BatchedMatMulHyperMixing(c["d"], c["k"], heads=c.get("heads", 8),
                                       tied=c.get("tied", False),
                                       max_len=c.get("max_len", 3000),
                                       leading_one=c.get("leading_one", False))
    elif c["impl"] == "e":
        mod = PerHeadLoopHyperMixing(c["d"], c["k"], heads=c.get("heads", 2),
                                     tied=c.get("tied", False),
                                     max_len=c.get("max_len", 3000))
    elif c["impl"] == "f":
        mod = Conv1dHyperMixing(c["d"], c["k"], heads=c.get("heads", 4), hidden=c.get("hidden"),
                                tied=c.get("tied", False), max_len=c.get("max_len", 3000))
    else:
        raise ValueError(f"unknown impl {c['impl']!r}")
    if c.get("position_offset"):  # implementations that count positions from 1
        if c["impl"] not in ("a", "c"):
            raise ValueError("position_offset needs impl a or c")
        offset = c["position_offset"]
        mod.pe = sinusoid_table(mod.pe.shape[1] + offset, c["d"])[offset:].unsqueeze(0)
    randomize_(mod, c.get("seed", 0))
    return mod.eval()


def mask_dtype(config):
    """numpy dtype of the model's mask input (None when the model takes no mask)."""
    if not config.get("mask", True):
        return None
    return np.bool_ if config["impl"] in ("a", "c") else np.float32


def make_mask(config, lengths, n):
    """Mask array for right-padded rows of the given valid lengths, in the model's dtype
    and layout ([B, 1, N] for mask_input="b1n")."""
    valid = np.arange(n)[None, :] < np.asarray(lengths)[:, None]  # [B, N] True = real
    mask = np.logical_not(valid) if config["impl"] in ("a", "c") else valid.astype(np.float32)
    return mask[:, None, :] if config.get("mask_input") == "b1n" else mask


def validity(config, mask, batch, n):
    """Float validity mask m [B, N] (1 = valid) from the model's mask input (or None)."""
    if mask is None:
        return np.ones((batch, n), dtype=np.float64)
    mask = np.asarray(mask).reshape(batch, n)
    if config["impl"] in ("a", "c"):
        return np.logical_not(mask).astype(np.float64)
    return mask.astype(np.float64)


def reference(module, x, mask=None):
    """float64 reference: the same module in double, fed double inputs. numpy in / out."""
    import copy
    ref = copy.deepcopy(module).double().eval()
    xt = torch.from_numpy(np.asarray(x, dtype=np.float64))
    args = [xt]
    if mask is not None:
        mt = torch.from_numpy(np.asarray(mask))
        if mt.dtype != torch.bool:
            mt = mt.to(torch.float64)
        args.append(mt)
    with torch.no_grad():
        return ref(*args).numpy()


def beta_of(module):
    """LayerNorm beta of the module (output of a fully masked row), or zeros without LN."""
    norm = getattr(module, "norm", None) or getattr(module, "layer_norm", None)
    if norm is None:
        return np.zeros(module.d)
    return norm.bias.detach().double().numpy()
