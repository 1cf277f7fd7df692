"""Install hmc into a temporary prefix, build examples/nlu_classify against it
and compare the logits it prints with the example's float64 reference
(expected.txt). Standard library only."""
import argparse
import math
import shutil
import sys
from pathlib import Path

from test_install import run


def main():
    parser = argparse.ArgumentParser()
    for arg in ("cmake", "ninja", "build", "app", "work"):
        parser.add_argument("--" + arg, required=True)
    args = parser.parse_args()
    work, source = Path(args.work), Path(args.app)
    shutil.rmtree(work, ignore_errors=True)
    prefix, app = work / "prefix", work / "app"

    run([args.cmake, "--install", args.build, "--prefix", prefix])
    run([args.cmake, "-S", source, "-B", app, "-G", "Ninja",
         f"-DCMAKE_MAKE_PROGRAM={args.ninja}", f"-DCMAKE_PREFIX_PATH={prefix}",
         "-DCMAKE_C_FLAGS=-Werror"])
    run([args.cmake, "--build", app])
    out = run([app / "nlu_classify", source / "sentences.txt"],
              capture_output=True, text=True).stdout
    print(out)
    expected = [[float(v) for v in line.split()]
                for line in (source / "expected.txt").read_text().splitlines()]
    lines = out.splitlines()
    if len(lines) != len(expected):
        sys.exit(f"expected {len(expected)} sentences, got {len(lines)} lines")
    err2 = ref2 = 0.0
    for line, ref in zip(lines, expected):
        logits = [float(v) for v in line.split("logits", 1)[1].split("class")[0].split()]
        predicted = int(line.rsplit("class", 1)[1])
        if len(logits) != len(ref) or predicted != max(range(len(ref)), key=ref.__getitem__):
            sys.exit(f"wrong logits or class in {line!r} (reference {ref})")
        err2 += sum((a - b) ** 2 for a, b in zip(logits, ref))
        ref2 += sum(b * b for b in ref)
    rel = math.sqrt(err2 / ref2)
    # Printed with 6 decimals, so the tolerance covers the rounding.
    if rel > 1e-4:
        sys.exit(f"relative L2 error {rel:.2e} > 1e-4")
    print(f"install-nlu-classify: OK (relative L2 error {rel:.2e})")


if __name__ == "__main__":
    main()
