"""What officers read in exported files says every allowed value by its Chinese name: no cell of a table,
a sheet or a Word document an export writes is a code of the layer model (``transport_facility``,
``proposed``, ``day_care_station`` …). Codes stay where a machine needs them: the census exchange and the
GeoPackage/GeoJSON layers for tools."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from typer.testing import CliRunner

from mzgis.boundary.service import load_line
from mzgis.cli import app
from mzgis.gazetteer.service import Gazetteer
from mzgis.io.inspection import write_inspection_package
from mzgis.io.names_export import export_names, write_cleanup_report
from mzgis.layers import LAYERS
from mzgis.store import GeoPackageStore

CODES = {c for lay in LAYERS.values() for f in lay.fields for c in f.choices if c.isascii() and c.isidentifier()}


def _cells(path: Path) -> Iterator[str]:
    """Every text cell an officer opens: CSV, XLSX (every sheet) and the tables and paragraphs of a .docx."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as f:
            yield from (cell for row in csv.reader(f) for cell in row)
    elif path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
        finally:
            book.close()
        yield from (c for c in cells if c != "None")
    elif path.suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        yield from (p.text for p in document.paragraphs)
        yield from (cell.text for t in document.tables for row in t.rows for cell in row.cells)


def test_no_export_an_officer_reads_holds_a_code(demo_path: Path, tmp_path: Path) -> None:
    store = GeoPackageStore(demo_path)
    gaz = Gazetteer(store)
    export_names(gaz, tmp_path / "地名.csv")
    export_names(gaz, tmp_path / "地名.xlsx")
    write_cleanup_report(gaz, tmp_path / "清理.xlsx")
    write_cleanup_report(gaz, tmp_path / "清理.docx")
    write_inspection_package(load_line(store, "路黄线"), tmp_path / "联检")
    out = CliRunner().invoke(app, ["coverage", "--out", str(tmp_path / "覆盖"), "--db", str(demo_path)])
    assert out.exit_code == 0, out.output
    files = sorted(p for p in tmp_path.rglob("*") if p.suffix in (".csv", ".xlsx", ".docx"))
    assert len(files) >= 7, files  # names ×2, clean-up ×2, the marker register, the coverage tables
    found = {(p.relative_to(tmp_path).as_posix(), cell) for p in files for cell in _cells(p) if cell in CODES}
    assert found == set()
    assert {"transport_facility", "proposed", "day_care_station", "village"} <= CODES  # the scan looks for these
