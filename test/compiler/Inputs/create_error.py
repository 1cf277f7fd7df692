"""Loads a library with python/hmc_library.py and prints create's error as
STATUS: message (or "created" when create succeeds).

usage: create_error.py LIBRARY PYTHON_DIR"""
import sys

sys.path.insert(0, sys.argv[2])
import hmc_library  # noqa: E402

try:
    hmc_library.Library(sys.argv[1]).create().close()
    print("created")
except hmc_library.HmcError as error:
    print(error)
