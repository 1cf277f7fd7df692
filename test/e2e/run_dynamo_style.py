#!/usr/bin/python3
"""End-to-end test of graphs in the form torch's dynamo exporter writes them
(torch.onnx.export(..., dynamo=True), the default from torch 2.9: opset 18 or 22,
ir_version 10), with and without its optimizer. torch 1.13 cannot run that exporter, so
dynamo_graphs.py writes the graphs from the reference modules and their seeded weights:

  multihead_op22             hypermixing_models impl "a" (2 heads), optimized, Gelu,
                             reshapes as views (Reshape allowzero=1)
  multihead_fill_op18_unopt  impl "a" masking with masked_fill, unoptimized: Constant
                             nodes, Where(mask, CastLike(0.0, x), x), named unread
                             LayerNormalization outputs, bias Unsqueezes and the
                             slices' Cast bounds at run time, Erf GELU
  token_mixing_matmul_op22   impl "b", linear as MatMul with folded weight Transposes
  token_mixing_gemm_op22     impl "b", linear as Reshape + Gemm(transB=1) + Reshape
  classifier_op22            nlu_models classifier (d 64, 2 layers), optimized: the
                             layers' equal position tables one initializer, one Gather
  classifier_op22_unopt      the same unoptimized: weight Transposes at run time, a
                             position table and Gather per layer, arange and the mean
                             pooling's Clip bound through CastLike
  conv_module_op18           asr_models.ConvModule: Split GLU, depthwise Conv, SiLU as
                             Mul(x, Sigmoid(x)), masked_fill
  norms_op23                 GroupNorms below: GroupNormalization (opset 21 on) and
                             RMSNormalization (opset 23 on)
  self_attention_op22        asr_models.SelfAttention (the Conformer's, 4 heads),
                             optimized: unbind as Split + Squeeze, 4-D MatMuls,
                             masked_fill(-1e9), Softmax, reshapes as views
  self_attention_op18_unopt  the same unoptimized: Constant nodes, CastLike, weight
                             Transposes at run time, the mask's whole-axis Slices, clone
  mha_sdpa_op22              Attention below, need_weights=False: the float -inf mask
                             expanded over the heads, torchlib's scaled_dot_product_attention
                             (key transposed through Reshapes, sqrt(scale) on q and k)
  mha_sdpa_op18_unopt        the same unoptimized: the scale computed from Shape(q), an
                             unread Slice of unflatten
  mha_weights_op22           need_weights=True: baddbmm, softmax and bmm; the averaged
                             weights are unread, so optimized away
  mha_weights_op18_unopt     the same unoptimized, the weights' view and ReduceMean kept

Each graph is compiled once (`hmc compile X.onnx -o DIR -q`) and run at (B, N) in
(1, 1), (3, 7), (2, 37), rows after the first right-padded; the output on the real tokens
must match the float64 PyTorch module within relative L2 1e-5 (1e-4 for the whole
classifier). The HyperMixing graphs must also fuse: `--emit=mlir-fused` has one
hm.hyper_mix per mixing layer.

  run_dynamo_style.py --hmc build/bin/hmc --work DIR
"""
import copy
import os
import re
import subprocess
import sys
from functools import partial

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import asr_models  # noqa: E402
import dynamo_graphs  # noqa: E402
import hmc_library  # noqa: E402
import hypermixing_models  # noqa: E402
import nlu_models  # noqa: E402
from hmc_tool import parse_driver_args, rel_l2  # noqa: E402

SIZES = [(1, 1), (3, 7), (2, 37)]
LAYER_TOLERANCE = 1e-5
CLASSIFIER_TOLERANCE = 1e-4


def lengths_of(batch, n):
    """Real tokens per row: the first row full, row r > 0 keeps r * n // batch + 1."""
    return np.array([n] + [r * n // batch + 1 for r in range(1, batch)])


def real_tokens(batch, n):
    return np.arange(n)[None, :] < lengths_of(batch, n)[:, None]


def float64_module(module, *inputs):
    with torch.no_grad():
        return copy.deepcopy(module).double()(*inputs).numpy()


def padding_mask_case(module, d):
    """Inputs x and key_padding_mask (True = padded), as impl "a", ConvModule and the
    attentions take."""
    def case(batch, n, rng):
        x = rng.standard_normal((batch, n, d)).astype(np.float32)
        valid = real_tokens(batch, n)
        ref = float64_module(module, torch.from_numpy(x).double(), torch.from_numpy(~valid))
        return {"x": x, "key_padding_mask": ~valid}, ref, valid
    return case


def float_mask_case(module):
    """Inputs x and mask (1.0 = real token), as impl "b" takes."""
    def case(batch, n, rng):
        x = rng.standard_normal((batch, n, module.d)).astype(np.float32)
        valid = real_tokens(batch, n)
        mask = valid.astype(np.float32)
        ref = float64_module(module, torch.from_numpy(x).double(),
                             torch.from_numpy(mask).double())
        return {"x": x, "mask": mask}, ref, valid
    return case


def classifier_case(model):
    """Token ids and an int64 attention mask; the logits of every row are checked."""
    def case(batch, n, rng):
        ids = rng.integers(0, model.embedding.num_embeddings, (batch, n))
        mask = real_tokens(batch, n).astype(np.int64)
        ref = nlu_models.reference(model, {"input_ids": torch.from_numpy(ids),
                                           "attention_mask": torch.from_numpy(mask)})
        return {"input_ids": ids, "attention_mask": mask}, ref.numpy(), np.ones(batch, bool)
    return case


def seeded(module, seed):
    """The module in eval mode with the weight spread asr_models.build gives encoders."""
    return asr_models.randomize(module.eval(), torch.Generator().manual_seed(seed))


class Attention(torch.nn.Module):
    """nn.MultiheadAttention self-attention, batch first, returning only the output; its
    weights are computed (and unread) when need_weights."""

    def __init__(self, d=32, heads=4, need_weights=False, seed=11):
        super().__init__()
        self.attn = torch.nn.MultiheadAttention(d, heads, batch_first=True)
        self.need_weights = need_weights
        seeded(self, seed)

    def forward(self, x, key_padding_mask):
        return self.attn(x, x, x, key_padding_mask=key_padding_mask,
                         need_weights=self.need_weights)[0]


class GroupNorms(torch.nn.Module):
    """nn.GroupNorm over the channels of [B, C, N], then an RMS norm over the channels
    (F.rms_norm in torch 2.4 and later, written out here), padded tokens zeroed."""

    def __init__(self, channels=12, groups=4, eps=1e-6, seed=7):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.group = torch.nn.GroupNorm(groups, channels)
        self.rms_weight = torch.nn.Parameter(1.0 + 0.1 * torch.randn(channels, generator=g))
        self.eps = eps
        with torch.no_grad():
            self.group.weight.copy_(1.0 + 0.1 * torch.randn(channels, generator=g))
            self.group.bias.copy_(0.1 * torch.randn(channels, generator=g))

    def forward(self, x, key_padding_mask):
        y = self.group(x.transpose(1, 2)).transpose(1, 2)
        y = y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + self.eps) * self.rms_weight
        return y.masked_fill(key_padding_mask[..., None], 0.0)


def graphs():
    """(name, opset, write(path, opset), case, tolerance, hyper_mix ops expected)."""
    multihead = hypermixing_models.build(dict(impl="a", d=32, k=64, heads=2, tied=False,
                                              mask=True, seed=14))
    multihead_fill = hypermixing_models.build(hypermixing_models.CONFIGS["a_h2_masked_fill"])
    mixing = hypermixing_models.build(dict(impl="b", d=32, k=48, hidden=40, tied=False,
                                           layer_norm=True, mask=True, seed=5))
    model = nlu_models.build(dict(vocab=200, d=64, f=128, layers=2, pre_ln=True, tied=False,
                                  pooling="mean", max_len=512), seed=3)
    conv = seeded(asr_models.ConvModule(32), seed=5)
    norms = GroupNorms().eval()
    self_attention = seeded(asr_models.SelfAttention(32, 4), seed=9)
    mha, mha_weights = Attention(), Attention(need_weights=True)
    return [
        ("multihead_op22", 22,
         partial(dynamo_graphs.multi_head_hyper_mixing, multihead, view=True),
         padding_mask_case(multihead, multihead.d), LAYER_TOLERANCE, 1),
        ("multihead_fill_op18_unopt", 18,
         partial(dynamo_graphs.multi_head_hyper_mixing, multihead_fill, optimize=False),
         padding_mask_case(multihead_fill, multihead_fill.d), LAYER_TOLERANCE, 1),
        ("token_mixing_matmul_op22", 22,
         partial(dynamo_graphs.token_mixing, mixing, style="matmul"),
         float_mask_case(mixing), LAYER_TOLERANCE, 1),
        ("token_mixing_gemm_op22", 22,
         partial(dynamo_graphs.token_mixing, mixing, style="gemm"),
         float_mask_case(mixing), LAYER_TOLERANCE, 1),
        ("classifier_op22", 22, partial(dynamo_graphs.classifier, model),
         classifier_case(model), CLASSIFIER_TOLERANCE, len(model.layers)),
        ("classifier_op22_unopt", 22,
         partial(dynamo_graphs.classifier, model, optimize=False),
         classifier_case(model), CLASSIFIER_TOLERANCE, len(model.layers)),
        ("conv_module_op18", 18, partial(dynamo_graphs.conv_module, conv),
         padding_mask_case(conv, 32), LAYER_TOLERANCE, 0),
        ("norms_op23", 23, partial(dynamo_graphs.norms, norms),
         padding_mask_case(norms, norms.group.num_channels), LAYER_TOLERANCE, 0),
        ("self_attention_op22", 22, partial(dynamo_graphs.self_attention, self_attention),
         padding_mask_case(self_attention, 32), LAYER_TOLERANCE, 0),
        ("self_attention_op18_unopt", 18,
         partial(dynamo_graphs.self_attention, self_attention, optimize=False),
         padding_mask_case(self_attention, 32), LAYER_TOLERANCE, 0),
        ("mha_sdpa_op22", 22, partial(dynamo_graphs.multihead_attention, mha),
         padding_mask_case(mha, 32), LAYER_TOLERANCE, 0),
        ("mha_sdpa_op18_unopt", 18,
         partial(dynamo_graphs.multihead_attention, mha, optimize=False),
         padding_mask_case(mha, 32), LAYER_TOLERANCE, 0),
        ("mha_weights_op22", 22, partial(dynamo_graphs.multihead_attention, mha_weights),
         padding_mask_case(mha_weights, 32), LAYER_TOLERANCE, 0),
        ("mha_weights_op18_unopt", 18,
         partial(dynamo_graphs.multihead_attention, mha_weights, optimize=False),
         padding_mask_case(mha_weights, 32), LAYER_TOLERANCE, 0),
    ]


def hyper_mix_ops(hmc, onnx_path):
    """How many hm.hyper_mix ops the fused MLIR has (None when hmc fails); the weights'
    resource names start with hm.hyper_mix too, so only results of the op count."""
    result = subprocess.run([hmc, "compile", onnx_path, "--emit=mlir-fused"],
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        return None
    return len(re.findall(r"=\s*hm\.hyper_mix\s", result.stdout))


def main():
    args = parse_driver_args(__doc__)
    hmc = args.hmc
    models = os.path.join(args.work, "models")
    os.makedirs(models, exist_ok=True)
    failed = False
    print(f"{'graph':<26} {'opset':>5} {'B':>2} {'N':>3} {'lengths':<9} {'rel_err':>9} "
          f"{'tol':>6} status")
    for name, opset, write, case, tolerance, mixes in graphs():
        onnx_path = write(os.path.join(models, name + ".onnx"), opset)
        out_dir = os.path.join(args.work, "build", name)
        cmd = [hmc, "compile", onnx_path, "-o", out_dir, "-q"]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            print(f"{name:<26} {opset:>5} compile FAILED: {' '.join(cmd)}\n"
                  f"{result.stderr.strip()}")
            failed = True
            continue
        if mixes:
            found = hyper_mix_ops(hmc, onnx_path)
            ok = found == mixes
            failed |= not ok
            detail = f"fused: {found} hm.hyper_mix, want {mixes}"
            print(f"{name:<26} {opset:>5} {detail:<33} {'ok' if ok else 'FAIL'}")
        library = hmc_library.Library(os.path.join(out_dir, f"lib{name}.so"))
        rng = np.random.default_rng(0)
        with library.create() as handle:
            for batch, n in SIZES:
                inputs, ref, valid = case(batch, n, rng)
                outputs = handle.run(**inputs)
                got = next(iter(outputs.values())).astype(np.float64)
                err = rel_l2(got[valid], ref[valid]) if got.shape == ref.shape \
                    else float("inf")
                ok = err <= tolerance
                failed |= not ok
                lengths = ",".join(str(v) for v in lengths_of(batch, n))
                print(f"{name:<26} {opset:>5} {batch:>2} {n:>3} {lengths:<9} {err:>9.2e} "
                      f"{tolerance:>6.0e} {'ok' if ok else 'FAIL'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
