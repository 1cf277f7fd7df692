"""The benchmark workloads: one entry per model in WORKLOADS.

A workload says how to build its seeded PyTorch module, how to export it to
ONNX, how to make one input set for a sequence length, which lengths to
measure, and how many FLOPs one batch-1 run does (the model's own arithmetic
as exported, counting multiply-adds as 2 and ignoring elementwise work).

Adding a model (e.g. the HyperConformer encoder) is one Workload(...) entry:

    Workload(name="...", description="...", build=..., export=...,
             make_inputs=..., flops=..., output="...", lengths=(...),
             quick_lengths=(...))

Everything here runs under /usr/bin/python3 (torch, onnx, numpy).
"""
import dataclasses
import os
import sys
import warnings
from typing import Callable, Dict, Sequence

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "e2e"))
import hypermixing_models as hm  # noqa: E402

OPSET = 17


@dataclasses.dataclass(frozen=True)
class Workload:
    """One benchmarked model.

    build():                 the seeded float32 torch module in eval mode
    export(module, path):    writes the ONNX file (inputs named as make_inputs)
    make_inputs(n, set_id):  {input name: numpy array}, batch 1, length n;
                             the dict's order is the module's argument order
    output:                  the name of the one graph output
    flops(n):                FLOPs of one run at length n
    """
    name: str
    description: str
    build: Callable[[], torch.nn.Module]
    export: Callable[[torch.nn.Module, str], None]
    make_inputs: Callable[[int, int], Dict[str, np.ndarray]]
    flops: Callable[[int], float]
    output: str
    lengths: Sequence[int]
    quick_lengths: Sequence[int]


def _onnx_export(module, args, path, input_names, output_name):
    """torch.onnx.export at OPSET with dynamic batch and length on every input."""
    dynamic = {name: {0: "B", 1: "N"} for name in input_names}
    dynamic[output_name] = {0: "B"} if output_name == "logits" else {0: "B", 1: "N"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, path, opset_version=OPSET,
                          input_names=list(input_names), output_names=[output_name],
                          dynamic_axes=dynamic, do_constant_folding=True,
                          export_params=True)


# ---------------------------------------------------------------------------
# One HyperMixing layer (the unfused exported subgraph; hmc fuses it into
# hm.hyper_mix, ONNX Runtime and PyTorch run it as exported)
# ---------------------------------------------------------------------------
def _layer_config(d, k, heads, seed, positions="table"):
    """Multi-head layers use the SpeechBrain-style module (bool padding mask),
    with sinusoids or (positions="learned") a trained table of 4096 rows; the
    single-head layer uses the HyperMixer (NLU) module (float mask)."""
    if heads == 1:
        return dict(impl="b", d=d, k=k, hidden=d, tied=False, layer_norm=True,
                    mask=True, max_len=4096, seed=seed)
    return dict(impl="a", d=d, k=k, heads=heads, tied=False, mask=True, max_len=4096,
                positions=positions, seed=seed)


def _layer_export(config):
    def export(module, path):
        x = torch.randn(2, 11, config["d"], generator=torch.Generator().manual_seed(0))
        mask = torch.from_numpy(hm.make_mask(config, [11, 7], 11))
        _onnx_export(module, (x, mask), path, ["x", "mask"], "y")
    return export


def _layer_inputs(config):
    def make_inputs(n, set_id):
        rng = np.random.default_rng([n, set_id, config["seed"]])
        x = rng.standard_normal((1, n, config["d"])).astype(np.float32)
        return {"x": x, "mask": hm.make_mask(config, [n], n)}
    return make_inputs


def _layer_flops(config):
    """Two hypernetworks (per head: d_h -> hidden_h -> k_h) and the two token
    mixing products (4 N k d / h)."""
    d, k = config["d"], config["k"]
    heads = config.get("heads", 1)
    hidden = config.get("hidden") or d
    d_h, hidden_h, k_h = d // heads, hidden // heads, k // heads

    def flops(n):
        hyper = 2 * 2 * n * heads * (d_h * hidden_h + hidden_h * k_h)
        mixing = 4 * n * heads * k_h * d_h
        return float(hyper + mixing)
    return flops


def hypermix_layer(d, k, heads, seed, positions="table"):
    config = _layer_config(d, k, heads, seed, positions)
    learned = positions == "learned"
    return Workload(
        name=f"hypermix_d{d}_k{k}_h{heads}" + ("_learned" if learned else ""),
        description=f"one HyperMixing layer, d={d} k={k} heads={heads} (masked, opset 17"
                    + (", learned positions)" if learned else ")"),
        build=lambda: hm.build(config),
        export=_layer_export(config),
        make_inputs=_layer_inputs(config),
        flops=_layer_flops(config),
        output="y",
        lengths=(256, 1024, 4096),
        quick_lengths=(256,))


def hypermix_cross_layer(d, k, heads, seed):
    """One HyperMixing layer in the query/key/value form (cross mixing: separate
    queries, keys and values of one length, both padding masks), which hmc fuses
    into hm.hyper_mix with keys(K, V)."""
    names = ["query", "key", "value", "query_padding_mask", "key_padding_mask"]

    def build():
        layer = hm.QueryKeyValueHyperMixing(d, k, heads=heads, max_len=4096)
        return hm.randomize_(layer, seed).eval()

    def export(module, path):
        gen = torch.Generator().manual_seed(0)
        tokens = [torch.randn(2, 11, d, generator=gen) for _ in range(3)]
        masks = [torch.zeros(2, 11, dtype=torch.bool) for _ in range(2)]
        _onnx_export(module, (*tokens, *masks), path, names, "y")

    def make_inputs(n, set_id):
        rng = np.random.default_rng([n, set_id, seed])
        tokens = [rng.standard_normal((1, n, d)).astype(np.float32) for _ in range(3)]
        masks = [np.zeros((1, n), dtype=np.bool_) for _ in range(2)]
        return dict(zip(names, tokens + masks))

    def flops(n):
        d_h, k_h = d // heads, k // heads
        hyper = 2 * 2 * n * heads * (d_h * d_h + d_h * k_h)
        return float(hyper + 4 * n * heads * k_h * d_h)

    return Workload(
        name=f"hypermix_cross_d{d}_k{k}_h{heads}",
        description=f"one HyperMixing layer with separate queries, keys and values, "
                    f"d={d} k={k} heads={heads} (both masks, opset 17)",
        build=build, export=export, make_inputs=make_inputs, flops=flops, output="y",
        lengths=(256, 1024, 4096), quick_lengths=(256,))


# ---------------------------------------------------------------------------
# HyperMixer NLU sentence classifiers (test/e2e/nlu_models.py)
# ---------------------------------------------------------------------------
NLU_VOCAB = 30522


def _nlu_module():
    """test/e2e/nlu_models.py, or None while it is not in the tree."""
    try:
        import nlu_models
    except ImportError:
        return None
    return nlu_models


def _nlu_build(d, f, layers, seed, tied):
    def build():
        nlu = _nlu_module()
        if nlu is None:
            raise RuntimeError("test/e2e/nlu_models.py is missing")
        model = nlu.HyperMixerClassifier(vocab=NLU_VOCAB, d=d, f=f, layers=layers,
                                         classes=3, tied=tied)
        return nlu.randomize(model, seed).eval()
    return build


def _nlu_export(module, path):
    ids = torch.randint(0, NLU_VOCAB, (2, 11), generator=torch.Generator().manual_seed(0))
    mask = torch.ones(2, 11, dtype=torch.int64)
    mask[1, 7:] = 0
    _onnx_export(module, (ids, mask), path, ["input_ids", "attention_mask"], "logits")


def _nlu_inputs(seed):
    def make_inputs(n, set_id):
        rng = np.random.default_rng([n, set_id, seed])
        ids = rng.integers(0, NLU_VOCAB, size=(1, n), dtype=np.int64)
        return {"input_ids": ids, "attention_mask": np.ones((1, n), dtype=np.int64)}
    return make_inputs


def _nlu_flops(d, f, layers, tied, classes=3):
    """Per layer: two hypernetworks d -> d -> d (8 N d^2; one when tied),
    token mixing with k = d (4 N d^2), feature MLP (4 N d f); then the
    classifier."""
    mixing = 8 if tied else 12
    def flops(n):
        return float(layers * (mixing * n * d * d + 4 * n * d * f) + 2 * d * classes)
    return flops


def nlu_classifier(size, d, f, layers, seed, tied=False):
    return Workload(
        name=f"nlu_{size}" + ("_tied" if tied else ""),
        description=f"HyperMixer NLU classifier '{size}': d={d} f={f} L={layers} "
                    f"vocab={NLU_VOCAB}" + (", tied hypernetworks" if tied else ""),
        build=_nlu_build(d, f, layers, seed, tied),
        export=_nlu_export,
        make_inputs=_nlu_inputs(seed),
        flops=_nlu_flops(d, f, layers, tied),
        output="logits",
        lengths=(64, 256, 1024, 4096),
        quick_lengths=(64,))


# ---------------------------------------------------------------------------
# Speech encoders (test/e2e/asr_models.py): HyperConformer and Conformer
# ---------------------------------------------------------------------------
def _asr_build(mixing, seed):
    def build():
        import asr_models
        return asr_models.build(dict(asr_models.CONFIGS["hyperconformer_8m"],
                                     mixing=mixing), seed)
    return build


def _asr_export(module, path):
    import asr_models
    asr_models.export(module, path, OPSET, mask=False)


def _asr_inputs(seed):
    def make_inputs(frames, set_id):
        rng = np.random.default_rng([frames, set_id, seed])
        return {"feats": (2.0 * rng.standard_normal((1, frames, 80))).astype(np.float32)}
    return make_inputs


def _asr_flops(mixing, d=144, d_ffn=576, layers=10, heads=8, vocab=5000):
    """Front-end convs and projection, per layer two FFNs, the conv module and
    the mixing (hypermixing: two per-head hypernetworks and the token mixing,
    linear in T; attention: projections plus T^2 scores; relative attention also
    projects the 2T - 1 relative positions and scores them), then the CTC head."""
    def flops(frames):
        t2, t4 = -(-frames // 2), -(-frames // 4)
        front = 2 * t2 * 40 * 64 * 9 + 2 * t4 * 20 * 32 * 64 * 9 + 2 * t4 * 640 * d
        ffn = 2 * 4 * t4 * d * d_ffn
        conv = 2 * t4 * d * 2 * d + 2 * t4 * d * 31 + 2 * t4 * d * d
        if mixing == "hypermixing":
            d_h, k_h = d // heads, d_ffn // heads
            mix = heads * (2 * 2 * t4 * (d_h * d_h + d_h * k_h) + 2 * 2 * t4 * k_h * d_h)
        else:
            mix = 2 * t4 * d * 3 * d + 2 * 2 * t4 * t4 * d + 2 * t4 * d * d
        if mixing == "relative_attention":
            mix += 2 * (2 * t4 - 1) * d * d + 2 * t4 * (2 * t4 - 1) * d
        return float(front + layers * (ffn + conv + mix) + 2 * t4 * d * vocab)
    return flops


def speech_encoder(mixing, seed):
    name = {"hypermixing": "hyperconformer_8m", "attention": "conformer_8m",
            "relative_attention": "conformer_8m_relative"}[mixing]
    return Workload(
        name=name,
        description=f"{name} encoder + CTC head: d=144 d_ffn=576 L=10 h=8, "
                    "80-dim features in (100 frames per second of audio)",
        build=_asr_build(mixing, seed),
        export=_asr_export,
        make_inputs=_asr_inputs(seed),
        flops=_asr_flops(mixing),
        output="log_probs",
        lengths=(500, 2000, 6000),
        quick_lengths=(500,))


# ---------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------
WORKLOADS = {w.name: w for w in [
    hypermix_layer(144, 576, 8, seed=1),     # HyperConformer "8M" layer
    hypermix_layer(144, 576, 8, seed=1, positions="learned"),
    hypermix_layer(256, 1024, 8, seed=2),    # HyperConformer "22M" layer
    hypermix_layer(256, 512, 1, seed=3),     # single-head HyperMixer layer
    hypermix_cross_layer(144, 576, 8, seed=1),
    nlu_classifier("small", 256, 1024, 4, seed=4),
    nlu_classifier("small", 256, 1024, 4, seed=4, tied=True),
    nlu_classifier("base", 512, 2048, 12, seed=5),
    speech_encoder("hypermixing", seed=6),   # 5, 20 and 60 s of audio
    speech_encoder("attention", seed=6),
    speech_encoder("relative_attention", seed=6),  # SpeechBrain's RelPosMHAXL
]}
