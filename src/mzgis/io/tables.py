"""Tables that offices open in Excel, WPS or LibreOffice: CSV (UTF-8 with BOM) and XLSX, written with
every text cell made safe (:func:`mzgis.text.safe_cell`: no live formulas, no characters XLSX refuses)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mzgis.errors import BadInput
from mzgis.text import safe_cell

__all__ = ["safe_frame", "write_table"]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and headers) cannot start a formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell).astype(object)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def write_table(frame: pd.DataFrame, path: Path, *, sheet: str = "Sheet1") -> None:
    """``frame`` as CSV or XLSX by the suffix of ``path``, cells made safe."""
    safe = safe_frame(frame)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        safe.to_csv(path, index=False, encoding="utf-8-sig")  # with BOM, so Excel shows the Chinese
    elif suffix == ".xlsx":
        safe.to_excel(path, index=False, sheet_name=sheet)
    else:
        raise BadInput(f"表格应为 .csv 或 .xlsx,不是“{suffix}”", f"a table is .csv or .xlsx, not {suffix!r}")
