#!/usr/bin/python3
"""Self-checks of the Python references and the ONNX exports (no hmc needed).

  /usr/bin/python3 test/e2e/test_reference.py [--skip-export]

Checks:
  1. impl (a) h=1 and impl (b) agree in float64 (weights copied a -> b), also tied, <= 1e-12;
  2. impl (a) with h=8 agrees with a third, loop-per-head numpy evaluation of the formulas in
     HYPERMIXING.md (float64), <= 1e-12; same for impl (b) incl. a non-binary mask, and
     impl (f);
  3. right padding: valid rows of a padded run equal the unpadded run of that row (float64,
     <= 1e-12), padded rows equal LayerNorm beta (0 without LN);
  4. the float32 module agrees with the float64 reference (sanity of the 1e-5 threshold);
  5. every config exports at opset 14 and 17, passes onnx.checker (full check), has the
     named dynamic inputs/outputs, and the exported graph, evaluated by the tiny numpy
     interpreter in onnx_eval.py, matches the float64 reference.
Exits non-zero on any failure.
"""
import argparse
import math
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hypermixing_models as hm  # noqa: E402

FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        FAILURES.append(what)


def rel(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    nb = np.linalg.norm(b)
    return np.linalg.norm(a - b) / (nb if nb > 0 else 1.0)


# ---------------------------------------------------------------------------------------------
# A third evaluation: straight from the formulas, explicit loops over batch and heads, numpy.
# ---------------------------------------------------------------------------------------------
def _gelu(t):
    erf = np.vectorize(math.erf)
    return 0.5 * t * (1.0 + erf(t / math.sqrt(2.0)))


def formula_eval(x, m, P, heads, A1, a1, C1, c1, A2, a2, C2, c2, gamma, beta, eps=1e-5):
    """x [B,N,d], m [B,N] float validity; A_i [h,dh_hid,d_h], a_i [h,dh_hid], C_i [h,k_h,dh_hid],
    c_i [h,k_h]; gamma/beta None = no LayerNorm."""
    B, N, d = x.shape
    d_h = d // heads
    out = np.zeros((B, N, d))
    for b in range(B):
        Xm = m[b][:, None] * x[b]
        H = Xm + P[:N]
        Y = np.zeros((N, d))
        for j in range(heads):
            sl = slice(j * d_h, (j + 1) * d_h)
            W1 = _gelu(H[:, sl] @ A1[j].T + a1[j]) @ C1[j].T + c1[j]
            W2 = _gelu(H[:, sl] @ A2[j].T + a2[j]) @ C2[j].T + c2[j]
            W1 = m[b][:, None] * W1
            W2 = m[b][:, None] * W2
            Z = _gelu(W1.T @ Xm[:, sl])
            Y[:, sl] = W2 @ Z
        if gamma is None:
            out[b] = Y
        else:
            mu = Y.mean(-1, keepdims=True)
            var = ((Y - mu) ** 2).mean(-1, keepdims=True)
            out[b] = (Y - mu) / np.sqrt(var + eps) * gamma + beta
    return out


def _np(t):
    return t.detach().double().numpy()


def formula_eval_a(mod, x, pad):
    m = np.ones(x.shape[:2]) if pad is None else np.logical_not(pad).astype(np.float64)
    h1 = mod.hyper_w1
    h2 = mod.hyper_w1 if mod.tied else mod.hyper_w2
    return formula_eval(x, m, _np(mod.pe[0]), mod.heads,
                        _np(h1.w1), _np(h1.b1), _np(h1.w2), _np(h1.b2),
                        _np(h2.w1), _np(h2.b1), _np(h2.w2), _np(h2.b2),
                        _np(mod.norm.weight), _np(mod.norm.bias))


def formula_eval_b(mod, x, m):
    m = np.ones(x.shape[:2]) if m is None else np.asarray(m, dtype=np.float64)
    i1, o1 = mod.w1_in, mod.w1_out
    i2, o2 = (mod.w1_in, mod.w1_out) if mod.tied else (mod.w2_in, mod.w2_out)
    ln = mod.layer_norm
    return formula_eval(x, m, _np(mod.positions), 1,
                        _np(i1.weight)[None], _np(i1.bias)[None], _np(o1.weight)[None],
                        _np(o1.bias)[None], _np(i2.weight)[None], _np(i2.bias)[None],
                        _np(o2.weight)[None], _np(o2.bias)[None],
                        None if ln is None else _np(ln.weight),
                        None if ln is None else _np(ln.bias))


def formula_eval_f(mod, x, m):
    m = np.ones(x.shape[:2]) if m is None else np.asarray(m, dtype=np.float64)
    h = mod.heads

    def per_head(conv):  # grouped pointwise Conv1d -> [h, out, in], [h, out]
        w = _np(conv.weight)
        return w.reshape(h, w.shape[0] // h, w.shape[1]), _np(conv.bias).reshape(h, -1)

    A1, a1 = per_head(mod.hyper1[0])
    C1, c1 = per_head(mod.hyper1[2])
    A2, a2 = per_head((mod.hyper1 if mod.tied else mod.hyper2)[0])
    C2, c2 = per_head((mod.hyper1 if mod.tied else mod.hyper2)[2])
    return formula_eval(x, m, _np(mod.pe), h, A1, a1, C1, c1, A2, a2, C2, c2,
                        _np(mod.norm.weight), _np(mod.norm.bias))


def copy_a_to_b(a, b):
    assert a.heads == 1 and b.hidden == a.d and b.tied == a.tied
    with torch.no_grad():
        pairs = [(a.hyper_w1, b.w1_in, b.w1_out)]
        if not a.tied:
            pairs.append((a.hyper_w2, b.w2_in, b.w2_out))
        for src, lin_in, lin_out in pairs:
            lin_in.weight.copy_(src.w1[0])
            lin_in.bias.copy_(src.b1[0])
            lin_out.weight.copy_(src.w2[0])
            lin_out.bias.copy_(src.b2[0])
        b.layer_norm.weight.copy_(a.norm.weight)
        b.layer_norm.bias.copy_(a.norm.bias)


def padded_batch(rng, n, lengths, d):
    x = rng.standard_normal((len(lengths), n, d)).astype(np.float32)
    return x, lengths


def test_sinusoid():
    P = hm.sinusoid_table(3000, 144).double().numpy()
    n, i = 2999, 37
    want = math.cos(n * 10000 ** (-(i - 1) / 144))
    check(abs(P[n, i] - want) < 1e-6 and abs(P[5, 4] - math.sin(5 * 10000 ** (-4 / 144))) < 1e-7,
          "sinusoid table matches P[n,2i]=sin, P[n,2i+1]=cos (positions from 0)")


def test_a_vs_b():
    rng = np.random.default_rng(0)
    for tied in (False, True):
        a = hm.randomize_(hm.MultiHeadHyperMixing(48, 80, heads=1, tied=tied), 11).eval()
        b = hm.HyperMixerTokenMixing(48, 80, hidden=48, tied=tied).eval()
        hm.randomize_(b, 99)  # different values, then overwritten
        copy_a_to_b(a, b)
        lengths = [23, 17, 1]
        x = rng.standard_normal((3, 23, 48)).astype(np.float32)
        pad = np.arange(23)[None, :] >= np.asarray(lengths)[:, None]
        ya = hm.reference(a, x, pad)
        yb = hm.reference(b, x, np.logical_not(pad).astype(np.float32))
        check(rel(ya, yb) <= 1e-12, f"impl a (h=1) == impl b, tied={tied}, masked, float64: "
              f"rel {rel(ya, yb):.2e}")
        ya = hm.reference(a, x)
        yb = hm.reference(b, x)
        check(rel(ya, yb) <= 1e-12, f"impl a (h=1) == impl b, tied={tied}, no mask, float64: "
              f"rel {rel(ya, yb):.2e}")


def test_formula():
    rng = np.random.default_rng(1)
    for name in ("a_h8", "a_h1", "a_h8_tied", "a_h8_nomask"):
        cfg = hm.CONFIGS[name]
        mod = hm.build(cfg)
        lengths = [19, 11, 19]
        x = rng.standard_normal((3, 19, cfg["d"])).astype(np.float32)
        pad = hm.make_mask(cfg, lengths, 19) if cfg["mask"] else None
        y = hm.reference(mod, x, pad)
        f = formula_eval_a(mod, x.astype(np.float64), pad)
        check(rel(y, f) <= 1e-12, f"{name}: impl a == per-head formula loop: {rel(y, f):.2e}")
    for name in ("b_mask", "b_nomask", "b_tied", "b_noln", "b_hidden_sizes"):
        cfg = hm.CONFIGS[name]
        mod = hm.build(cfg)
        x = rng.standard_normal((3, 19, cfg["d"])).astype(np.float32)
        m = hm.make_mask(cfg, [19, 11, 19], 19) if cfg["mask"] else None
        y = hm.reference(mod, x, m)
        f = formula_eval_b(mod, x.astype(np.float64), m)
        check(rel(y, f) <= 1e-12, f"{name}: impl b == formula loop: {rel(y, f):.2e}")
        if cfg["mask"]:
            m = rng.uniform(0.0, 1.0, (3, 19)).astype(np.float32)  # non-binary mask
            y = hm.reference(mod, x, m)
            f = formula_eval_b(mod, x.astype(np.float64), m)
            check(rel(y, f) <= 1e-12,
                  f"{name}: impl b == formula loop, non-binary mask: {rel(y, f):.2e}")
    for name in ("f_h4_conv1d", "f_h1_conv1d_tied"):
        cfg = hm.CONFIGS[name]
        mod = hm.build(cfg)
        x = rng.standard_normal((3, 19, cfg["d"])).astype(np.float32)
        m = hm.make_mask(cfg, [19, 11, 1], 19)
        y = hm.reference(mod, x, m)
        f = formula_eval_f(mod, x.astype(np.float64), m)
        check(rel(y, f) <= 1e-12, f"{name}: impl f == per-head formula loop: {rel(y, f):.2e}")


def test_padding():
    rng = np.random.default_rng(2)
    for name, cfg in hm.CONFIGS.items():
        if not cfg["mask"]:
            continue
        mod = hm.build(cfg)
        n = 37
        lengths = [37, 20, 1, 0]
        x = rng.standard_normal((4, n, cfg["d"])).astype(np.float32)
        y = hm.reference(mod, x, hm.make_mask(cfg, lengths, n))
        worst_valid, worst_pad = 0.0, 0.0
        beta = hm.beta_of(mod)
        for r, L in enumerate(lengths):
            if L > 0:
                alone = hm.reference(mod, x[r:r + 1, :L], hm.make_mask(cfg, [L], L))
                worst_valid = max(worst_valid, rel(y[r, :L], alone[0]))
            if L < n:
                worst_pad = max(worst_pad, float(np.abs(y[r, L:] - beta).max()))
        check(worst_valid <= 1e-12, f"{name}: padded valid rows == unpadded run: "
              f"rel {worst_valid:.2e}")
        if cfg.get("mask_apply") not in ("tokens", "tokens_w1"):
            check(worst_pad <= 1e-12, f"{name}: padded rows == beta (incl. a fully padded "
                  f"row): max abs {worst_pad:.2e}")
            continue
        # Masking only the tokens keeps W2's padded rows, generated from the
        # positions alone: other values in the padding must change nothing.
        other = x.copy()
        for r, L in enumerate(lengths):
            other[r, L:] = rng.standard_normal((n - L, cfg["d"])).astype(np.float32)
        moved = float(np.abs(hm.reference(mod, other, hm.make_mask(cfg, lengths, n)) - y).max())
        check(moved <= 1e-12, f"{name}: padded rows independent of the padding's values: "
              f"max abs change {moved:.2e}")


def test_float32():
    rng = np.random.default_rng(3)
    for name, cfg in hm.CONFIGS.items():
        mod = hm.build(cfg)
        n = 128
        x = rng.standard_normal((3, n, cfg["d"])).astype(np.float32)
        mask = hm.make_mask(cfg, [128, 77, 5], n) if cfg["mask"] else None
        ref = hm.reference(mod, x, mask)
        with torch.no_grad():
            args = [torch.from_numpy(x)] + ([torch.from_numpy(mask)] if mask is not None else [])
            y32 = mod(*args).numpy()
        e = rel(y32, ref)
        check(e <= 1e-5, f"{name}: PyTorch float32 vs float64 reference: rel {e:.2e} (<= 1e-5)")


def test_exports():
    import onnx
    import export_models
    import onnx_eval
    rng = np.random.default_rng(4)
    with tempfile.TemporaryDirectory() as tmp:
        for name, cfg in hm.CONFIGS.items():
            for opset in (14, 17):
                path = os.path.join(tmp, f"{name}_op{opset}.onnx")
                mod = export_models.export(dict(cfg, opset=opset), path)
                model = onnx.load(path)
                try:
                    onnx.checker.check_model(model, full_check=True)
                    ok = True
                except Exception as e:  # noqa: BLE001
                    ok = False
                    print(e)
                check(ok, f"{name} opset {opset}: onnx.checker (full_check)")
                ins = [i.name for i in model.graph.input]
                outs = [o.name for o in model.graph.output]
                want_in = ["x", "mask"] if cfg["mask"] else ["x"]
                check(ins == want_in and outs == ["y"],
                      f"{name} opset {opset}: inputs {ins}, outputs {outs}")
                # ("B", "N") after dropping unit dims: a [B, 1, N] mask has them too.
                dyn = all(
                    [dim.dim_param for dim in v.type.tensor_type.shape.dim
                     if dim.dim_value != 1][:2] == ["B", "N"]
                    for v in list(model.graph.input) + list(model.graph.output))
                check(dyn, f"{name} opset {opset}: batch and sequence dims are symbolic B, N")
                check(model.opset_import[0].version == opset,
                      f"{name} opset {opset}: opset_import {model.opset_import[0].version}")
                for (B, n, lengths) in ((3, 37, [37, 20, 1]), (1, 5, [5])):
                    x = rng.standard_normal((B, n, cfg["d"])).astype(np.float32)
                    feeds = {"x": x}
                    mask = None
                    if cfg["mask"]:
                        mask = hm.make_mask(cfg, lengths, n)
                        feeds["mask"] = mask
                    y = onnx_eval.run(model, feeds)["y"]
                    ref = hm.reference(mod, x, mask)
                    e = rel(y, ref)
                    check(e <= 1e-6, f"{name} opset {opset} B={B} N={n}: float64 numpy "
                          f"evaluation of the ONNX graph vs float64 reference: rel {e:.2e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-export", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    test_sinusoid()
    test_a_vs_b()
    test_formula()
    test_padding()
    test_float32()
    if not args.skip_export:
        test_exports()
    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) FAILED:")
        for f in FAILURES:
            print("  " + f)
        return 1
    print("\nall reference checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
