#!/usr/bin/python3
"""Negative end-to-end tests of `hmc compile`.

  /usr/bin/python3 test/e2e/test_errors.py --hmc build/bin/hmc --work /tmp/hmc-errors

(i)  Models with unsupported operators must make `hmc compile` exit non-zero with ONE
     diagnostic that names every unsupported op type, the names of its nodes and the opset,
     and leave no files in OUTDIR. Two models:
       - unsupported_helper.onnx (built with onnx.helper, opset 17): Det x2 and GridSample
         next to supported MatMul/Add nodes;
       - unsupported_torch.onnx (torch.onnx.export, opset 17): a HyperMixing layer followed by
         Tensor.topk (TopK) and F.grid_sample (GridSample).
(ii) Broken inputs must exit non-zero (not by a signal, no timeout) with a message naming the
     file, and leave no files in OUTDIR: the first half of a valid model (truncated protobuf),
     a text file, an empty file, and a path that does not exist.
(iii) Models that claim absurd sizes in a few bytes, and a shape error: an initializer of
     10 GB with 4 bytes of raw data, with one float_data value, or with external data in a
     16-byte file; a Constant and a graph input of 2^40 elements; a MatMul whose inner
     dimensions differ. Each must exit non-zero with a message naming the file and the
     tensor, input or node at fault, leave no files in OUTDIR, and peak below 512 MB of
     memory (it is rejected before anything is allocated).
(iv) SIGTERM or SIGINT to `hmc compile` while its kernel compiler runs: hmc stops that
     child, removes its temporary folders (TMPDIR is checked), writes nothing to OUTDIR and
     exits with 128 + the signal.
OUTDIR is tried both pre-created (must stay empty) and absent (must stay absent or empty).

What counts as "one diagnostic": at most one output line containing "error:" (case-
insensitive); a diagnostic may continue on further lines. The opset must appear as "opset"
followed within a few characters by the number (e.g. "opset 17", "opset=17", "opset version
17"). Exits 1 on any failure.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hmc_tool import parse_driver_args  # noqa: E402

FAILURES = []


def check(cond, what, detail=""):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        if detail:
            print("\n".join("      | " + ln for ln in detail.rstrip().splitlines()[-30:]))
        FAILURES.append(what)
    return cond


def run(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return None, f"[timed out after {timeout} s]"


def run_measured(cmd):
    """Like run() without a timeout, plus the child's peak resident memory in MB
    (which counts the pages it shared with this process before its exec)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, out, usage.ru_maxrss / 1024


def rc_text(rc):
    if rc is None:
        return "timed out"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit {rc}"


def leftover(out_dir):
    if not os.path.exists(out_dir):
        return []
    found = []
    for root, _, files in os.walk(out_dir):
        found += [os.path.relpath(os.path.join(root, f), out_dir) for f in files]
    if not found and os.path.isdir(out_dir):
        found += [d + "/" for d in os.listdir(out_dir)]  # empty sub-folders count too
    return found


def make_helper_model(path):
    import onnx
    import onnx.numpy_helper
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["B", 3, 3])
    img = helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, 1, 4, 4])
    grid = helper.make_tensor_value_info("grid", TensorProto.FLOAT, [1, 4, 4, 2])
    outs = [helper.make_tensor_value_info("det_sum", TensorProto.FLOAT, ["B"]),
            helper.make_tensor_value_info("sampled", TensorProto.FLOAT, [1, 1, 4, 4])]
    w = onnx.numpy_helper.from_array(
        np.random.default_rng(0).standard_normal((3, 3)).astype(np.float32), "w")
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"], name="proj_matmul"),
        helper.make_node("Det", ["xw"], ["det1"], name="det_first"),
        helper.make_node("Det", ["x"], ["det2"], name="det_second"),
        helper.make_node("Add", ["det1", "det2"], ["det_sum"], name="add_dets"),
        helper.make_node("GridSample", ["img", "grid"], ["sampled"], name="grid_sampler",
                         align_corners=0, mode="bilinear", padding_mode="zeros"),
    ]
    graph = helper.make_graph(nodes, "unsupported_ops", [x, img, grid], outs, [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="hmc-test")
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return {"Det": ["det_first", "det_second"], "GridSample": ["grid_sampler"]}, 17


def make_torch_model(path):
    import onnx
    import onnx.numpy_helper
    import torch
    import hypermixing_models as hm

    class Weird(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mix = hm.randomize_(hm.MultiHeadHyperMixing(16, 32, heads=2), 5)

        def forward(self, x, grid):
            y = self.mix(x)
            y = y.topk(3, dim=1).values
            img = y.unsqueeze(1)  # [B, 1, N, d]
            return torch.nn.functional.grid_sample(img, grid, align_corners=False)

    x = torch.randn(1, 6, 16)
    grid = torch.rand(1, 4, 4, 2) * 2 - 1
    torch.onnx.export(Weird().eval(), (x, grid), path, opset_version=17,
                      input_names=["x", "grid"], output_names=["y"])
    model = onnx.load(path)
    names = {}
    for n in model.graph.node:
        if n.op_type in ("TopK", "GridSample"):
            names.setdefault(n.op_type, []).append(n.name)
    assert set(names) == {"TopK", "GridSample"}, names
    return names, 17


def check_unsupported(args, label, model_path, expected, opset):
    for precreate in (True, False):
        out_dir = os.path.join(args.work, "out", f"{label}_{'pre' if precreate else 'new'}")
        shutil.rmtree(out_dir, ignore_errors=True)
        if precreate:
            os.makedirs(out_dir)
        cmd = [args.hmc, "compile", model_path, "-o", out_dir]
        rc, out = run(cmd, args.timeout)
        what = f"{label} (OUTDIR {'pre-created' if precreate else 'absent'})"
        detail = f"$ {' '.join(cmd)}\n[{rc_text(rc)}]\n{out}"
        check(rc is not None and 0 < rc < 128, f"{what}: compile exits non-zero, no signal "
              f"({rc_text(rc)})", detail)
        missing = [t for t in expected if not re.search(rf"\b{re.escape(t)}\b", out)]
        check(not missing, f"{what}: diagnostic names every unsupported op type "
              f"{sorted(expected)}" + (f" (missing {missing})" if missing else ""), detail)
        names = [n for v in expected.values() for n in v]
        missing = [n for n in names if n not in out]
        check(not missing, f"{what}: diagnostic names the nodes {names}"
              + (f" (missing {missing})" if missing else ""), detail)
        check(re.search(rf"opset\D{{0,16}}{opset}(?!\d)", out, re.IGNORECASE) is not None,
              f"{what}: diagnostic states the opset ({opset})", detail)
        n_err = sum(1 for ln in out.splitlines() if "error:" in ln.lower())
        check(n_err <= 1, f"{what}: one diagnostic ({n_err} lines with 'error:')", detail)
        left = leftover(out_dir)
        check(not left, f"{what}: no output files left in OUTDIR"
              + (f" (found {left})" if left else ""), detail)


def check_broken(args, label, path):
    for precreate in (True, False):
        out_dir = os.path.join(args.work, "out", f"{label}_{'pre' if precreate else 'new'}")
        shutil.rmtree(out_dir, ignore_errors=True)
        if precreate:
            os.makedirs(out_dir)
        cmd = [args.hmc, "compile", path, "-o", out_dir]
        rc, out = run(cmd, args.timeout)
        what = f"{label} (OUTDIR {'pre-created' if precreate else 'absent'})"
        detail = f"$ {' '.join(cmd)}\n[{rc_text(rc)}]\n{out}"
        check(rc is not None and 0 < rc < 128,
              f"{what}: compile exits non-zero without a crash ({rc_text(rc)})", detail)
        check(os.path.basename(path) in out, f"{what}: message names the file "
              f"{os.path.basename(path)}", detail)
        crash_words = [w for w in ("Segmentation fault", "core dumped", "terminate called",
                                   "Traceback (most recent call last)", "Assertion",
                                   "Stack dump", "PLEASE submit a bug report")
                       if w.lower() in out.lower()]
        check(not crash_words, f"{what}: no crash/assertion/stack dump text"
              + (f" (found {crash_words})" if crash_words else ""), detail)
        left = leftover(out_dir)
        check(not left, f"{what}: no output files left in OUTDIR"
              + (f" (found {left})" if left else ""), detail)


def make_limit_models(mdir):
    """Small files claiming huge tensors, and a shape error; returns
    [(label, path, the name the message must give)]."""
    import onnx
    import onnx.numpy_helper
    from onnx import TensorProto, helper

    ten_gb = 10 * 2**30 // 4  # float32 elements

    def tensor(name, dims, raw=None, floats=None, external=None):
        t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims)
        if raw is not None:
            t.raw_data = raw
        if floats is not None:
            t.float_data.extend(floats)
        if external is not None:
            t.data_location = TensorProto.EXTERNAL
            for key, value in external.items():
                t.external_data.add(key=key, value=value)
        return t

    def save(path, nodes, x_shape, inits=(), y_shape=(1,)):
        vi = helper.make_tensor_value_info
        graph = helper.make_graph(nodes, "limits", [vi("x", TensorProto.FLOAT, x_shape)],
                                  [vi("y", TensorProto.FLOAT, y_shape)], list(inits))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        model.ir_version = 8
        onnx.save(model, path)
        assert os.path.getsize(path) < 1024, path
        return path

    add_w = [helper.make_node("Add", ["x", "w"], ["y"], name="add_w")]
    with open(os.path.join(mdir, "small.bin"), "wb") as f:
        f.write(bytes(16))
    p = lambda name: os.path.join(mdir, name)  # noqa: E731
    return [
        ("init_10gb_raw", save(p("init_10gb_raw.onnx"), add_w, [1],
                               [tensor("w", [ten_gb], raw=bytes(4))]), "'w'"),
        ("init_10gb_typed", save(p("init_10gb_typed.onnx"), add_w, [1],
                                 [tensor("w", [ten_gb], floats=[1.0])]), "'w'"),
        ("init_10gb_external", save(p("init_10gb_external.onnx"), add_w, [1], [tensor(
            "w", [ten_gb], external={"location": "small.bin", "length": str(4 * ten_gb)})]),
         "'w'"),
        ("constant_2p40", save(p("constant_2p40.onnx"), [
            helper.make_node("Constant", [], ["w"], name="huge_constant",
                             value=tensor("c", [2**20, 2**20], raw=bytes(8))),
            helper.make_node("Add", ["x", "w"], ["y"], name="add_w")], [1]), "huge_constant"),
        ("input_2p40", save(p("input_2p40.onnx"), [helper.make_node("Neg", ["x"], ["y"],
                                                                    name="neg")],
                            [2**20, 2**20], y_shape=[2**20, 2**20]), "'x'"),
        ("matmul_shapes", save(p("matmul_shapes.onnx"), [
            helper.make_node("MatMul", ["x", "w"], ["y"], name="mismatched_matmul")],
            ["B", 3], [onnx.numpy_helper.from_array(np.ones((5, 4), np.float32), "w")],
            y_shape=["B", 4]),
         "mismatched_matmul"),
    ]


def check_limits(args, label, path, place, baseline_mb):
    out_dir = os.path.join(args.work, "out", label)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    cmd = [args.hmc, "compile", path, "-o", out_dir]
    rc, out, rss_mb = run_measured(cmd)
    detail = f"$ {' '.join(cmd)}\n[{rc_text(rc)}]\n{out}"
    check(0 < rc < 128, f"{label}: compile exits non-zero without a crash ({rc_text(rc)})",
          detail)
    check(os.path.basename(path) in out and place in out,
          f"{label}: message names the file and {place}", detail)
    check(rss_mb - baseline_mb < 512, f"{label}: rejected before allocating (peak "
          f"{rss_mb - baseline_mb:.0f} MB above `hmc --help`)", detail)
    left = leftover(out_dir)
    check(not left, f"{label}: no output files left in OUTDIR"
          + (f" (found {left})" if left else ""), detail)


def processes():
    """(parent pid, command line) of every live process, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # After the parenthesised name: the state, then the parent's pid.
        state, parent = stat[stat.rindex(")") + 2:].split()[:2]
        if state != "Z":
            found.append((int(parent), cmdline))
    return found


def check_interrupted(args, label, model, sig):
    tmp = os.path.join(args.work, f"tmp_{label}")
    out = os.path.join(args.work, f"out_{label}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(tmp)
    env = dict(os.environ, TMPDIR=tmp)
    proc = subprocess.Popen([args.hmc, "compile", model, "-o", out], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + args.timeout
    tools = []
    while proc.poll() is None and time.monotonic() < deadline:
        tools = [c for parent, c in processes() if parent == proc.pid and "hmc-halide" in c]
        if tools:
            break
        time.sleep(0.05)
    check(bool(tools), f"{label}: hmc-halide seen running under hmc compile")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=args.timeout)
    check(proc.returncode == 128 + sig,
          f"{label}: exits with 128 + signal {int(sig)} ({rc_text(proc.returncode)})", err)
    check("interrupted" in err, f"{label}: says it was interrupted", err)
    time.sleep(0.5)
    orphans = [c for _, c in processes() if tmp in c]
    check(not orphans, f"{label}: no kernel compiler left running", "\n".join(orphans))
    check(not os.listdir(tmp), f"{label}: temporary folders removed",
          " ".join(os.listdir(tmp)))
    check(not leftover(out), f"{label}: nothing written to OUTDIR")


def main():
    args = parse_driver_args(
        __doc__, lambda ap: ap.add_argument("--timeout", type=int, default=300))
    args.work = os.path.abspath(args.work)
    mdir = os.path.join(args.work, "models")
    os.makedirs(mdir, exist_ok=True)

    import warnings
    warnings.simplefilter("ignore")
    import export_models
    import hypermixing_models as hm

    # (i) unsupported operators
    p = os.path.join(mdir, "unsupported_helper.onnx")
    expected, opset = make_helper_model(p)
    check_unsupported(args, "unsupported_helper", p, expected, opset)
    p = os.path.join(mdir, "unsupported_torch.onnx")
    expected, opset = make_torch_model(p)
    check_unsupported(args, "unsupported_torch", p, expected, opset)

    # (ii) broken files
    valid = os.path.join(mdir, "valid_a_h8_tied_op17.onnx")
    export_models.export(dict(hm.CONFIGS["a_h8_tied"], opset=17), valid)
    data = open(valid, "rb").read()
    truncated = os.path.join(mdir, "truncated_half.onnx")
    with open(truncated, "wb") as f:
        f.write(data[: len(data) // 2])
    text = os.path.join(mdir, "random_text.onnx")
    rng = np.random.default_rng(7)
    words = ["hyper", "mixing", "token", "layer", "norm", "model", "graph", "onnx", "the"]
    with open(text, "w") as f:
        for _ in range(200):
            f.write(" ".join(rng.choice(words, 12)) + "\n")
    empty = os.path.join(mdir, "empty_file.onnx")
    open(empty, "wb").close()
    missing = os.path.join(mdir, "does_not_exist.onnx")
    if os.path.exists(missing):
        os.remove(missing)
    check_broken(args, "truncated", truncated)
    check_broken(args, "random_text", text)
    check_broken(args, "empty_file", empty)
    check_broken(args, "missing_file", missing)

    # (iii) absurd sizes and a shape error
    baseline_mb = run_measured([args.hmc, "--help"])[2]
    for label, path, place in make_limit_models(mdir):
        check_limits(args, label, path, place, baseline_mb)

    # (iv) interrupted while the kernels compile
    for label, sig in (("sigterm", signal.SIGTERM), ("sigint", signal.SIGINT)):
        check_interrupted(args, label, valid, sig)

    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) FAILED")
        return 1
    print("\nall error-handling checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
