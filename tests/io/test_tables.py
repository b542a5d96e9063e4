from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from mzgis.errors import BadInput
from mzgis.gazetteer.service import Gazetteer
from mzgis.io.names_export import export_names, write_cleanup_report
from mzgis.io.tables import write_table
from mzgis.store import GeoPackageStore


def _xlsx_cells(path: Path, needle: str) -> list[tuple[object, str]]:
    sheet = openpyxl.load_workbook(path).active
    return [(c.value, c.data_type) for row in sheet.iter_rows() for c in row if needle in str(c.value)]


def test_write_table_neutralises_formulas_in_csv_and_xlsx(tmp_path: Path) -> None:
    frame = pd.DataFrame({"名称": ["=cmd|' /C calc'!A0", "路南街道"], "床位": [-3, 10]})
    write_table(frame, tmp_path / "t.csv")
    write_table(frame, tmp_path / "t.xlsx", sheet="表")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()[1] == "'=cmd|' /C calc'!A0,-3"
    assert _xlsx_cells(tmp_path / "t.xlsx", "cmd") == [("'=cmd|' /C calc'!A0", "s")]
    assert _xlsx_cells(tmp_path / "t.xlsx", "-3") == [(-3, "n")]  # numbers stay numbers
    with pytest.raises(BadInput, match=r"\.csv 或 \.xlsx"):
        write_table(frame, tmp_path / "t.ods")


def test_gazetteer_exports_and_cleanup_report_write_formulas_as_text(
    demo_store: GeoPackageStore, tmp_path: Path
) -> None:
    # a name and an origin that another tool stored (the gazetteer itself refuses such a name)
    name = demo_store.features("place_names")[0]
    with demo_store.transaction(user="test") as tx:
        tx.admit("place_names")  # past the gazetteer, as data written before its rules held
        tx.update("place_names", name.id, expected_version=name.version, properties={"origin": "@SUM(1+1)*cmd"})
    gaz = Gazetteer(demo_store)
    export_names(gaz, tmp_path / "names.xlsx")
    export_names(gaz, tmp_path / "names.csv")
    assert _xlsx_cells(tmp_path / "names.xlsx", "SUM(1+1)") == [("'@SUM(1+1)*cmd", "s")]
    assert "'@SUM(1+1)*cmd" in (tmp_path / "names.csv").read_text(encoding="utf-8-sig")
    with demo_store.transaction(user="test") as tx:
        tx.admit("place_names")
        current = tx.get("place_names", name.id)
        tx.update(
            "place_names",
            name.id,
            expected_version=current.version,
            properties={"name": "=1+1路", "specific": "=1+1", "generic": "路"},
        )
    write_cleanup_report(gaz, tmp_path / "report.xlsx")
    cells = _xlsx_cells(tmp_path / "report.xlsx", "=1+1")
    assert cells and all(str(value).startswith("'=") and kind == "s" for value, kind in cells)
