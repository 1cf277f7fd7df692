"""Runs a CUDA library of examples/hypermixing_layer on inputs that grow and
shrink in one handle and prints each run's status (the kernels' results are
not checked: this runs against test/compiler/Inputs/fake_cuda_driver.c).

usage: gpu_runs.py LIBRARY PYTHON_DIR"""
import sys

import numpy as np

sys.path.insert(0, sys.argv[2])
import hmc_library  # noqa: E402

rng = np.random.default_rng(0)
library = hmc_library.Library(sys.argv[1])
features = library.inputs[0].shape[-1]
with library.create() as model:
    for batch, length in [(1, 1), (2, 37), (3, 300), (2, 37), (4, 301)]:
        x = rng.standard_normal((batch, length, features)).astype(np.float32)
        mask = np.zeros((batch, length), dtype=bool)
        try:
            model.run(x=x, mask=mask)
            print(f"run {[batch, length]}: ok")
        except hmc_library.HmcError as error:
            print(f"run {[batch, length]}: {error}")
