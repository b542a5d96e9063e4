"""A folder as one ZIP (UTF-8 names, below a top directory), for packages people pass on."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import IO

__all__ = ["zip_folder"]


def zip_folder(folder: Path, target: Path | IO[bytes], *, root: str) -> None:
    """Write every file under ``folder`` into ``target`` (a path or a binary stream), below ``root``/."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, f"{root}/{path.relative_to(folder).as_posix()}")
