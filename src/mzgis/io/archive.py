"""A folder as one ZIP (UTF-8 names, below a top directory), for packages people pass on."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import IO

from mzgis.text import inside, safe_filename

__all__ = ["zip_folder"]


def zip_folder(folder: Path, target: Path | IO[bytes], *, root: str, files: Sequence[str | Path] | None = None) -> None:
    """Write the files under ``folder`` (all, or only ``files``, relative to it) into ``target`` (a path or
    a binary stream), below ``root``/. Entry names are relative, without ``..``, whatever the names."""
    top = safe_filename(root, fallback="package")
    chosen = sorted(p for p in folder.rglob("*") if p.is_file()) if files is None else [folder / f for f in files]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in chosen:
            rel = inside(folder, str(path.relative_to(folder))).relative_to(folder.resolve())
            parts = [safe_filename(p, fallback="_") for p in PurePosixPath(rel.as_posix()).parts]
            zf.write(path, "/".join([top, *parts]))
