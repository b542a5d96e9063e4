"""Tables that offices open in Excel, WPS or LibreOffice: CSV (UTF-8 with BOM) and XLSX, written with
every text cell made safe (:func:`mzgis.text.safe_cell`: no live formulas, no characters XLSX refuses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def _as_offices_read_it(sheet: Any, frame: pd.DataFrame) -> None:
    """The sheet as an office expects it: the header row bold and frozen, a filter on it, each column as
    wide as its longest text (CJK counted double, at most 60), whole numbers without decimals."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, column in enumerate(frame.columns, start=1):
        texts = [str(column), *(str(v) for v in frame[column].head(2000) if v is not None)]
        width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts)
        sheet.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
        if pd.api.types.is_integer_dtype(frame[column]):
            for row in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                row[0].number_format = "0"


def write_table(frame: pd.DataFrame, path: Path, *, sheet: str = "Sheet1") -> None:
    """``frame`` as CSV or XLSX by the suffix of ``path``, cells made safe."""
    safe = safe_frame(frame)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        safe.to_csv(path, index=False, encoding="utf-8-sig")  # with BOM, so Excel shows the Chinese
    elif suffix == ".xlsx":
        with pd.ExcelWriter(path, engine="openpyxl") as writer:
            safe.to_excel(writer, index=False, sheet_name=sheet)
            _as_offices_read_it(writer.sheets[sheet], safe)
    else:
        raise BadInput(f"表格应为 .csv 或 .xlsx,不是“{suffix}”", f"a table is .csv or .xlsx, not {suffix!r}")
