from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from mzgis.errors import BadInput, NotFound
from mzgis.io.readers import detect_dbf_encoding, read_table

NAMES = ["路桥敬老院", "蓬街敬老院", "桐屿山爷姆敬老院"]


def frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": NAMES, "code": ["331004002050", "331004107001", "331004005001"]},
        geometry=[Point(121.38, 28.58), Point(121.50, 28.56), Point(121.31, 28.59)],
        crs="EPSG:4490",
    )


def test_gbk_shapefile_without_cpg_reads_intact(tmp_path: Path) -> None:
    path = tmp_path / "gbk.shp"
    pyogrio.write_dataframe(frame(), path, encoding="cp936")
    path.with_suffix(".cpg").unlink()
    # the pitfall: GDAL alone reads this as mojibake without any error
    assert list(pyogrio.read_dataframe(path)["name"]) != NAMES
    assert detect_dbf_encoding(path.with_suffix(".dbf")) == "GB18030"
    table = read_table(path)
    assert list(table.frame["name"]) == NAMES
    assert table.encoding == "GB18030"
    assert "按内容判定编码" in table.note


def test_utf8_shapefile_without_cpg(tmp_path: Path) -> None:
    path = tmp_path / "utf8.shp"
    pyogrio.write_dataframe(frame(), path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink()
    table = read_table(path)
    assert list(table.frame["name"]) == NAMES and table.encoding == "UTF-8"


def test_csv_in_gbk_with_chinese_coordinate_headers(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    pd.DataFrame(
        {
            "名称": NAMES,
            "经度": [121.38, 121.50, 121.31],
            "纬度": [28.58, 28.56, 28.59],
            "code": ["331004002050", "331004107001", "331004005001"],
        }
    ).to_csv(path, index=False, encoding="gbk")
    table = read_table(path)
    assert table.encoding == "gb18030"
    assert list(table.frame["名称"]) == NAMES
    assert list(table.frame["code"]) == ["331004002050", "331004107001", "331004005001"]  # text, not numbers
    assert table.frame.geometry.iloc[1].equals(Point(121.50, 28.56))


def test_xlsx_with_wkt_column(tmp_path: Path) -> None:
    path = tmp_path / "sites.xlsx"
    pd.DataFrame({"name": NAMES, "wkt": ["POINT (121.38 28.58)", "POINT (121.5 28.56)", ""]}).to_excel(
        path, index=False
    )
    table = read_table(path)
    assert table.frame.geometry.iloc[0].equals(Point(121.38, 28.58))
    assert table.frame.geometry.iloc[2] is None


def test_geopackage_with_several_layers_needs_a_choice(tmp_path: Path) -> None:
    path = tmp_path / "two.gpkg"
    pyogrio.write_dataframe(frame(), path, layer="a")
    pyogrio.write_dataframe(frame(), path, layer="b", append=True)
    with pytest.raises(BadInput, match="--source-layer"):
        read_table(path)
    assert len(read_table(path, source_layer="b").frame) == 3


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "x.dwg").write_bytes(b"AC1015")
    with pytest.raises(BadInput, match="不支持的文件格式"):
        read_table(tmp_path / "x.dwg")
    with pytest.raises(NotFound):
        read_table(tmp_path / "none.geojson")


def test_damaged_geojson_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(BadInput, match="无法读取"):
        read_table(path)


def test_a_table_with_coordinates_and_wkt_takes_lines_from_wkt_and_points_from_coordinates(tmp_path: Path) -> None:
    """As mzgis exports names: lon/lat (a point on each) and wkt. A road keeps its line; a point the officer
    moved in Excel (lon/lat edited, the WKT left as it was) moves."""
    path = tmp_path / "names.csv"
    path.write_text(
        "name,lon,lat,wkt\n"
        '路南大道,121.37,28.55,"LINESTRING (121.36 28.55, 121.38 28.55)"\n'
        '方林村,121.3633,28.55,"POINT (121.3623 28.55)"\n'
        "新塘村,121.40,28.58,\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert [g.wkt for g in table.frame.geometry] == [
        "LINESTRING (121.36 28.55, 121.38 28.55)",
        "POINT (121.3633 28.55)",
        "POINT (121.4 28.58)",
    ]
    assert list(table.frame.columns) == ["name", "geometry"]


def test_rows_are_numbered_as_the_sheet_shows_them(tmp_path: Path) -> None:
    """A title above the header and a blank row between records: each record keeps its sheet row."""
    import openpyxl

    path = tmp_path / "names.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in (["新增地名表"], ["名称", "经度", "纬度"], ["甲桥", "121.4", "28.5"], [], ["乙桥", "121.5", "28.6"]):
        ws.append(row)
    wb.save(path)
    table = read_table(path)
    assert list(table.frame["名称"]) == ["甲桥", "乙桥"]
    assert [table.row_number(i) for i in range(2)] == [3, 5]
    assert table.notes == ["表头在第 2 行,其上 1 行是标题,已跳过"]
    csv = tmp_path / "names.csv"
    csv.write_text("名称,经度,纬度\n甲桥,121.4,28.5\n\n乙桥,121.5,28.6\n", encoding="utf-8")
    assert [read_table(csv).row_number(i) for i in range(2)] == [2, 4]
