#!/usr/bin/python3
"""End-to-end test: PyTorch HyperMixing layers -> ONNX -> `hmc compile` -> `hmc run` -> compare.

  /usr/bin/python3 test/e2e/run_e2e.py --hmc build/bin/hmc --work /tmp/hmc-e2e [--quick]

For every model (configs in hypermixing_models.CONFIGS, opsets 14 and 17):
  1. export it with export_models.export to WORK/models/<model>_op<opset>.onnx;
  2. `HMC compile MODEL.onnx -o WORK/build/<model>_op<opset>` (once per model), which must
     write lib<stem>.so and <stem>.h;
  3. for N in {1, 7, 37, 128, 1000} and B in {1, 3}: write x.npy (float32, standard normal,
     padded positions hold random values too) and mask.npy (bool, True = padded, for impl a;
     float32, 1 = real, for impl b; batch 3 is right-padded with random valid lengths, at
     least one row fully valid and one padded -- for N = 1 that padded row is fully masked),
     run `HMC run lib.so --input x=x.npy [--input mask=mask.npy] --output-dir RES`, read
     RES/y.npy and compare with the float64 reference computed on the same float32 inputs:
       rel_err = ||y - ref|| / ||ref|| over valid rows  <= --tol (1e-5)
       pad_err = same over padded rows (the reference there is LayerNorm beta; without a
                 final LayerNorm it is 0, then the error is relative to the valid-row RMS;
                 a layer that masks only its input keeps its W2 rows there).
  Models with a float mask also run one non-binary mask case (B=2, N=37, mask ~ U(0,1)):
  the mask enters twice (tokens and generated weights), see HYPERMIXING.md.
  A model with a learned position table of L rows must refuse N = L + 1 at run time
  ("expected 1..L"), as the PyTorch model cannot run it either.
Prints a table (model, opset, B, N, rel_err, pad_err, status) and exits 1 if anything failed.

--quick: a_h8 and b_mask at opsets 14 and 17, N in {7, 128}, B in {1, 3}.
--models / --opsets / --sizes / --batches restrict the matrix; --repeat K adds a median_ms
column from `hmc run --repeat K`.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import export_models  # noqa: E402
import hypermixing_models as hm  # noqa: E402
from hmc_tool import parse_driver_args, rel_l2  # noqa: E402

FULL_SIZES = [1, 7, 37, 128, 1000]
FULL_BATCHES = [1, 3]
QUICK_MODELS = ["a_h8", "b_mask"]
QUICK_SIZES = [7, 128]


def describe_rc(rc):
    if rc < 0:
        try:
            return f"killed by signal {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit code {rc}"


def run_cmd(cmd, timeout):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", timeout=timeout)
        return p.returncode, p.stdout, time.time() - t0
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (
            e.stdout or "")
        return None, out + f"\n[timed out after {timeout} s]", time.time() - t0
    except OSError as e:
        return None, f"[cannot run {cmd[0]}: {e}]", time.time() - t0


def tail(text, n=25):
    lines = text.rstrip().splitlines()
    return "\n".join("      | " + ln for ln in lines[-n:])


def batch_lengths(rng, B, N):
    """Valid lengths: B=1 -> [N]; B>1 -> one full row, one padded row, the rest random."""
    if B == 1:
        return [N]
    padded = int(rng.integers(1, N)) if N > 1 else 0
    rest = [int(rng.integers(1, N + 1)) for _ in range(B - 2)]
    lengths = [N, padded] + rest
    return [lengths[i] for i in rng.permutation(B)]


class Row:
    def __init__(self, model, opset, B, N, note=""):
        self.model, self.opset, self.B, self.N, self.note = model, opset, B, N, note
        self.rel = self.pad = self.ms = None
        self.status = "?"
        self.detail = ""


def make_case(cfg, rng, B, N, nonbinary=False):
    x = rng.standard_normal((B, N, cfg["d"])).astype(np.float32)
    if not cfg["mask"]:
        return x, None, np.ones((B, N), dtype=bool)
    if nonbinary:
        mask = rng.uniform(0.0, 1.0, (B, N)).astype(np.float32)
        return x, mask, np.ones((B, N), dtype=bool)  # no padded rows: compare everything
    lengths = batch_lengths(rng, B, N)
    mask = hm.make_mask(cfg, lengths, N)
    valid = np.arange(N)[None, :] < np.asarray(lengths)[:, None]
    return x, mask, valid


def check_table_limit(args, row, lib, cfg, case_dir):
    """One token more than a learned position table has rows: a clear run error."""
    os.makedirs(case_dir, exist_ok=True)
    x, mask, _ = make_case(cfg, np.random.default_rng(0), row.B, row.N)
    np.save(os.path.join(case_dir, "x.npy"), x)
    cmd = [args.hmc, "run", lib, "--input", f"x={os.path.join(case_dir, 'x.npy')}"]
    if mask is not None:
        np.save(os.path.join(case_dir, "mask.npy"), mask)
        cmd += ["--input", f"mask={os.path.join(case_dir, 'mask.npy')}"]
    rc, out, _ = run_cmd(cmd, args.run_timeout)
    expected = f"is {row.N}, expected 1..{row.N - 1}"
    row.status = "PASS" if rc == 1 and expected in out else "FAIL"
    if row.status != "PASS":
        row.detail = f"$ {' '.join(cmd)}\n    exit {rc}, wanted 1 and {expected!r}\n{tail(out)}"


def check_case(args, row, lib, module, cfg, case_dir, x, mask, valid):
    os.makedirs(case_dir, exist_ok=True)
    res_dir = os.path.join(case_dir, "res")
    if os.path.isdir(res_dir):
        shutil.rmtree(res_dir)
    os.makedirs(res_dir)
    np.save(os.path.join(case_dir, "x.npy"), x)
    cmd = [args.hmc, "run", lib, "--input", f"x={os.path.join(case_dir, 'x.npy')}"]
    if mask is not None:
        np.save(os.path.join(case_dir, "mask.npy"), mask)
        cmd += ["--input", f"mask={os.path.join(case_dir, 'mask.npy')}"]
    cmd += ["--output-dir", res_dir]
    if args.repeat:
        cmd += ["--repeat", str(args.repeat)]
    rc, out, _ = run_cmd(cmd, args.run_timeout)
    if rc != 0:
        row.status = "RUN-FAIL"
        row.detail = (f"$ {' '.join(cmd)}\n    "
                      f"{describe_rc(rc) if rc is not None else 'no exit status'}\n{tail(out)}")
        return
    if args.repeat:
        m = re.search(r"median_ms:\s*([0-9.eE+-]+)", out)
        row.ms = float(m.group(1)) if m else None
    y_path = os.path.join(res_dir, "y.npy")
    if not os.path.exists(y_path):
        row.status = "NO-OUTPUT"
        row.detail = f"$ {' '.join(cmd)}\n    {y_path} was not written\n{tail(out)}"
        return
    try:
        y = np.load(y_path)
    except Exception as e:  # noqa: BLE001
        row.status = "BAD-OUTPUT"
        row.detail = f"cannot read {y_path}: {e}"
        return
    if y.shape != x.shape or y.dtype != np.float32:
        row.status = "BAD-OUTPUT"
        row.detail = f"{y_path}: shape {y.shape} dtype {y.dtype}, expected {x.shape} float32"
        return
    if not np.isfinite(y).all():
        row.status = "NONFINITE"
        row.detail = f"{y_path}: {int((~np.isfinite(y)).sum())} non-finite values"
        return
    ref = hm.reference(module, x, mask)
    y64 = y.astype(np.float64)
    row.rel = rel_l2(y64[valid], ref[valid])
    pad = ~valid
    if pad.any():
        ref_p = ref[pad]
        if np.linalg.norm(ref_p) > 0:
            row.pad = rel_l2(y64[pad], ref_p)
        else:  # no final LayerNorm: padded rows are 0; scale by the valid rows' RMS
            rms = np.sqrt(np.mean(ref[valid] ** 2)) if valid.any() else 1.0
            row.pad = float(np.sqrt(np.mean((y64[pad] - ref_p) ** 2)) / max(rms, 1e-30))
    ok = row.rel <= args.tol and (row.pad is None or row.pad <= args.tol)
    row.status = "PASS" if ok else "FAIL"
    if not ok:
        where = np.unravel_index(np.argmax(np.abs(y64 - ref)), y.shape)
        row.detail = (f"case {case_dir}: max |y-ref| {np.abs(y64 - ref).max():.3e} at "
                      f"{tuple(int(i) for i in where)}")


def fmt(v):
    return "-" if v is None else f"{v:.2e}"


def main():
    def arguments(ap):
        ap.add_argument("--quick", action="store_true", help="small subset")
        ap.add_argument("--models",
                        help="comma-separated config names (default: all / quick set)")
        ap.add_argument("--opsets", default="14,17")
        ap.add_argument("--sizes", help="comma-separated N values")
        ap.add_argument("--batches", help="comma-separated B values")
        ap.add_argument("--tol", type=float, default=1e-5)
        ap.add_argument("--no-nonbinary", action="store_true",
                        help="skip the non-binary float mask cases")
        ap.add_argument("--repeat", type=int, default=0,
                        help="pass --repeat K to hmc run and report median_ms")
        ap.add_argument("--seed", type=int, default=1234)
        ap.add_argument("--compile-arg", action="append", default=[],
                        help="extra argument for hmc compile (repeatable), e.g. "
                             "--compile-arg=--hypermix-algorithm=two_phase")
        ap.add_argument("--compile-timeout", type=int, default=900)
        ap.add_argument("--run-timeout", type=int, default=300)

    args = parse_driver_args(__doc__, arguments)
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    models = (args.models.split(",") if args.models else
              (QUICK_MODELS if args.quick else list(hm.CONFIGS)))
    for m in models:
        if m not in hm.CONFIGS:
            print(f"run_e2e.py: error: unknown model {m!r}; known: {', '.join(hm.CONFIGS)}",
                  file=sys.stderr)
            return 2
    opsets = [int(o) for o in args.opsets.split(",")]
    sizes = ([int(s) for s in args.sizes.split(",")] if args.sizes else
             (QUICK_SIZES if args.quick else FULL_SIZES))
    batches = ([int(b) for b in args.batches.split(",")] if args.batches else FULL_BATCHES)

    work = os.path.abspath(args.work)
    for sub in ("models", "build", "cases"):
        os.makedirs(os.path.join(work, sub), exist_ok=True)
    rng = np.random.default_rng(args.seed)
    rows = []
    compile_failures = []

    for name in models:
        cfg = hm.CONFIGS[name]
        for opset in opsets:
            stem = f"{name}_op{opset}"
            onnx_path = os.path.join(work, "models", stem + ".onnx")
            module = export_models.export(dict(cfg, opset=opset), onnx_path)
            out_dir = os.path.join(work, "build", stem)
            if os.path.isdir(out_dir):
                shutil.rmtree(out_dir)
            cmd = [args.hmc, "compile", onnx_path, "-o", out_dir, "-v"] + args.compile_arg
            rc, out, secs = run_cmd(cmd, args.compile_timeout)
            lib = os.path.join(out_dir, f"lib{stem}.so")
            header = os.path.join(out_dir, f"{stem}.h")
            missing = [p for p in (lib, header) if not os.path.isfile(p)]
            if rc != 0 or missing:
                why = (describe_rc(rc) if rc is not None else "no exit status") if rc != 0 \
                    else f"exit 0 but missing {', '.join(missing)}"
                print(f"[{stem}] COMPILE FAILED ({why})\n    $ {' '.join(cmd)}\n{tail(out)}",
                      flush=True)
                compile_failures.append(stem)
                r = Row(name, opset, "-", "-")
                r.status = "COMPILE-FAIL"
                rows.append(r)
                continue
            print(f"[{stem}] compiled in {secs:.1f} s", flush=True)
            # Each model is one layer, which must run as one fused hm.hyper_mix.
            fused = out.count("remark: fused HyperMixing")
            if fused != 1:
                r = Row(name, opset, "-", "-", "fusion")
                r.status = "NOT-FUSED"
                r.detail = f"{fused} fused layers, not 1:\n{tail(out)}"
                rows.append(r)
                print(f"[{stem}] NOT FUSED ({fused} fused layers)\n{tail(out)}", flush=True)
            cases = [(B, N, False) for N in sizes for B in batches]
            if cfg["mask"] and cfg["impl"] == "b" and not args.no_nonbinary:
                cases.append((2, 37, True))
            for B, N, nonbinary in cases:
                row = Row(name, opset, B, N, "non-binary mask" if nonbinary else "")
                x, mask, valid = make_case(cfg, rng, B, N, nonbinary)
                case_dir = os.path.join(work, "cases", stem,
                                        f"B{B}_N{N}" + ("_nonbinary" if nonbinary else ""))
                try:
                    check_case(args, row, lib, module, cfg, case_dir, x, mask, valid)
                except Exception as e:  # noqa: BLE001
                    row.status = "ERROR"
                    row.detail = f"driver error: {type(e).__name__}: {e}"
                rows.append(row)
                line = (f"[{stem}] B={B} N={N}{' ' + row.note if row.note else ''}: "
                        f"rel {fmt(row.rel)} pad {fmt(row.pad)} {row.status}")
                if row.ms is not None:
                    line += f" {row.ms:.3f} ms"
                print(line, flush=True)
                if row.detail:
                    print("    " + row.detail, flush=True)
            if cfg.get("positions") == "learned":
                row = Row(name, opset, 1, cfg["max_len"] + 1, "past the table")
                check_table_limit(args, row, lib, cfg,
                                  os.path.join(work, "cases", stem, "past_table"))
                rows.append(row)
                print(f"[{stem}] B=1 N={row.N} past the table: {row.status}", flush=True)
                if row.detail:
                    print("    " + row.detail, flush=True)

    # summary table
    hdr = f"{'model':<14} {'opset':>5} {'B':>3} {'N':>5} {'rel_err':>9} {'pad_err':>9} "
    hdr += (f"{'ms':>9} " if args.repeat else "") + "status"
    print("\n" + hdr)
    print("-" * len(hdr))
    for r in rows:
        line = (f"{r.model:<14} {r.opset:>5} {str(r.B):>3} {str(r.N):>5} {fmt(r.rel):>9} "
                f"{fmt(r.pad):>9} ")
        if args.repeat:
            line += f"{(f'{r.ms:.3f}' if r.ms is not None else '-'):>9} "
        line += r.status + (f" ({r.note})" if r.note else "")
        print(line)
    failed = [r for r in rows if r.status != "PASS"]
    print(f"\n{len(rows) - len(failed)} passed, {len(failed)} failed "
          f"(tolerance {args.tol:g}; {len(compile_failures)} model(s) failed to compile)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
