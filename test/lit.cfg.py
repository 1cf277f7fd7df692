# lit configuration for hmc's FileCheck suites (dialect, frontends,
# compiler, hmc-halide).
import os

import lit.formats

config.name = "hmc"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.hmc_obj_root, "test")
# Suites with their own runners, and inputs that are not tests.
config.excludes = ["Inputs", "e2e", "runtime", "backend"]

config.environment["PATH"] = os.pathsep.join(
    [config.hmc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%hmc_src", config.hmc_source_dir))

# A machine with the NVIDIA driver (libcuda.so.1 loads) can open CUDA
# libraries: the tests of create's no-driver error do not apply there.
import ctypes
try:
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass
