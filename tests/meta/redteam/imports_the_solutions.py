"""Attack: find the kit's reference solution (or its hidden checks) and hand its
functions in as our own.

First through the import path (the kit's package, its editable-install finder),
then by walking the filesystem. Under bubblewrap none of it is there, and every
function says so.
"""

import importlib
import importlib.util
import os
import sys

import numpy as np

FUNCTIONS = ("step", "relu", "sigmoid", "tanh")
FUNCTIONS += ("relu_backward", "sigmoid_backward", "tanh_backward")
WANTED = (("solutions", "ex02_activations.py"), ("checks", "test_ex02_activations.py"))
SKIP = ("/proc", "/sys", "/dev")
MAX_DEPTH = 5


def _through_imports():
    """The kit's package, through the import path or an editable install's finder."""
    try:
        return importlib.import_module("solutions.ex02_activations").__file__
    except ImportError:
        pass
    site = os.path.dirname(os.path.dirname(os.path.realpath(np.__file__)))
    for folder in [*sys.path, site]:
        for entry in os.listdir(folder) if os.path.isdir(folder) else []:
            if entry.startswith("__editable__") and entry.endswith("_finder.py"):
                sys.path.append(folder)
                try:
                    importlib.import_module(entry[:-3]).install()
                    kit = importlib.import_module("grader.course.paths").KIT_ROOT
                except ImportError:
                    continue
                return os.path.join(kit, "solutions", "ex02_activations.py")
    return None


def _on_disk():
    """The first reference solution found on disk, else the first hidden check module."""
    found = {}
    here = os.path.dirname(os.path.abspath(__file__))
    for root in (here, os.path.dirname(here), os.path.expanduser("~"), "/"):
        for folder, subfolders, files in os.walk(root):
            if folder.startswith(SKIP) or folder.count(os.sep) >= MAX_DEPTH:
                subfolders[:] = []
            for parent, name in WANTED:
                if os.path.basename(folder) == parent and name in files:
                    found.setdefault(parent, os.path.join(folder, name))
            if "solutions" in found:
                return found["solutions"]
    return found.get("checks")


def _load(path):
    try:
        spec = importlib.util.spec_from_file_location("stolen", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except Exception:  # the hidden checks import the grader, which is not here
        return None
    return module


def _nothing_found(*args, **kwargs):
    raise FileNotFoundError("found no solutions to copy")


_path = _through_imports() or _on_disk()
_stolen = _load(_path) if _path else None
for _name in FUNCTIONS:
    globals()[_name] = getattr(_stolen, _name, _nothing_found)
