"""Shared by the end-to-end scripts: where the hmc executable is."""
import os
import shutil


def resolve_hmc(path):
    """The absolute path of an executable hmc given as a path or a name on
    PATH, or None when there is none."""
    path = os.path.abspath(path) if os.sep in path else (shutil.which(path) or path)
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
