"""Shared by the end-to-end scripts: their command line, where the hmc
executable is, and the relative error they check."""
import argparse
import os
import shutil

import numpy as np


def resolve_hmc(path):
    """The absolute path of an executable hmc given as a path or a name on
    PATH, or None when there is none."""
    path = os.path.abspath(path) if os.sep in path else (shutil.which(path) or path)
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def parse_driver_args(description, add_arguments=None):
    """The command line of an end-to-end script: --hmc (default $HMC) and
    --work, and what add_arguments(parser) adds. Exits with status 2 and a
    message when hmc is not given or not an executable; args.hmc is then
    its absolute path."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hmc", default=os.environ.get("HMC"),
                        help="path or name of the hmc executable (default: $HMC)")
    parser.add_argument("--work", required=True, help="work directory")
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args()
    if not args.hmc:
        parser.error("--hmc is required (or set $HMC)")
    hmc = resolve_hmc(args.hmc)
    if not hmc:
        parser.exit(2, f"{parser.prog}: error: hmc executable not found: {args.hmc}\n")
    args.hmc = hmc
    return args


def rel_l2(actual, expected):
    """||actual - expected|| / ||expected|| in float64 (the plain norm of the
    difference when the expected values are all zero)."""
    diff = np.linalg.norm(np.asarray(actual, np.float64) - np.asarray(expected, np.float64))
    norm = np.linalg.norm(np.asarray(expected, np.float64))
    return float(diff / norm) if norm > 0 else float(diff)
