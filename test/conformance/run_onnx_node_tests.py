#!/usr/bin/python3
"""ONNX backend node tests (Debian's libonnx-testdata) through hmc.

  /usr/bin/python3 test/conformance/run_onnx_node_tests.py --hmc build/bin/hmc \
      --work /tmp/hmc-conformance [--expected-failures test/conformance/expected_failures.txt]

Selects every node test that names an operator of `hmc list-ops` (test_<op>_..., the
operator's name in snake case or lower case) and whose model contains that operator, plus
every test whose model uses only operators of that table. For each one:
  1. `hmc compile model.onnx -o WORK/<test>`; a clean rejection (exit status 1 and an
     "error:" diagnostic, no crash and no failing backend tool) makes the test "unsupported"
     with the diagnostic's first line as the reason; anything else that is not a library is
     a failure;
  2. for every test_data_set_*: input_<i>.pb -> .npy, `hmc run`, and the outputs compared
     with output_<i>.pb: same dtype and shape, floats with numpy's assert_allclose at the
     ONNX backend runner's tolerances (rtol 1e-3, atol 1e-7), integers and bools exactly.
Prints a table (op, tests, passed, unsupported, failed, known) and the failures and
unsupported tests with their reasons. Exits 1 when a test fails that the expected-failures
file does not list, or when a listed test no longer fails (delete its line).
The test_* folders in WORK are removed at the start; what a run produced stays there.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnx
from onnx import numpy_helper

DEFAULT_DATA = "/usr/share/libonnx-testdata/data/node"
RTOL, ATOL = 1e-3, 1e-7
MULTI_OP = "(several ops)"
# Output of a compile that failed for a reason other than a clean diagnostic.
CRASH_PATTERNS = re.compile(
    r"was killed by signal|exited with status|Internal Error|Assertion .* failed|"
    r"Stack dump|PLEASE submit|LLVM ERROR|Segmentation fault|terminate called|Aborted")


def supported_ops(hmc):
    """Operator names from the rows of `hmc list-ops` (| Op | opsets | limits |)."""
    out = subprocess.run([hmc, "list-ops"], stdout=subprocess.PIPE, check=True,
                         text=True).stdout
    ops = set()
    for line in out.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"[A-Z][A-Za-z0-9]*", cells[0]) and \
                re.fullmatch(r"\d+-\d+", cells[1]):
            ops.add(cells[0])
    return ops


def names_op(test, op):
    """Whether test_<words> names `op`: its leading words joined equal op in lower case."""
    joined = ""
    for word in test[len("test_"):].split("_"):
        joined += word.lower()
        if joined == op.lower():
            return True
        if len(joined) >= len(op):
            return False
    return False


def select_tests(data_dir, ops, pattern):
    """[(test, op label)] for the tests of hmc's operators, sorted by name."""
    selected = []
    for test in sorted(os.listdir(data_dir)):
        model_path = os.path.join(data_dir, test, "model.onnx")
        if not test.startswith("test_") or not os.path.isfile(model_path):
            continue
        if pattern and not re.search(pattern, test):
            continue
        model_ops = {n.op_type for n in onnx.load(model_path).graph.node}
        named = [op for op in ops if op in model_ops and names_op(test, op)]
        if named:
            selected.append((test, max(named, key=len)))
        elif model_ops and model_ops <= ops:
            selected.append((test, model_ops.pop() if len(model_ops) == 1 else MULTI_OP))
    return selected


def run_cmd(cmd, timeout):
    """(exit status or None after a timeout, stdout + stderr)."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout} s"


def describe_exit(rc):
    if rc is None:
        return "timed out"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit status {rc}"


def first_error(output):
    """The first `error:` line of a diagnostic, without the file prefix."""
    for line in output.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    return None


def output_file(name):
    """The file name `hmc run` gives an output (docs/cli.md)."""
    file = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return ("_" + file if not file or file.startswith(".") else file) + ".npy"


def compare(name, got, want):
    """None when `got` matches `want` as the ONNX backend runner requires, else why not."""
    if got.dtype != want.dtype:
        return f"output {name!r}: dtype {got.dtype}, expected {want.dtype}"
    if got.shape != want.shape:
        return f"output {name!r}: shape {got.shape}, expected {want.shape}"
    if want.dtype.kind in "biu":
        if np.array_equal(got, want):
            return None
        bad = np.argwhere(got != want)
        where = tuple(int(i) for i in bad[0])
        return (f"output {name!r}: {len(bad)} of {want.size} elements differ, first at "
                f"{where}: {got[where]!r}, expected {want[where]!r}")
    try:
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
        return None
    except AssertionError as e:
        lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
        return f"output {name!r}: " + "; ".join(lines[1:4])


class Result:
    def __init__(self, test, op):
        self.test, self.op = test, op
        self.status = None  # "passed", "unsupported" or "failed"
        self.reason = ""


def check_data_set(hmc, lib, graph_inputs, graph_outputs, data_set, work, timeout):
    """None when `lib` reproduces one test_data_set_N, else why not."""
    os.makedirs(work)
    cmd = [hmc, "run", lib, "--output-dir", os.path.join(work, "out")]
    for i, name in enumerate(graph_inputs):
        tensor = onnx.TensorProto()
        with open(os.path.join(data_set, f"input_{i}.pb"), "rb") as f:
            tensor.ParseFromString(f.read())
        path = os.path.join(work, f"input_{i}.npy")
        np.save(path, numpy_helper.to_array(tensor))
        cmd += ["--input", f"{name}={path}"]
    rc, out = run_cmd(cmd, timeout)
    if rc != 0:
        detail = first_error(out) or (out.strip().splitlines() or [""])[-1]
        return f"hmc run: {describe_exit(rc)}: {detail}"
    for i, name in enumerate(graph_outputs):
        tensor = onnx.TensorProto()
        with open(os.path.join(data_set, f"output_{i}.pb"), "rb") as f:
            tensor.ParseFromString(f.read())
        path = os.path.join(work, "out", output_file(name))
        if not os.path.isfile(path):
            return f"hmc run wrote no {output_file(name)}"
        why = compare(name, np.load(path), numpy_helper.to_array(tensor))
        if why:
            return why
    return None


def run_test(args, test, op):
    """Compiles one node test and checks every data set of it."""
    result = Result(test, op)
    test_dir = os.path.join(args.data_dir, test)
    out_dir = os.path.join(args.work, test)
    model_path = os.path.join(test_dir, "model.onnx")
    rc, out = run_cmd([args.hmc, "compile", model_path, "-o", out_dir, "--name", "model"],
                      args.timeout)
    lib = os.path.join(out_dir, "libmodel.so")
    error = first_error(out)
    if rc == 1 and error and not CRASH_PATTERNS.search(out):
        result.status, result.reason = "unsupported", error
    elif rc != 0 or not os.path.isfile(lib):
        result.status = "failed"
        result.reason = f"hmc compile: {describe_exit(rc)}: {error or out.strip()[-300:]}"
    else:
        graph = onnx.load(model_path).graph
        initializers = {t.name for t in graph.initializer}
        inputs = [v.name for v in graph.input if v.name not in initializers]
        outputs = [v.name for v in graph.output]
        data_sets = sorted(d for d in os.listdir(test_dir) if d.startswith("test_data_set_"))
        result.status = "passed"
        for data_set in data_sets:
            why = check_data_set(args.hmc, lib, inputs, outputs,
                                 os.path.join(test_dir, data_set),
                                 os.path.join(out_dir, data_set), args.timeout)
            if why:
                result.status, result.reason = "failed", f"{data_set}: {why}"
                break
    return result


def read_expected_failures(path):
    """{test name: reason} from lines `test_name  reason` (# starts a comment)."""
    expected = {}
    if not path:
        return expected
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, reason = line.partition(" ")
                expected[name] = reason.strip()
    return expected


def print_table(results, expected):
    rows = {}
    for r in results:
        row = rows.setdefault(r.op, [0, 0, 0, 0, 0])
        row[0] += 1
        row[["passed", "unsupported", "failed"].index(r.status) + 1] += 1
        if r.status == "failed" and r.test in expected:
            row[4] += 1
    header = ["op", "tests", "passed", "unsupported", "failed", "known"]
    total = ["total"] + [sum(row[i] for row in rows.values()) for i in range(5)]
    lines = [[op] + row for op, row in sorted(rows.items())] + [total]
    width = max(len(str(line[0])) for line in lines + [header])
    fmt = f"{{:<{width}}}" + " {:>7}" + " {:>7}" + " {:>11}" + " {:>7}" + " {:>7}"
    print(fmt.format(*header))
    for i, line in enumerate(lines):
        if i == len(lines) - 1:
            print("-" * (width + 44))
        print(fmt.format(*line))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hmc", required=True, help="the hmc executable")
    ap.add_argument("--work", required=True, help="work folder (its test_* folders are removed first)")
    ap.add_argument("--data-dir", default=DEFAULT_DATA,
                    help=f"ONNX node tests (default: {DEFAULT_DATA})")
    ap.add_argument("--expected-failures", help="file of known failures: test name, reason")
    ap.add_argument("--filter", help="regular expression: only tests whose name matches")
    ap.add_argument("--jobs", type=int, default=2, help="tests compiled at once (default 2)")
    ap.add_argument("--timeout", type=int, default=120,
                    help="seconds per hmc compile and per hmc run (default 120)")
    args = ap.parse_args()

    args.hmc = os.path.abspath(args.hmc)
    if not os.access(args.hmc, os.X_OK):
        print(f"run_onnx_node_tests.py: error: hmc not found: {args.hmc}", file=sys.stderr)
        return 2
    if not os.path.isdir(args.data_dir):
        print(f"run_onnx_node_tests.py: error: no node tests at {args.data_dir} "
              "(apt-get install libonnx-testdata, see scripts/setup.sh)", file=sys.stderr)
        return 2
    args.work = os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    for entry in os.listdir(args.work):  # the previous run's test folders
        if entry.startswith("test_"):
            shutil.rmtree(os.path.join(args.work, entry))
    expected = read_expected_failures(args.expected_failures)

    start = time.time()
    tests = select_tests(args.data_dir, supported_ops(args.hmc), args.filter)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda t: run_test(args, *t), tests))

    print_table(results, expected)
    failed = [r for r in results if r.status == "failed"]
    new = [r for r in failed if r.test not in expected]
    known = [r for r in failed if r.test in expected]
    fixed = [r for r in results if r.test in expected and r.status != "failed"]
    stale = sorted(set(expected) - {r.test for r in results}) if not args.filter else []
    for title, group in (("FAILED", new), ("failed, listed as expected", known)):
        if group:
            print(f"\n{title}:")
            for r in group:
                print(f"  {r.test} [{r.op}]: {r.reason}")
    if fixed:
        print("\nLISTED AS EXPECTED FAILURES BUT NO LONGER FAIL (delete their lines from "
              f"{args.expected_failures}):")
        for r in fixed:
            print(f"  {r.test}: {r.status}{': ' + r.reason if r.reason else ''}")
    if stale:
        print(f"\nnote: listed in {args.expected_failures} but not selected: "
              f"{', '.join(stale)}")
    unsupported = [r for r in results if r.status == "unsupported"]
    if unsupported:
        print("\nunsupported (hmc rejects them cleanly):")
        for r in unsupported:
            print(f"  {r.test} [{r.op}]: {r.reason}")
    print(f"\n{len(results)} node tests in {time.time() - start:.0f} s; work folder: "
          f"{args.work}")
    return 1 if new or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
