"""PyTorch reference for whole HyperMixer sentence classifiers (shared/design/MODELS.md).

    x = embedding[ids] (+ segment_embedding[segments]) (+ learned positions, BERT-style)
    L layers, pre-LN:  x += TokenMixing(LN(x)); x += FeatureMLP(LN(x)); final LN
              post-LN: x = LN(x + TokenMixing(x)); x = LN(x + FeatureMLP(x))
    pooling: mean over real tokens (also as sentence-transformers writes it, the mask
    expanded with Expand), the first token, or the last real token (advanced indexing
    x[arange(B), lengths - 1], as decoder-style classifiers pool); logits = Linear(d, classes)
    mask: the attention_mask input, or built from a `lengths` input [B] as
    arange(N) < lengths (a run-time index range)

TokenMixing is the single-head HyperMixer layer of hypermixing_models.py (nn.Linear
hypernetworks, sinusoidal positions, mask with 1 = real token, no inner LayerNorm).
The state_dict names are the tensor names a safetensors file of the same weights carries.
"""
import copy

import torch
import torch.nn as nn

import onnx_upgrade
from hypermixing_models import HyperMixerTokenMixing


class FeatureMLP(nn.Module):
    def __init__(self, d, f):
        super().__init__()
        self.fc1 = nn.Linear(d, f)
        self.fc2 = nn.Linear(f, d)

    def forward(self, x):
        return self.fc2(torch.nn.functional.gelu(self.fc1(x)))


class HyperMixerLayer(nn.Module):
    def __init__(self, d, f, k, hidden, tied, pre_ln, eps, max_len):
        super().__init__()
        self.pre_ln = pre_ln
        self.mixing_norm = nn.LayerNorm(d, eps=eps)
        self.mixing = HyperMixerTokenMixing(d, k, hidden=hidden, tied=tied, layer_norm=False,
                                            max_len=max_len)
        self.mlp_norm = nn.LayerNorm(d, eps=eps)
        self.mlp = FeatureMLP(d, f)

    def forward(self, x, mask):
        if self.pre_ln:
            x = x + self.mixing(self.mixing_norm(x), mask)
            return x + self.mlp(self.mlp_norm(x))
        x = self.mixing_norm(x + self.mixing(x, mask))
        return self.mlp_norm(x + self.mlp(x))


class HyperMixerClassifier(nn.Module):
    """forward(input_ids [B,N] int64, attention_mask [B,N] int64 (1 = real token),
    token_type_ids [B,N] int64 if segments > 0) -> logits [B, classes].
    With mask_from="lengths" the second input is lengths [B] int64 (real tokens per row).

    max_len is the length of each layer's stored position table (the model itself has no
    length limit: hmc computes rows beyond the table from the formula)."""

    def __init__(self, vocab=1000, d=64, f=256, k=None, hidden=None, layers=2, classes=3,
                 tied=False, pre_ln=True, pooling="mean", segments=0, eps=1e-5,
                 max_len=4096, mask_from="attention_mask", learned_positions=0):
        super().__init__()
        if mask_from not in ("attention_mask", "lengths"):
            raise ValueError(f"mask_from must be 'attention_mask' or 'lengths', "
                             f"not {mask_from!r}")
        self.mask_from = mask_from
        if pooling not in ("mean", "mean_expanded", "first", "last"):
            raise ValueError(f"pooling must be 'mean', 'mean_expanded', 'first' or "
                             f"'last', not {pooling!r}")
        self.pooling, self.pre_ln = pooling, pre_ln
        self.embedding = nn.Embedding(vocab, d)
        self.segment_embedding = nn.Embedding(segments, d) if segments else None
        # Learned absolute positions as BERT writes them: a table indexed by a
        # slice of a stored arange (a run-time table prefix).
        self.position_embedding = None
        if learned_positions:
            self.position_embedding = nn.Embedding(learned_positions, d)
            self.register_buffer("position_ids",
                                 torch.arange(learned_positions).expand((1, -1)))
        k = d if k is None else k
        self.layers = nn.ModuleList(
            HyperMixerLayer(d, f, k, hidden, tied, pre_ln, eps, max_len)
            for _ in range(layers))
        self.final_norm = nn.LayerNorm(d, eps=eps) if pre_ln else None
        self.classifier = nn.Linear(d, classes)

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        if self.mask_from == "lengths":  # the second input is `lengths`
            positions = torch.arange(input_ids.size(1), device=input_ids.device)
            attention_mask = (positions[None, :] < attention_mask[:, None]).long()
        x = self.embedding(input_ids)
        if self.segment_embedding is not None:
            x = x + self.segment_embedding(token_type_ids)
        if self.position_embedding is not None:
            x = x + self.position_embedding(self.position_ids[:, :input_ids.size(1)])
        mask = attention_mask.to(x.dtype)
        for layer in self.layers:
            x = layer(x, mask)
        if self.final_norm is not None:
            x = self.final_norm(x)
        if self.pooling == "first":
            pooled = x[:, 0]
        elif self.pooling == "last":
            last = attention_mask.sum(1) - 1
            pooled = x[torch.arange(x.size(0), device=x.device), last]
        elif self.pooling == "mean_expanded":
            # As sentence-transformers writes it: the int mask expanded to x's size.
            m = attention_mask.unsqueeze(-1).expand(x.size()).to(x.dtype)
            pooled = torch.sum(x * m, 1) / torch.clamp(m.sum(1), min=1e-9)
        else:
            m = mask.unsqueeze(-1)
            pooled = (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        return self.classifier(pooled)


def randomize(model, seed):
    """Seeded weights with the spread of a trained model (LayerNorm gains around 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / p.shape[-1] ** 0.5)
    return model


def make_inputs(batch, length, vocab, seed, segments=0, lengths=False):
    """Random ids and a mask whose rows after the first are padded to random lengths
    (with lengths=True, those lengths instead of the mask)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, vocab, (batch, length), generator=g)
    mask = torch.ones(batch, length, dtype=torch.int64)
    for b in range(1, batch):
        valid = int(torch.randint(1, length + 1, (1,), generator=g))
        mask[b, valid:] = 0
    inputs = {"input_ids": ids, "attention_mask": mask}
    if lengths:
        inputs = {"input_ids": ids, "lengths": mask.sum(1)}
    if segments:
        inputs["token_type_ids"] = torch.randint(0, segments, (batch, length), generator=g)
    return inputs


def reference(model, inputs):
    """float64 logits of the same weights."""
    with torch.no_grad():
        return copy.deepcopy(model).double()(*inputs.values())


# Configurations the end-to-end tests export (issue: d 64/256, L 2/4, pre/post-LN, tied).
CONFIGS = {
    "nlu_d64_pre": dict(d=64, f=256, layers=2, pre_ln=True, tied=False, pooling="mean"),
    "nlu_d64_post_tied": dict(d=64, f=256, layers=2, pre_ln=False, tied=True,
                              pooling="first"),
    "nlu_d64_segments": dict(d=64, f=128, layers=2, pre_ln=True, tied=False,
                             pooling="mean", segments=2),
    "nlu_d64_expanded_pool": dict(d=64, f=128, layers=1, pre_ln=True, tied=False,
                                  pooling="mean_expanded"),
    "nlu_d64_length_mask": dict(d=64, f=128, layers=1, pre_ln=True, tied=False,
                                pooling="mean", mask_from="lengths"),
    "nlu_d64_last_token": dict(d=64, f=128, layers=1, pre_ln=True, tied=False,
                               pooling="last"),
    "nlu_d64_learned_positions": dict(d=64, f=128, layers=1, pre_ln=True, tied=False,
                                      pooling="mean", learned_positions=600),
    "nlu_d256_pre_l4": dict(d=256, f=1024, layers=4, pre_ln=True, tied=False,
                            pooling="mean", hidden=128),
    "nlu_d256_post_l4_tied": dict(d=256, f=1024, layers=4, pre_ln=False, tied=True,
                                  pooling="first"),
}


def build(config, seed=0):
    return randomize(HyperMixerClassifier(**config), seed).eval()


def export(model, path, opset=17):
    """torch.onnx.export with dynamic batch "B" and length "N" on every input."""
    import warnings

    inputs = make_inputs(2, 9, model.embedding.num_embeddings, seed=1,
                         segments=model.segment_embedding.num_embeddings
                         if model.segment_embedding is not None else 0,
                         lengths=model.mask_from == "lengths")
    names = list(inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(inputs.values()), path,
                          opset_version=onnx_upgrade.export_opset(opset),
                          input_names=names, output_names=["logits"],
                          dynamic_axes={**{n: {0: "B", 1: "N"} for n in names},
                                        **({"lengths": {0: "B"}} if "lengths" in names
                                           else {}),
                                        "logits": {0: "B"}},
                          do_constant_folding=True)
    onnx_upgrade.upgrade(path, opset)
