#!/usr/bin/python3
"""The C API under misuse (docs/c-api.md), called through ctypes on the
example layer compiled with hmc:

  /usr/bin/python3 test/e2e/test_api_misuse.py --hmc build/bin/hmc --work DIR

Every misuse below must return its documented status with a non-empty
message (last_error of the handle, or of NULL where there is no handle),
and the process must keep running: a valid run afterwards still matches
the example's reference output. Exits 1 on any failure.
"""
import ctypes
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
from hmc_library import STATUS, Library, _CreateOptions, _Tensor  # noqa: E402
from hmc_tool import parse_driver_args  # noqa: E402

EXAMPLE = os.path.join(ROOT, "examples", "hypermixing_layer")
FAILURES = []
F32, F64, I64, BOOL = 0, 1, 3, 4
MAX_DIM = 1048576  # the symbols' range in the example's header


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        FAILURES.append(what)


class Api:
    """The descriptor's functions on raw pointers, so that NULL and garbage
    reach the library unfiltered."""

    def __init__(self, path):
        self.lib = Library(path)
        self.d = self.lib._desc

    def message(self, handle):
        m = self.d.last_error(handle)
        return m.decode(errors="replace") if m else ""

    def expect(self, what, status, expected, handle):
        """status must be `expected`, with a message when it is an error."""
        name = STATUS.get(status, status)
        msg = self.message(handle) if status != 0 else ""
        ok = name == expected and (expected == "OK" or msg != "")
        check(ok, f"{what}: {expected}" + ("" if ok else f", got {name}")
              + (f" ({msg})" if msg else ""))


class Io:
    """Input and output tensors for x [B, N, 64] float32, mask [B, N] bool."""

    def __init__(self, x, mask, out_bytes=None):
        self.x, self.mask = x, mask
        self.inputs = (_Tensor * 2)()
        for slot, a, dtype in zip(self.inputs, (x, mask), (F32, BOOL)):
            slot.dtype = dtype
            slot.rank = a.ndim
            slot.shape[:a.ndim] = a.shape
            slot.data = a.ctypes.data
            slot.size_bytes = a.nbytes
        self.y = np.empty(x.shape, np.float32)
        self.outputs = (_Tensor * 1)()
        self.outputs[0].data = self.y.ctypes.data
        self.outputs[0].size_bytes = self.y.nbytes if out_bytes is None else out_bytes


def misuse_create(api):
    d = api.d
    handle = ctypes.c_void_p()
    api.expect("create with a NULL handle pointer", d.create(None, None),
               "INVALID_ARGUMENT", None)
    for threads in (-1, 1 << 20):
        handle = ctypes.c_void_p(1)
        status = d.create(ctypes.byref(_CreateOptions(threads, None)),
                          ctypes.byref(handle))
        api.expect(f"create with num_threads {threads}", status, "INVALID_ARGUMENT", None)
        check(not handle.value, f"create with num_threads {threads}: *handle is NULL")
    handle = ctypes.c_void_p(1)
    status = d.create(ctypes.byref(_CreateOptions(1, b"/nonexistent.weights")),
                      ctypes.byref(handle))
    api.expect("create with a weights_path for embedded weights", status,
               "INVALID_ARGUMENT", None)
    check(not handle.value, "create with a weights_path: *handle is NULL")
    d.destroy(None)
    check(True, "destroy(NULL) returns")


def misuse_null_handle(api, io):
    d = api.d
    api.expect("run on a NULL handle", d.run(None, io.inputs, 2, io.outputs, 1),
               "INVALID_ARGUMENT", None)
    api.expect("output_shapes on a NULL handle",
               d.output_shapes(None, io.inputs, 2, io.outputs, 1), "INVALID_ARGUMENT", None)
    api.expect("set_num_threads on a NULL handle", d.set_num_threads(None, 1),
               "INVALID_ARGUMENT", None)


def misuse_run(api, h, x, mask):
    d = api.d

    def run(io, num_inputs=2, num_outputs=1, inputs=True, outputs=True):
        return d.run(h, io.inputs if inputs else None, num_inputs,
                     io.outputs if outputs else None, num_outputs)

    io = Io(x, mask)
    api.expect("run with inputs NULL", run(io, inputs=False), "INVALID_ARGUMENT", h)
    api.expect("run with outputs NULL", run(io, outputs=False), "INVALID_ARGUMENT", h)
    api.expect("output_shapes with outputs NULL",
               d.output_shapes(h, io.inputs, 2, None, 1), "INVALID_ARGUMENT", h)
    for n in (-1, 0, 1, 3):
        api.expect(f"run with num_inputs {n}", run(io, num_inputs=n), "INVALID_ARGUMENT", h)
    for n in (-1, 0, 2):
        api.expect(f"run with num_outputs {n}", run(io, num_outputs=n), "INVALID_ARGUMENT", h)

    io = Io(x.astype(np.float64), mask)
    io.inputs[0].dtype = F64
    api.expect("run with x float64", run(io), "DTYPE", h)
    io = Io(x, mask)
    io.inputs[1].dtype = I64
    api.expect("run with mask int64", run(io), "DTYPE", h)
    io = Io(x, mask)
    io.inputs[0].dtype = 99
    api.expect("run with dtype 99 (no such dtype)", run(io), "DTYPE", h)

    for rank in (-1, 0, 2, 4, 9, 1 << 30):
        io = Io(x, mask)
        io.inputs[0].rank = rank
        api.expect(f"run with x of rank {rank}", run(io), "SHAPE", h)
    io = Io(x[..., :63].copy(), mask)
    api.expect("run with x [2, 50, 63] (static dim 64)", run(io), "SHAPE", h)
    io = Io(x, mask[:, :49].copy())
    api.expect("run with mask [2, 49] against x [2, 50, 64]", run(io), "SHAPE", h)

    empty_x = np.zeros((2, 0, 64), np.float32)
    api.expect("run with length N = 0", run(Io(empty_x, np.zeros((2, 0), bool))),
               "OUT_OF_RANGE", h)
    api.expect("run with batch B = 0",
               run(Io(np.zeros((0, 5, 64), np.float32), np.zeros((0, 5), bool))),
               "OUT_OF_RANGE", h)
    for n, label in ((MAX_DIM + 1, "the maximum + 1"), (-5, "negative"), (1 << 62, "2^62")):
        io = Io(x, mask)
        io.inputs[0].shape[1] = io.inputs[1].shape[1] = n
        api.expect(f"run with length N {label} ({n})", run(io), "OUT_OF_RANGE", h)
        check(str(n) in api.message(h), f"  message names the length {n}")
    # In range per dimension, but B * N * 64 elements do not fit a kernel.
    io = Io(x, mask)
    io.inputs[0].shape[0] = io.inputs[1].shape[0] = MAX_DIM
    io.inputs[0].shape[1] = io.inputs[1].shape[1] = MAX_DIM
    api.expect("output_shapes with B = N = 2^20 (2^46 elements)",
               d.output_shapes(h, io.inputs, 2, io.outputs, 1), "OUT_OF_RANGE", h)
    api.expect("run with B = N = 2^20 (2^46 elements)", run(io), "OUT_OF_RANGE", h)

    io = Io(x, mask)
    io.inputs[0].data = None
    api.expect("run with x data NULL", run(io), "INVALID_ARGUMENT", h)
    io = Io(x, mask)
    io.inputs[0].size_bytes = x.nbytes - 1
    api.expect("run with x size_bytes one short", run(io), "INVALID_ARGUMENT", h)
    io = Io(x, mask)
    io.inputs[0].name = b"not_x"
    api.expect("run with input 0 named 'not_x'", run(io), "INVALID_ARGUMENT", h)
    io = Io(x, mask)
    io.outputs[0].name = b"x"
    api.expect("run with output 0 named 'x'", run(io), "INVALID_ARGUMENT", h)

    for size in (0, x.nbytes - 1):
        api.expect(f"run with output size_bytes {size} (needs {x.nbytes})",
                   run(Io(x, mask, out_bytes=size)), "BUFFER_TOO_SMALL", h)
    io = Io(x, mask)
    io.outputs[0].data = None
    api.expect("run with output data NULL", run(io), "INVALID_ARGUMENT", h)

    api.expect("set_num_threads(-1)", d.set_num_threads(h, -1), "INVALID_ARGUMENT", h)
    api.expect("set_num_threads(2^20)", d.set_num_threads(h, 1 << 20), "INVALID_ARGUMENT", h)


def valid_run(api, h, x, mask, y_ref, what):
    io = Io(x, mask)
    status = api.d.run(h, io.inputs, 2, io.outputs, 1)
    api.expect(what, status, "OK", h)
    if status == 0:
        out = io.outputs[0]
        check(out.dtype == F32 and out.rank == 3 and list(out.shape[:3]) == list(x.shape),
              f"{what}: output dtype, rank and shape written")
        err = np.abs(io.y - y_ref).max()
        check(err <= 1e-4, f"{what}: matches y_ref.npy (max error {err:.1e})")


def main():
    args = parse_driver_args(__doc__)
    out = os.path.join(args.work, "out")
    subprocess.run([args.hmc, "compile", os.path.join(EXAMPLE, "hypermixing_layer.onnx"),
                    "-o", out], check=True)
    api = Api(os.path.join(out, "libhypermixing_layer.so"))
    x = np.load(os.path.join(EXAMPLE, "x.npy"))
    mask = np.load(os.path.join(EXAMPLE, "mask.npy"))
    y_ref = np.load(os.path.join(EXAMPLE, "y_ref.npy"))

    misuse_create(api)
    misuse_null_handle(api, Io(x, mask))
    h = ctypes.c_void_p()
    api.expect("create with NULL options", api.d.create(None, ctypes.byref(h)), "OK", None)
    if not h.value:
        print("cannot go on without a handle")
        return 1
    valid_run(api, h, x, mask, y_ref, "first valid run")
    misuse_run(api, h, x, mask)
    valid_run(api, h, x, mask, y_ref, "valid run after the failed calls")
    api.expect("set_num_threads(2)", api.d.set_num_threads(h, 2), "OK", h)
    # Data 4 bytes off a 64-byte boundary: element-aligned is all the API asks.
    raw = np.empty(x.size + 1, np.float32)
    shifted = raw[1:].reshape(x.shape) if raw.ctypes.data % 64 == 0 else raw[:-1].reshape(x.shape)
    shifted[...] = x
    valid_run(api, h, shifted, mask, y_ref, "valid run on inputs not 64-byte aligned")
    api.d.destroy(h)
    check(True, "destroy returns")
    # Destroying a handle twice is a use after free, undefined by design
    # (docs/c-api.md), so it is not tried here.

    if FAILURES:
        print(f"\n{len(FAILURES)} check(s) FAILED")
        return 1
    print("\nall misuse checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
