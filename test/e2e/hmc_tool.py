"""Shared by the end-to-end scripts: where the hmc executable is, and the
relative error they check."""
import os
import shutil

import numpy as np


def resolve_hmc(path):
    """The absolute path of an executable hmc given as a path or a name on
    PATH, or None when there is none."""
    path = os.path.abspath(path) if os.sep in path else (shutil.which(path) or path)
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def rel_l2(actual, expected):
    """||actual - expected|| / ||expected|| in float64 (the plain norm of the
    difference when the expected values are all zero)."""
    diff = np.linalg.norm(np.asarray(actual, np.float64) - np.asarray(expected, np.float64))
    norm = np.linalg.norm(np.asarray(expected, np.float64))
    return float(diff / norm) if norm > 0 else float(diff)
