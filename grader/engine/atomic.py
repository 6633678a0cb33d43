"""Writing files so that a reader never sees half of one."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write `data` (text is UTF-8) to `path` via a temporary file in the same folder.

    The rename is atomic: a reader, or a run killed half-way, finds the old
    file or the new one, never a mix. Creates missing parent folders.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    os.replace(partial, path)
