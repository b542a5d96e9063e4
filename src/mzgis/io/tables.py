"""Tables that offices open in Excel, WPS or LibreOffice: CSV (UTF-8 with BOM) and XLSX, written with
every text cell made safe (:func:`mzgis.text.safe_cell`: no live formulas, no characters XLSX refuses)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mzgis.errors import BadInput
from mzgis.text import safe_cell

__all__ = ["Form", "safe_frame", "write_form", "write_table"]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and headers) cannot start a formula."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell).astype(object)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def _as_offices_read_it(sheet: Any, frame: pd.DataFrame, *, header_row: int = 1) -> None:
    """The sheet as an office expects it: the header row bold and frozen, a filter on it, each column as
    wide as its longest text (CJK counted double, at most 60), whole numbers without decimals."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = f"A{header_row + 1}"
    last = get_column_letter(max(1, len(frame.columns)))
    sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + len(frame)}"
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for i, column in enumerate(frame.columns, start=1):
        texts = [str(column), *(str(v) for v in frame[column].head(2000) if v is not None)]
        width = max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in t) for t in texts)
        sheet.column_dimensions[get_column_letter(i)].width = min(60, width + 2)
        if pd.api.types.is_integer_dtype(frame[column]):
            for row in sheet.iter_rows(min_row=header_row + 1, min_col=i, max_col=i):
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


@dataclass(frozen=True)
class Form:
    """What makes a table a form an office hands in: its title, the unit filling it and the date above the
    table, the lines for signatures below it."""

    title: str
    unit: str
    day: str  # as written on the form: 2026年12月1日
    signatures: tuple[str, ...] = ("负责人", "填表人", "联系电话")


def write_form(frame: pd.DataFrame, path: Path, form: Form, *, sheet: str) -> None:
    """``frame`` as an XLSX form: the title across the top, 填报单位 and 填报日期 beneath it, the table with
    borders and its header repeated on every printed page, the signature lines after it; A4 landscape, fitted
    to the page's width, the header frozen."""
    from openpyxl.styles import Alignment, Border, Font, Side

    if path.suffix.lower() != ".xlsx":
        raise BadInput(f"表格应为 .xlsx,不是“{path.suffix}”", "a form is .xlsx")
    safe = safe_frame(frame)
    width = max(1, len(safe.columns))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet, startrow=2)
        ws = writer.sheets[sheet]
        _as_offices_read_it(ws, safe, header_row=3)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
        ws.cell(1, 1, safe_cell(form.title)).font = Font(bold=True, size=16)
        ws.cell(1, 1).alignment = Alignment(horizontal="center")
        half = max(1, width // 2)
        ws.cell(2, 1, safe_cell(f"填报单位:{form.unit}"))
        ws.cell(2, half + 1 if width > 1 else 1, safe_cell(f"填报日期:{form.day}"))
        thin = Side(style="thin")
        for row in ws.iter_rows(min_row=3, max_row=3 + len(safe), max_col=width):
            for cell in row:
                cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        last = 3 + len(safe) + 2
        ws.cell(last, 1, "    ".join(f"{s}:__________" for s in form.signatures))
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "3:3"  # the header on every printed page
        ws.print_options.horizontalCentered = True
