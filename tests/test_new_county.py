"""A county that is not the demo: 椒江区 made with `init --county`, its division names in the gazetteer from
the first minute, its outline attached from the shared four-county file (the other three left out, named)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.gazetteer.divisions import division_class
from mzgis.store import GeoPackageStore
from tests.conftest import SHARED_SOURCES
from tests.needs import need

runner = CliRunner()


@pytest.fixture
def jiaojiang(tmp_path: Path) -> Path:
    path = tmp_path / "jiaojiang.gpkg"
    out = runner.invoke(app, ["init", str(path), "--county", "椒江区"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[-1] == (
        "已登记区划名称(标准地名)280 个,均为现行,其中 280 个尚无位置(导入区划面后自动取面内代表点)"
    )
    return path


def test_the_division_names_are_standard_names_from_the_first_minute(jiaojiang: Path) -> None:
    store = GeoPackageStore(jiaojiang)
    names = {str(f.properties["admin_code"]): f for f in store.features("place_names")}
    assert len(names) == 280 == store.count("admin_units")
    got = {
        code: (f.properties["name"], f.properties["romanized"], f.properties["category"], f.properties["subcategory"])
        for code, f in names.items()
        if code in ("331002", "331002001", "331002008201", "331002001003")
    }
    assert got == {
        "331002": ("椒江区", "Jiaojiang Qu", "administrative_area", "county"),
        "331002001": ("海门街道", "Haimen Jiedao", "administrative_area", "subdistrict"),
        "331002008201": ("回浦村", "Huipu Cun", "self_governing_org", "village"),
        "331002001003": ("城隍浦社区", "Chenghuangpu Shequ", "self_governing_org", "community"),
    }
    assert all(f.geometry is None and f.properties["status"] == "current" for f in names.values())
    assert {f.properties["description"] for f in names.values()} == {
        "据国家统计局统计用区划代码(2023 年版)登记的区划名称"
    }
    # the rules see them: a new 回浦村 in 章安街道's neighbour township is a duplicate of the committee's name
    out = runner.invoke(
        app,
        ["names", "check-name", "回浦村", "--category", "群众自治组织", "--admin", "331002008", "--db", str(jiaojiang)],
    )
    assert out.exit_code == 5 and "[错误] 重名:同一范围内已有同名的“回浦村”" in out.output
    again = runner.invoke(app, ["names", "seed-divisions", "--db", str(jiaojiang)])
    assert (again.exit_code, again.output.strip()) == (0, "各区划单位已有标准地名,无需登记")


def test_outlines_attach_from_a_file_of_four_counties(jiaojiang: Path) -> None:
    need(SHARED_SOURCES.exists(), "../shared/sources beside the checkout")
    source = SHARED_SOURCES / "taizhou-districts-amap-gcj02.geojson"
    args = ["import", "admin_units", str(source), "--from-crs", "gcj02", "--map", "adcode=code", "--update"]
    out = runner.invoke(app, [*args, "--db", str(jiaojiang)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        "说明:未导入:黄岩区(331003)、路桥区(331004)、温岭市(331081) 不在本数据中(--update 只更新已登记的区划单位)",
        "说明:区划名称 1 个已取区划面内的代表点作为位置",
        "taizhou-districts-amap-gcj02.geojson → admin_units:共 4 行,坐标系 gcj02;已新增 0 条,更新 1 条,未变 0 条",
    ]
    store = GeoPackageStore(jiaojiang)
    (county,) = store.features("admin_units", where={"code": "331002"})
    (name,) = store.features("place_names", where={"admin_code": "331002"})
    assert county.geometry is not None and name.geometry is not None and county.geometry.contains(name.geometry)
    assert name.version == 2 and store.audit(layer="place_names", feature_id=name.id)[-1].after is not None
    assert county.properties["parent_code"] == "331000"  # kept: the file has no parent column


@pytest.mark.parametrize(
    ("code", "name", "level", "expected"),
    [
        ("331004", "路桥区", "county", ("administrative_area", "county")),
        ("331004001", "路南街道", "township", ("administrative_area", "subdistrict")),
        ("331004106", "金清镇", "township", ("administrative_area", "town")),
        ("331004400", "滨海工业城", "township", ("non_administrative_area", "development_zone")),
        ("331004001002", "方林社区", "village", ("self_governing_org", "community")),
        ("331004106201", "下梁村", "village", ("self_governing_org", "village")),
        ("150102001001", "某嘎查", "village", ("self_governing_org", None)),
    ],
)
def test_division_classes(code: str, name: str, level: str, expected: tuple[str, str | None]) -> None:
    assert division_class(code, name, level) == expected


def test_the_readmes_first_week_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import shlex

    from mzgis.settings import REPO_ROOT

    need(SHARED_SOURCES.exists(), "../shared/sources beside the checkout")
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- county walk-through -->\n```bash\n(.*?)```", text, re.S)
    assert block is not None
    monkeypatch.chdir(tmp_path)
    outputs = []
    for line in block.group(1).splitlines():
        args = shlex.split(line.split("  #")[0].replace("$SOURCES", str(SHARED_SOURCES)))
        result = runner.invoke(app, args[1:])
        assert result.exit_code == 0, f"{line}\n{result.output}"
        outputs.append(result.output)
    assert "未导入:黄岩区(331003)、路桥区(331004)、温岭市(331081) 不在本数据中" in outputs[1]
    assert "回浦村" in outputs[2] and "Huipu Cun" in outputs[2]


def test_a_township_offices_sheet_keeps_every_column(jiaojiang: Path, tmp_path: Path) -> None:
    """As 章安街道's office makes it: a title above the header, Chinese headers, townships by name, everyday
    class words, 含义, full-width digits, GCJ-02 positions, a column mzgis has no field for, a repeated row."""
    import openpyxl

    from mzgis.crs import gcj02_to_wgs84

    sheet = tmp_path / "章安街道地名.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["椒江区章安街道 2024 年新增地名登记表"])
    ws.merge_cells("A1:G1")
    ws.append(["名称", "类别", "所属乡镇", "经度", "纬度", "含义", "填报人"])
    for row in (
        ["章安东路", "道路", "章安街道", "１２１.４７６３８７", "２８.７０２１１", "章安以东", "王"],
        ["下岙村", "自然村", "章安街道", "121.4702", "28.7011", "旧称下岙", "王"],
        ["东山花园", "住宅小区", "白云街道", "121.4212", "28.6702", None, "李"],
        ["枫山公园", "公园", "白云街道", "121.4251", "28.6688", "枫山脚下", "李"],
        ["章安东路", "道路", "章安街道", "１２１.４７６３８７", "２８.７０２１１", "章安以东", "王"],
    ):
        ws.append(row)
    wb.save(sheet)
    args = ["names", "import", str(sheet), "--from-crs", "gcj02", "--status", "现行", "--db", str(jiaojiang)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 5
    assert refused.output.splitlines() == [
        "说明:坐标取自列 经度/纬度",
        "说明:表头在第 2 行,其上 1 行是标题,已跳过",
        "说明:未使用的列:填报人",
        "说明:新增地名的状态:现行(current)",
        "第 7 行 章安东路:[无法导入] 与第 3 行重复(如确需保留,请加 --allow-duplicates)",
        "章安街道地名.xlsx:共 5 条地名,1 条有错误,0 条有提示;未导入任何数据",
    ]
    store = GeoPackageStore(jiaojiang)
    assert not store.features("place_names", where={"name": "章安东路"})  # nothing of a refused import
    wb = openpyxl.load_workbook(sheet)
    active = wb.active
    assert active is not None
    active.delete_rows(7)
    wb.save(sheet)
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    got = {
        str(f.properties["name"]): tuple(
            f.properties[k] for k in ("category", "subcategory", "admin_code", "origin", "status", "romanized")
        )
        for f in store.features("place_names", where={"name": ["章安东路", "下岙村", "东山花园", "枫山公园"]})
    }
    assert got == {
        "章安东路": ("transport_facility", "road", "331002008", "章安以东", "current", "Zhang'an Donglu"),
        "下岙村": ("settlement", "natural_village", "331002008", "旧称下岙", "current", "Xia'aocun"),
        "东山花园": ("settlement", "residential", "331002002", None, "current", "Dongshan Huayuan"),
        "枫山公园": ("memorial_scenic", None, "331002002", "枫山脚下", "current", "Fengshan Gongyuan"),
    }
    (road,) = store.features("place_names", where={"name": "章安东路"})
    lon, lat = gcj02_to_wgs84(121.476387, 28.70211)  # the full-width digits read, then converted exactly
    assert road.geometry is not None
    (x, y), (wx, wy) = road.geometry.coords[0], (float(lon), float(lat))
    assert (round(x, 7), round(y, 7)) == (round(wx, 7), round(wy, 7))


def test_a_township_named_twice_or_not_at_all_is_refused_by_name(jiaojiang: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "names.csv"
    sheet.write_text(
        "名称,类别,所属乡镇,村(社区),经度,纬度\n"
        "回浦桥,桥梁,章安街道,回浦村,121.47,28.70\n"
        "白云桥,桥梁,白云镇,,121.42,28.67\n",
        encoding="utf-8",
    )
    out = runner.invoke(app, ["names", "import", str(sheet), "--dry-run", "--db", str(jiaojiang)])
    assert out.exit_code == 5
    assert "第 3 行 白云桥:[无法导入] 没有名为“白云镇”的乡镇(街道)" in out.output
    assert "第 2 行" not in out.output  # 回浦村 of 章安街道: resolved to its code, no problem


def test_units_lists_the_register_with_codes(jiaojiang: Path) -> None:
    out = runner.invoke(app, ["units", "回浦", "--db", str(jiaojiang)])
    assert out.exit_code == 0 and out.output.splitlines() == ["331002008201  回浦村  村(社区)", "共 1 个区划单位"]
    towns = runner.invoke(app, ["units", "--level", "township", "--json", "--db", str(jiaojiang)])
    import json

    rows = json.loads(towns.output)
    assert len(rows) == 12 and rows[0] == {
        "code": "331002001",
        "name": "海门街道",
        "level": "township",
        "parent_code": "331002",
    }
    bad = runner.invoke(app, ["units", "--level", "city", "--db", str(jiaojiang)])
    assert bad.exit_code == 2 and "--level 只能是 county、township 或 village" in bad.output


def test_an_unknown_class_word_is_refused_with_the_nearest_few(jiaojiang: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "names.csv"
    sheet.write_text("名称,类别,所属乡镇,经度,纬度\n东门桥,桥梁设施,章安街道,121.47,28.70\n", encoding="utf-8")
    out = runner.invoke(app, ["names", "import", str(sheet), "--dry-run", "--db", str(jiaojiang)])
    assert out.exit_code == 5
    assert (
        "第 2 行 东门桥:[无法导入] 类别“桥梁设施”不是地名类别;相近的有:桥梁(交通运输设施)、桥(交通运输设施)、"
        "交通运输设施(全部类别见 mzgis layers)"
    ) in out.output
    assert "settlement(居民点)" not in out.output  # not all twelve


def _office_sheet(path: Path, title: str, header: list[str], rows: list[list[object]]) -> Path:
    """An XLSX as a township office makes it: a merged title row above the header."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _township_grid(jiaojiang: Path, tmp_path: Path) -> dict[str, tuple[float, float]]:
    """The 12 townships as 0.02° squares in a 4 × 3 grid from (121.40, 28.62) (village polygons are rarely
    at hand in a county's first weeks; township ones are), attached by code from a Shapefile as a
    natural-resources bureau gives it: CGCS2000 3° Gauss-Krüger (EPSG:4549), its own column names (XZQDM,
    XZQMC), GBK names and no .cpg; each square's centre (longitude, latitude)."""
    import geopandas as gpd
    import pyogrio
    from shapely.geometry import box

    store = GeoPackageStore(jiaojiang)
    towns = sorted(
        (str(f.properties["code"]), str(f.properties["name"]))
        for f in store.features("admin_units", where={"level": "township"})
    )
    cells = [(121.40 + 0.02 * (i % 4), 28.62 + 0.02 * (i // 4)) for i in range(len(towns))]
    frame = gpd.GeoDataFrame(
        {"XZQDM": [c for c, _ in towns], "XZQMC": [n for _, n in towns]},
        geometry=[box(x, y, x + 0.02, y + 0.02).segmentize(0.002) for x, y in cells],
        crs=4490,
    ).to_crs(4549)
    source = tmp_path / "乡镇界.shp"
    pyogrio.write_dataframe(frame, source, encoding="GBK")
    source.with_suffix(".cpg").unlink(missing_ok=True)  # as such files often come: no word on the encoding
    assert "海门街道".encode("gbk") in source.with_suffix(".dbf").read_bytes()
    args = ["import", "admin_units", str(source), "--map", "XZQDM=code,XZQMC=name", "--update"]
    out = runner.invoke(app, [*args, "--db", str(jiaojiang)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == [
        "说明:无 .cpg 文件,按内容判定编码为 GB18030",  # GBK's superset: GBK files read the same
        "说明:区划名称 12 个已取区划面内的代表点作为位置",
        "乡镇界.shp → admin_units:共 12 行,坐标系 EPSG:4549,编码 GB18030;已新增 0 条,更新 12 条,未变 0 条",
    ]
    (haimen,) = store.features("admin_units", where={"code": "331002001"})
    assert haimen.properties["name"] == "海门街道" and haimen.geometry is not None
    minx, miny, _, _ = haimen.geometry.bounds  # back in CGCS2000 longitude and latitude, to a millimetre
    assert (round(minx, 7), round(miny, 7)) == (121.4, 28.62)
    return {code: (x + 0.01, y + 0.01) for (code, _), (x, y) in zip(towns, cells, strict=True)}


def test_coverage_by_township_without_village_polygons(jiaojiang: Path, tmp_path: Path) -> None:
    """椒江区 with township polygons only; the elderly by township from the civil-affairs statistics (a title
    row, townships by name, full-width digits), the facilities from an office's sheet (敬老院, 照料中心 and
    townships by name). Per township everything runs; the village parts say why they do not."""
    import json

    centre = _township_grid(jiaojiang, tmp_path)
    people = _office_sheet(
        tmp_path / "老年人口.xlsx",
        "椒江区各乡镇(街道)老年人口统计表",
        ["乡镇(街道)", "年份", "户籍人口", "60岁以上", "80岁以上", "填表人"],
        [["海门街道", 2024, "５００００", "１００００", 1500, "张"], ["章安街道", 2024, 40000, 8000, 1200, "张"]],
    )
    out = runner.invoke(app, ["import", "population", str(people), "--db", str(jiaojiang)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[:2] == ["说明:表头在第 2 行,其上 1 行是标题,已跳过", "说明:未使用的列:填表人"]
    (hx, hy), (zx, zy) = centre["331002001"], centre["331002008"]
    care = _office_sheet(
        tmp_path / "养老设施.xlsx",
        "椒江区养老服务设施名单",
        ["名称", "类型", "所属乡镇", "床位数", "护理型床位数", "经度", "纬度"],
        [
            ["海门敬老院", "敬老院", "海门街道", 500, 200, hx, hy],
            ["章安养老院", "养老院", "章安街道", 300, 100, zx, zy],
            ["回浦照料中心", "照料中心", "章安街道", None, None, zx + 0.001, zy],
        ],
    )
    out = runner.invoke(app, ["import", "eldercare_facilities", str(care), "--db", str(jiaojiang)])
    assert out.exit_code == 0, out.output
    store = GeoPackageStore(jiaojiang)
    got = {
        str(f.properties["name"]): (f.properties["kind"], f.properties["admin_code"])
        for f in store.features("eldercare_facilities")
    }
    assert got == {
        "海门敬老院": ("institution", "331002001"),
        "章安养老院": ("institution", "331002008"),
        "回浦照料中心": ("day_care_station", "331002008"),
    }
    out = runner.invoke(app, ["coverage", "--json", "--db", str(jiaojiang)])
    assert out.exit_code == 0, out.output
    result = json.loads(out.output)
    rows = {r["name"]: r for r in result["townships"]}
    keys = ("aged_60_plus", "beds", "beds_per_1000", "beds_shortfall", "nursing_beds_shortfall", "day_care_stations")
    # 海门: 500 beds for 10,000 elderly = 50 per 1,000; 60 per 1,000 need 600 (100 short), 30 need 300 (100 short)
    assert tuple(rows["海门街道"][k] for k in keys) == (10000, 500, 50.0, 100, 100, 0)
    # 章安: 300 for 8,000 = 37.5; need 480 (180 short) and 240 nursing (140 short)
    assert tuple(rows["章安街道"][k] for k in keys) == (8000, 300, 37.5, 180, 140, 1)
    assert (
        rows["章安街道"]["villages_with_day_care"] is None and rows["章安街道"]["villages"] == 38
    )  # as `mzgis units 331002008 --level village` lists
    d = result["district"]
    assert (d["aged_60_plus"], d["beds"], d["beds_per_1000"], d["beds_shortfall"]) == (18000, 800, 44.44, 280)
    assert [p["part"] for p in result["not_run"]] == [
        "day_care_coverage",
        "burial_coverage",
        "uncovered_villages",
        "access",
    ]
    assert result["reading"]["rows"]["331002008"]["day_care_coverage"]["band"] == "unknown"
    table = runner.invoke(app, ["coverage", "--out", str(tmp_path / "out"), "--db", str(jiaojiang)])
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[-1] == (
        "  [未计算] 各村可达床位(E2SFCA)需要村级区划面(267 个村(社区)还没有),本次未计算;"
        "导入村级区划面后再运行(mzgis import admin_units 面文件 --update)"
    )
    assert "章安街道" in table.output and (tmp_path / "out" / "覆盖分析报告.html").exists()
    report = (tmp_path / "out" / "覆盖分析报告.html").read_text(encoding="utf-8")
    assert "未计算:生态安葬行政村覆盖率需要村级区划面(267 个村(社区)还没有)" in report
    # the page's request: the same parts, and no value JSON cannot carry (no NaN for the accessibility)
    from fastapi.testclient import TestClient

    from mzgis.api import create_app
    from mzgis.settings import Settings
    from tests.conftest import add_accounts, bearer

    token = add_accounts(jiaojiang)["规划科"]
    with TestClient(create_app(Settings(db=jiaojiang, _env_file=None)), headers=bearer(token)) as client:
        page = client.get("/api/coverage", params={"unit": "331002"})
    assert page.status_code == 200, page.text
    assert page.json()["not_run"] == result["not_run"] and page.json()["townships"] == result["townships"]


def test_the_print_map_of_a_new_county_is_titled_by_it_and_says_when_nothing_is_placed(jiaojiang: Path) -> None:
    from mzgis.errors import NotFound
    from mzgis.io.printmap import render_map
    from mzgis.mapviews import build_view
    from mzgis.store import GeoPackageStore

    store = GeoPackageStore(jiaojiang)
    view = build_view(store)
    assert (view.title, view.source) == ("椒江区民政设施分布图", "椒江区民政局 mzgis 数据文件")
    with pytest.raises(NotFound, match=r"没有可出图的要素\(尚无位置或区划面"):
        render_map(view, "png", dpi=40)  # 280 names without positions, no outlines yet
    framed = build_view(store, bbox=(121.35, 28.6, 121.6, 28.75))
    assert framed.subtitle == "椒江区 · 指定范围" and render_map(framed, "png", dpi=40).scale == 250_000
