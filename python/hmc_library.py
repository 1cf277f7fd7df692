"""Run hmc-generated libraries from Python (ctypes + numpy, nothing else).

    import numpy as np
    from hmc_library import Library

    lib = Library("out/liblayer.so")          # any hmc library, by its descriptor
    with lib.create(num_threads=2) as model:
        outputs = model.run(x=x, mask=mask)   # graph input names -> numpy arrays
    y = outputs["y"]                          # graph output names -> numpy arrays

Inputs are converted to the model's dtype with numpy's astype where the values
allow it (as `hmc run` does: integers and bools exactly, real floats within
the dtype's range; complex values are refused); every error of the library
raises HmcError with the library's own message. The structures below mirror
runtime/include/hmc/api_types.h (C API version 1).
"""
import ctypes
import os

import numpy as np

ABI_VERSION = 1
MAX_RANK = 8

# hmc_dtype -> numpy dtype
DTYPES = {0: np.float32, 1: np.float64, 2: np.int32, 3: np.int64, 4: np.bool_}
STATUS = {0: "OK", 1: "INVALID_ARGUMENT", 2: "DTYPE", 3: "SHAPE", 4: "OUT_OF_RANGE",
          5: "BUFFER_TOO_SMALL", 6: "OUT_OF_MEMORY", 7: "KERNEL", 8: "UNSUPPORTED_CPU",
          9: "BUSY", 10: "INTERNAL", 11: "NO_DEVICE"}


class HmcError(RuntimeError):
    """A library call failed; `status` is the hmc_status name."""

    def __init__(self, status, message):
        super().__init__(f"{STATUS.get(status, status)}: {message}")
        self.status = STATUS.get(status, status)


class _Tensor(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("shape", ctypes.c_int64 * MAX_RANK),
                ("data", ctypes.c_void_p), ("size_bytes", ctypes.c_size_t)]


class _TensorInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("c_name", ctypes.c_char_p),
                ("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("dim_names", ctypes.POINTER(ctypes.c_char_p))]


class _CreateOptions(ctypes.Structure):
    _fields_ = [("num_threads", ctypes.c_int32), ("weights_path", ctypes.c_char_p)]


_IoFn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_Tensor),
                         ctypes.c_int32, ctypes.POINTER(_Tensor), ctypes.c_int32)


class _Descriptor(ctypes.Structure):
    _fields_ = [
        ("abi_version", ctypes.c_uint32), ("name", ctypes.c_char_p),
        ("hmc_version", ctypes.c_char_p), ("target", ctypes.c_char_p),
        ("schedule_source", ctypes.c_char_p),
        ("num_inputs", ctypes.c_int32), ("inputs", ctypes.POINTER(_TensorInfo)),
        ("num_outputs", ctypes.c_int32), ("outputs", ctypes.POINTER(_TensorInfo)),
        ("create", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_CreateOptions),
                                    ctypes.POINTER(ctypes.c_void_p))),
        ("destroy", ctypes.CFUNCTYPE(None, ctypes.c_void_p)),
        ("set_num_threads", ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p,
                                             ctypes.c_int32)),
        ("output_shapes", _IoFn),
        ("run", _IoFn),
        ("last_error", ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.c_void_p)),
    ]


class TensorInfo:
    """A graph input or output: name, C name, numpy dtype, shape (dimension
    names for dynamic dimensions)."""

    def __init__(self, info):
        self.name = info.name.decode()
        self.c_name = info.c_name.decode()
        self.dtype = np.dtype(DTYPES[info.dtype])
        self.shape = tuple(info.dim_names[d].decode() if info.shape[d] < 0
                           else info.shape[d] for d in range(info.rank))

    def __repr__(self):
        return f"TensorInfo({self.name!r}, {self.dtype}, {list(self.shape)})"


class Library:
    """A loaded hmc library (any model; found through hmc_library_v1)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self._dll = ctypes.CDLL(os.path.abspath(self.path), mode=os.RTLD_LOCAL)
        self._desc = _Descriptor.in_dll(self._dll, "hmc_library_v1")
        if self._desc.abi_version != ABI_VERSION:
            raise HmcError(1, f"{self.path} has C API version "
                              f"{self._desc.abi_version}, expected {ABI_VERSION}")
        self.name = self._desc.name.decode()
        self.hmc_version = self._desc.hmc_version.decode()
        self.target = self._desc.target.decode()
        self.inputs = [TensorInfo(self._desc.inputs[i])
                       for i in range(self._desc.num_inputs)]
        self.outputs = [TensorInfo(self._desc.outputs[i])
                        for i in range(self._desc.num_outputs)]

    def create(self, num_threads=0):
        return Model(self, num_threads)


class Model:
    """A handle of a library: run it on numpy arrays. One run at a time."""

    def __init__(self, library, num_threads):
        self._lib = library
        self._handle = ctypes.c_void_p()
        options = _CreateOptions(num_threads, None)
        self._check(library._desc.create(ctypes.byref(options),
                                         ctypes.byref(self._handle)), None)

    def _check(self, status, handle):
        if status != 0:
            message = self._lib._desc.last_error(handle)
            raise HmcError(status, message.decode() if message else "no message")

    def set_num_threads(self, num_threads):
        self._check(self._lib._desc.set_num_threads(self._handle, num_threads),
                    self._handle)

    def run(self, **arrays):
        """Runs on the given inputs (by graph name; names that are not Python
        identifiers go through run_named) and returns {output name: array}."""
        return self.run_named(arrays)

    def run_named(self, arrays):
        infos = self._lib.inputs
        unknown = set(arrays) - {i.name for i in infos}
        missing = [i.name for i in infos if i.name not in arrays]
        if unknown or missing:
            raise HmcError(1, f"expected inputs {[i.name for i in infos]}, got "
                              f"{sorted(arrays)}")
        held = []
        inputs = (_Tensor * len(infos))()
        for slot, info in zip(inputs, infos):
            a = np.asarray(arrays[info.name])
            if a.dtype != info.dtype:
                # astype would drop imaginary parts and parse strings.
                if a.dtype.kind not in "biuf":
                    raise HmcError(2, f"input {info.name!r}: {a.dtype} values are "
                                      f"not real numbers; the model takes {info.dtype}")
                with np.errstate(over="ignore", invalid="ignore"):
                    converted = a.astype(info.dtype)
                if (info.dtype.kind in "biu" and
                        not np.array_equal(converted.astype(a.dtype), a)):
                    raise HmcError(2, f"input {info.name!r}: {a.dtype} values "
                                      f"have no exact {info.dtype} form")
                if info.dtype.kind == "f" and not np.array_equal(
                        np.isfinite(converted), np.isfinite(a)):
                    raise HmcError(2, f"input {info.name!r}: {a.dtype} values are "
                                      f"beyond the range of {info.dtype}")
                a = converted
            # np.ascontiguousarray would make a scalar [1].
            a = np.require(a, requirements="C")
            held.append(a)
            slot.name = info.name.encode()
            slot.dtype = [k for k, v in DTYPES.items() if np.dtype(v) == a.dtype][0]
            slot.rank = a.ndim
            slot.shape[:a.ndim] = a.shape
            slot.data = a.ctypes.data
            slot.size_bytes = a.nbytes
        outputs = (_Tensor * len(self._lib.outputs))()
        desc = self._lib._desc
        self._check(desc.output_shapes(self._handle, inputs, len(infos), outputs,
                                       len(outputs)), self._handle)
        results = {}
        for slot, info in zip(outputs, self._lib.outputs):
            out = np.empty(tuple(slot.shape[:slot.rank]), dtype=info.dtype)
            results[info.name] = out
            slot.data = out.ctypes.data
            slot.size_bytes = out.nbytes
        self._check(desc.run(self._handle, inputs, len(infos), outputs,
                             len(outputs)), self._handle)
        return results

    def close(self):
        if self._handle:
            self._lib._desc.destroy(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()
