"""Hostile and malformed files through every import path of the command line (``mzgis import``,
``mzgis names import``): each gets one ``错误:`` line or a row report, the exit code named here, never a
traceback, and leaves every table of the data file as it was."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.io import readers
from tests.hostile.conftest import store_digest

runner = CliRunner()
Maker = Callable[[Path], Path]


def _write(name: str, data: bytes | str) -> Maker:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    return make


def _folder(name: str) -> Maker:
    def make(folder: Path) -> Path:
        (folder / name).mkdir()
        return folder / name

    return make


def _plain_sqlite(folder: Path) -> Path:
    path = folder / "plain.gpkg"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
    return path


def _geojson(name: str, features: list[dict[str, object]]) -> Maker:
    return _write(name, json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))


def _feature(props: Mapping[str, object], geometry: Mapping[str, object]) -> dict[str, object]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _line(name: str) -> Maker:
    props = {"name": name, "county_a": "331004", "county_b": "331003", "side": "ours"}
    geometry = {"type": "LineString", "coordinates": [[121.30, 28.55], [121.31, 28.56]]}
    return _geojson("lines.geojson", [_feature(props, geometry)])


def _marker(marker_id: str) -> Maker:
    props = {"marker_id": marker_id, "line_name": "路黄线", "kind": "single", "condition": "intact"}
    return _geojson("markers.geojson", [_feature(props, {"type": "Point", "coordinates": [121.30, 28.55]})])


FACILITY = {"name": "测试敬老院", "kind": "institution", "admin_code": "331004002", "beds": 10}
PT = {"type": "Point", "coordinates": [121.40, 28.58]}


def _facility_csv(name: str, lon: str, lat: str, **extra: str) -> Maker:
    row = {"name": name, "kind": "institution", "admin_code": "331004002", "lon": lon, "lat": lat} | extra
    return _write("facilities.csv", "\ufeff" + pd.DataFrame([row]).to_csv(index=False))


def _names_csv(name: str) -> Maker:
    row = {"name": name, "category": "transport_facility", "admin_code": "331004002", "lon": "121.4", "lat": "28.58"}
    return _write("names.csv", pd.DataFrame([row]).to_csv(index=False))


def _xlsx_bomb(folder: Path) -> Path:
    """An .xlsx whose one member unpacks to 2 MB of zeros (the bound is lowered to 1 MB for the test)."""
    path = folder / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (2 * 2**20))
    return path


def _gbk_shapefile_without_cpg(folder: Path) -> Path:
    frame = gpd.GeoDataFrame([FACILITY | {"name": "路桥敬老院"}], geometry=[shapely.Point(121.40, 28.58)], crs=4490)
    path = folder / "gbk.shp"
    pyogrio.write_dataframe(frame, path, encoding="cp936")
    path.with_suffix(".cpg").unlink()
    return path


def _huge_place_name_line(folder: Path) -> Path:
    coords = [[121.40 + 0.00000005 * i, 28.58] for i in range(20_001)]
    props = {
        "name": "长长路",
        "specific": "长长",
        "generic": "路",
        "category": "transport_facility",
        "admin_code": "331004002",
        "status": "current",
    }
    return _geojson("huge.geojson", [_feature(props, {"type": "LineString", "coordinates": coords})])(folder)


LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + ']><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&lol9;</name>'
    "<Point><coordinates>121.4,28.58</coordinates></Point></Placemark></Document></kml>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&xxe;</name>'
    "<Point><coordinates>121.4,28.58</coordinates></Point></Placemark></Document></kml>"
)

# (id, layer or "names" for `mzgis names import`, file maker, extra args, exit code, a piece of the output)
CASES: list[tuple[str, str, Maker, list[str], int, str]] = [
    # empty, junk, directories and files of the wrong kind
    *[
        (f"zero-byte-{s}", "eldercare_facilities", _write(f"empty.{s}", b""), [], 2, "空文件(0 字节)")
        for s in ("csv", "gpkg", "geojson", "xlsx", "kml", "shp")
    ],
    ("junk-gpkg", "eldercare_facilities", _write("junk.gpkg", bytes(range(256)) * 12), [], 2, "无法读取"),
    ("junk-geojson", "eldercare_facilities", _write("junk.geojson", "{not json"), [], 2, "无法读取"),
    ("junk-kml", "eldercare_facilities", _write("junk.kml", "<kml><oops"), [], 2, "无法读取"),
    ("junk-xlsx", "eldercare_facilities", _write("junk.xlsx", b"PK\x03\x04 not really"), [], 2, "不是有效的 XLSX"),
    ("text-as-xlsx", "eldercare_facilities", _write("t.xlsx", "name,kind\n"), [], 2, "不是有效的 XLSX"),
    ("plain-sqlite-as-gpkg", "eldercare_facilities", _plain_sqlite, [], 2, "gpkg_contents"),
    ("folder-csv", "eldercare_facilities", _folder("x.csv"), [], 2, "是目录"),
    ("folder-gpkg", "eldercare_facilities", _folder("x.gpkg"), [], 2, "是目录"),
    ("unsupported-suffix", "eldercare_facilities", _write("a.docx", "x"), [], 2, "不支持的文件格式"),
    ("csv-header-only-blank", "eldercare_facilities", _write("blank.csv", "\n\n"), [], 2, "没有表头和数据"),
    ("csv-no-rows", "eldercare_facilities", _write("h.csv", "name,kind,admin_code,lon,lat\n"), [], 2, "没有数据行"),
    ("csv-bad-encoding", "eldercare_facilities", _write("e.csv", b"name\n\xff\xfe\xfa\x80"), [], 2, "编码无法识别"),
    ("csv-bad-wkt", "eldercare_facilities", _write("w.csv", "name,wkt\nx,POINT(1 2\n"), [], 2, "WKT 几何无法解析"),
    ("geojson-empty-collection", "eldercare_facilities", _geojson("e.geojson", []), [], 2, "缺少必填列"),
    ("geojson-deep", "eldercare_facilities", _write("d.geojson", "[" * 100_000), [], 2, "无法读取"),
    ("kml-billion-laughs", "eldercare_facilities", _write("laughs.kml", LAUGHS), [], 2, "无法读取"),
    ("kml-xxe", "eldercare_facilities", _write("xxe.kml", XXE), [], 2, "无法读取"),
    ("xlsx-bomb", "eldercare_facilities", _xlsx_bomb, [], 2, "解压后过大"),
    (
        "missing-columns",
        "eldercare_facilities",
        _write("m.csv", "名字,经度,纬度\n敬老院,121.4,28.58\n"),
        [],
        2,
        "缺少必填列",
    ),
    ("unknown-layer", "nope", _facility_csv("测试敬老院", "121.4", "28.58"), [], 3, "没有图层“nope”"),
    ("missing-file", "eldercare_facilities", lambda folder: folder / "nowhere.csv", [], 3, "找不到文件"),
    # coordinates
    ("lon-nan", "eldercare_facilities", _facility_csv("测试敬老院", "nan", "28.58"), [], 5, "缺少几何"),
    ("lon-inf", "eldercare_facilities", _facility_csv("测试敬老院", "inf", "28.58"), [], 5, "非有限数值"),
    ("lon-huge", "eldercare_facilities", _facility_csv("测试敬老院", "1e308", "1e308"), [], 5, "不在中国范围内"),
    ("swapped", "eldercare_facilities", _facility_csv("测试敬老院", "28.58", "121.4"), [], 5, "写反"),
    ("outside-county", "eldercare_facilities", _facility_csv("测试敬老院", "116.39", "39.9"), [], 5, "超出本区县范围"),
    (
        "three-d",
        "eldercare_facilities",
        _geojson("z.geojson", [_feature(FACILITY, {"type": "Point", "coordinates": [121.4, 28.58, 12.0]})]),
        [],
        5,
        "--drop-z",
    ),
    (
        "bowtie",
        "burial_sites",
        _geojson(
            "b.geojson",
            [
                _feature(
                    {"name": "公墓", "kind": "cemetery", "status": "open", "admin_code": "331004002"},
                    {
                        "type": "Polygon",
                        "coordinates": [
                            [[121.40, 28.58], [121.401, 28.581], [121.401, 28.58], [121.40, 28.581], [121.40, 28.58]]
                        ],
                    },
                )
            ],
        ),
        [],
        5,
        "几何无效",
    ),
    (
        "wrong-geometry-type",
        "eldercare_facilities",
        _geojson(
            "l.geojson", [_feature(FACILITY, {"type": "LineString", "coordinates": [[121.4, 28.58], [121.41, 28.58]]})]
        ),
        [],
        5,
        "不符合图层要求",
    ),
    ("huge-line-as-place-name", "place_names", _huge_place_name_line, [], 5, "超过本图层上限 20000"),
    # text
    ("name-nul", "eldercare_facilities", _facility_csv("测试\x00敬老院", "121.4", "28.58"), [], 5, "控制字符"),
    (
        "name-zero-width",
        "eldercare_facilities",
        _facility_csv("测试\u200b敬老院", "121.4", "28.58"),
        [],
        5,
        "不可见字符",
    ),
    (
        "name-rtl-override",
        "eldercare_facilities",
        _facility_csv("测试\u202e敬老院", "121.4", "28.58"),
        [],
        5,
        "不可见字符",
    ),
    ("name-too-long", "eldercare_facilities", _facility_csv("院" * 61, "121.4", "28.58"), [], 5, "超过 60 个字符"),
    (
        "code-formula",
        "eldercare_facilities",
        _facility_csv("测试敬老院", "121.4", "28.58", admin_code="=1+1"),
        [],
        5,
        "没有名为“=1+1”的区划单位",  # not a code, so looked up as a unit's name: text, refused, nothing written
    ),
    (
        "beds-huge",
        "eldercare_facilities",
        _facility_csv("测试敬老院", "121.4", "28.58", beds="1e30"),
        [],
        5,
        "超出整数范围",
    ),
    (
        "beds-text",
        "eldercare_facilities",
        _facility_csv("测试敬老院", "121.4", "28.58", beds="很多"),
        [],
        5,
        "不是整数",
    ),
    (
        "beds-negative",
        "eldercare_facilities",
        _facility_csv("测试敬老院", "121.4", "28.58", beds="-3"),
        [],
        5,
        "不能小于 0",
    ),
    (
        "kind-markup",
        "eldercare_facilities",
        _facility_csv("测试敬老院", "121.4", "28.58", kind="<b>x</b>"),
        [],
        5,
        "不在允许范围内",
    ),
    # names that would become paths in exports
    *[
        (f"line-name-{cid}", "boundary_lines", _line(name), [], 5, msg)
        for cid, name, msg in [
            ("absolute", "/some/folder", "不能含字符“/”"),
            ("dotdot", "..", "不能以“.”开头"),
            ("hidden", ".路黄线", "不能以“.”开头"),
            ("backslash", "a\\b", "不能含字符“\\”"),
            ("colon", "C:路黄线", "不能含字符“:”"),
            ("pipe", "路黄|线", "不能含字符“|”"),
            ("star", "路黄*", "不能含字符“*”"),
            ("question", "路黄?", "不能含字符“?”"),
            ("quote", '路"黄', '不能含字符“"”'),
            ("angle", "<路黄>", "不能含字符“<”"),
            ("tab", "路黄\t线", "控制字符"),
        ]
    ],
    ("marker-id-slash", "boundary_markers", _marker("路黄/01"), [], 5, "不能含字符“/”"),
    ("marker-id-dotdot", "boundary_markers", _marker(".."), [], 5, "不能以“.”开头"),
    # the gazetteer's own import
    ("names-zero-byte", "names", _write("names.csv", b""), [], 2, "空文件"),
    ("names-junk-xlsx", "names", _write("names.xlsx", b"junk"), [], 2, "不是有效的 XLSX"),
    ("names-folder", "names", _folder("names.csv"), [], 2, "是目录"),
    ("names-nul", "names", _names_csv("金清\x00大桥"), [], 5, "控制字符"),
    ("names-zero-width", "names", _names_csv("古\u200b岙村"), [], 5, "不可见字符"),
    ("names-bom", "names", _names_csv("\ufeff金清大桥"), [], 5, "不可见字符"),
    ("names-brand", "names", _names_csv("星巴克广场"), [], 5, "使用商标品牌名:含商标、品牌名“星巴克”"),
    (
        "names-3d",
        "names",
        _geojson(
            "n.geojson",
            [
                _feature(
                    {"name": "金清大桥", "category": "transport_facility", "admin_code": "331004002"},
                    {"type": "Point", "coordinates": [121.4, 28.58, 3.0]},
                )
            ],
        ),
        [],
        5,
        "--drop-z",
    ),
]


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    from tests.hostile.conftest import copy_demo

    return copy_demo(tmp_path / "demo.gpkg")


@pytest.mark.parametrize(("cid", "layer", "make", "extra", "code", "text"), CASES, ids=[c[0] for c in CASES])
def test_hostile_file_is_refused_and_changes_nothing(
    data_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cid: str,
    layer: str,
    make: Maker,
    extra: list[str],
    code: int,
    text: str,
) -> None:
    monkeypatch.setattr(readers, "MAX_UNPACKED_BYTES", 2**20)  # the ZIP-bomb case without writing 500 MB
    folder = tmp_path / "in"
    folder.mkdir()
    path = make(folder)
    before = store_digest(data_file)
    args = ["names", "import", str(path)] if layer == "names" else ["import", layer, str(path)]
    result = runner.invoke(app, [*args, *extra, "--db", str(data_file)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    assert text in result.output, result.output
    assert store_digest(data_file) == before


def test_kml_entities_are_never_expanded(data_file: Path, tmp_path: Path) -> None:
    (tmp_path / "xxe.kml").write_text(XXE, encoding="utf-8")
    result = runner.invoke(app, ["import", "eldercare_facilities", str(tmp_path / "xxe.kml"), "--db", str(data_file)])
    assert "root:" not in result.output  # nothing of /etc/passwd


def test_gbk_shapefile_without_cpg_is_read_intact(data_file: Path, tmp_path: Path) -> None:
    path = _gbk_shapefile_without_cpg(tmp_path)
    result = runner.invoke(app, ["import", "eldercare_facilities", str(path), "--dry-run", "--db", str(data_file)])
    assert result.exit_code == 0, result.output
    assert "无 .cpg 文件,按内容判定编码为 GB18030" in result.output


def test_drop_z_imports_the_flat_position(data_file: Path, tmp_path: Path) -> None:
    path = _geojson("z.geojson", [_feature(FACILITY, {"type": "Point", "coordinates": [121.4, 28.58, 12.0]})])(tmp_path)
    result = runner.invoke(app, ["import", "eldercare_facilities", str(path), "--drop-z", "--db", str(data_file)])
    assert result.exit_code == 0, result.output
    stored = pyogrio.read_dataframe(data_file, layer="eldercare_facilities", where="name = '测试敬老院'")
    assert [(g.x, g.y, g.has_z) for g in stored.geometry] == [(121.4, 28.58, False)]


def test_the_suites_hold_150_inputs() -> None:
    from tests.hostile.test_api_inputs import CASES as API_CASES

    assert len(CASES) + len(API_CASES) >= 150
