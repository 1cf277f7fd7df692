"""Install hmc into a temporary prefix, build examples/layer_app against it
and compare its printed output with `hmc run` on the same input.
Standard library only (the .npy files are written and read by hand)."""
import argparse
import ast
import math
import shutil
import struct
import subprocess
import sys
from pathlib import Path

B, N, D = 1, 50, 64


def run(cmd, **kwargs):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def write_npy(path, descr, shape, data):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join(f"{s}, " for s in shape))
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) +
                     header.encode() + data)


def read_npy_f32(path):
    raw = path.read_bytes()
    assert raw[:6] == b"\x93NUMPY", path
    major = raw[6]
    size_len = 2 if major == 1 else 4
    (hlen,) = struct.unpack("<H" if major == 1 else "<I", raw[8:8 + size_len])
    start = 8 + size_len + hlen
    header = ast.literal_eval(raw[8 + size_len:start].decode())
    assert header["descr"] == "<f4" and not header["fortran_order"], header
    count = math.prod(header["shape"])
    return header["shape"], struct.unpack(f"<{count}f", raw[start:start + 4 * count])


def main():
    parser = argparse.ArgumentParser()
    for arg in ("cmake", "ninja", "build", "app", "work"):
        parser.add_argument("--" + arg, required=True)
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    prefix, app = work / "prefix", work / "app"

    run([args.cmake, "--install", args.build, "--prefix", prefix])
    run([args.cmake, "-S", args.app, "-B", app, "-G", "Ninja",
         f"-DCMAKE_MAKE_PROGRAM={args.ninja}", f"-DCMAKE_PREFIX_PATH={prefix}",
         "-DCMAKE_C_FLAGS=-Werror"])
    run([args.cmake, "--build", app])
    check_app(prefix, app, work)

    # hmc_add_model(... TUNING_DB): a database from the installed hmc tune
    # rebuilds the model with its schedules, and the answers stay the same.
    model = Path(args.app).resolve().parent / "hypermixing_layer" / "hypermixing_layer.onnx"
    tuning = work / "tuning.json"
    run([prefix / "bin" / "hmc", "tune", model, "-o", tuning, "--lengths", str(N),
         "--budget", "20"])
    run([args.cmake, "-S", args.app, "-B", app, f"-DLAYER_TUNING_DB={tuning}"])
    run([args.cmake, "--build", app])
    inspect = run([prefix / "bin" / "hmc", "inspect", app / "hmc" / "layer" / "liblayer.so"],
                  capture_output=True, text=True).stdout
    if "schedules: tuning database:" not in inspect:
        sys.exit(f"the library built with TUNING_DB says:\n{inspect}")
    check_app(prefix, app, work)
    print("install-layer-app: OK (default and tuned schedules)")


def check_app(prefix, app, work):
    """layer_app's printed values equal `hmc run` of the same library."""
    out = run([app / "layer_app"], capture_output=True, text=True).stdout
    print(out)
    lines = out.splitlines()
    if lines[0] != f"y shape: {B} {N} {D}":
        sys.exit(f"unexpected shape line: {lines[0]!r}")
    printed = [float(v) for v in lines[1].split(": ", 1)[1].split()]

    x = [math.sin(i * 0.1) for i in range(B * N * D)]
    write_npy(work / "x.npy", "<f4", (B, N, D), struct.pack(f"<{len(x)}f", *x))
    write_npy(work / "mask.npy", "|b1", (B, N), bytes([1] * (B * N)))
    run([prefix / "bin" / "hmc", "run", app / "hmc" / "layer" / "liblayer.so",
         "--input", f"x={work / 'x.npy'}", "--input", f"mask={work / 'mask.npy'}",
         "--output-dir", work / "out"])
    shape, y = read_npy_f32(work / "out" / "y.npy")
    if tuple(shape) != (B, N, D):
        sys.exit(f"hmc run wrote shape {shape}")
    for i, value in enumerate(printed):
        if abs(value - y[i]) > 1e-5 + 1e-5 * abs(y[i]):
            sys.exit(f"y[{i}]: layer_app printed {value}, hmc run gives {y[i]}")
    print(f"{len(printed)} values match hmc run")


if __name__ == "__main__":
    main()
