from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from mzgis.crs import gcj02_to_wgs84
from mzgis.errors import BadInput
from mzgis.io.importer import import_file
from mzgis.store import GeoPackageStore
from tests.conftest import shape

# three day-care stations in 路桥街道 villages of the demo county, positions in GCJ-02 as from AMap
ROWS = [
    {"name": "甲照料中心", "kind": "day_care_station", "admin_code": "331004002050", "lon": 121.3905, "lat": 28.5803},
    {"name": "乙照料中心", "kind": "day_care_station", "admin_code": "331004002054", "lon": 121.3950, "lat": 28.5790},
    {"name": "丙照料中心", "kind": "day_care_station", "admin_code": "331004002057", "lon": 121.4000, "lat": 28.5750},
]


def facilities_frame(rows: list[dict[str, object]] = ROWS) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows)
    return gpd.GeoDataFrame(df.drop(columns=["lon", "lat"]), geometry=gpd.points_from_xy(df.lon, df.lat), crs=4326)


def write(fmt: str, path: Path, rows: list[dict[str, object]] = ROWS) -> Path:
    if fmt == "csv":
        pd.DataFrame(rows).rename(columns={"lon": "经度", "lat": "纬度"}).to_csv(path, index=False)
    elif fmt == "xlsx":
        pd.DataFrame(rows).to_excel(path, index=False)
    elif fmt == "gbk-shp":
        pyogrio.write_dataframe(facilities_frame(rows), path, encoding="cp936")
        path.with_suffix(".cpg").unlink()
    else:
        pyogrio.write_dataframe(facilities_frame(rows), path)
    return path


@pytest.mark.parametrize(
    ("fmt", "suffix"),
    [
        ("geojson", ".geojson"),
        ("gpkg", ".gpkg"),
        ("shp", ".shp"),
        ("gbk-shp", ".shp"),
        ("csv", ".csv"),
        ("xlsx", ".xlsx"),
    ],
)
def test_each_format_imports_with_gcj02_conversion(
    demo_store: GeoPackageStore, tmp_path: Path, fmt: str, suffix: str
) -> None:
    before = demo_store.count("eldercare_facilities")
    path = write(fmt, tmp_path / f"sites{suffix}")
    report = import_file(demo_store, "eldercare_facilities", path, user="导入员", from_crs="gcj02")
    assert report.rejected == [] and report.written == 3
    assert demo_store.count("eldercare_facilities") == before + 3
    got = demo_store.features("eldercare_facilities", where={"name": "乙照料中心"})[0]
    lon, lat = gcj02_to_wgs84(121.3950, 28.5790)
    assert (shape(got.geometry).x, shape(got.geometry).y) == pytest.approx((float(lon), float(lat)), abs=1e-9)
    assert got.updated_by == "导入员"
    assert demo_store.audit()[-1].reason == f"导入 {path.name}"


def test_rejected_rows_are_reported_and_nothing_is_written(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    rows = [
        ROWS[0],
        ROWS[1] | {"kind": "hospital"},
        ROWS[2] | {"lon": 120.10, "lat": 30.27},  # 杭州, outside the county
        ROWS[0] | {"name": "丁", "admin_code": "331004999999"},
    ]
    path = write("csv", tmp_path / "bad.csv", rows)
    before = demo_store.count("eldercare_facilities")
    audit_before = len(demo_store.audit())
    report = import_file(demo_store, "eldercare_facilities", path, user="导入员", from_crs="gcj02")
    assert not report.ok and report.written == 0
    # numbered as the sheet shows them: the header is row 1
    assert [(r.row, r.label) for r in report.rejected] == [(3, "乙照料中心"), (4, "丙照料中心"), (5, "丁")]
    assert report.rejected[0].problems[0].startswith("类型(kind)的值“hospital”不在允许范围内")
    assert report.rejected[1].problems[0].startswith("位置超出本区县范围")
    assert report.rejected[2].problems == ("所在区划代码 331004999999 不存在于行政区划图层",)
    assert "3 行不合格,未导入任何数据" in report.summary_zh()
    assert demo_store.count("eldercare_facilities") == before
    assert len(demo_store.audit()) == audit_before


def test_dry_run_writes_nothing(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    path = write("geojson", tmp_path / "sites.geojson")
    before = demo_store.count("eldercare_facilities")
    report = import_file(demo_store, "eldercare_facilities", path, user="导入员", from_crs="gcj02", dry_run=True)
    assert report.ok and report.written == 0 and "试运行" in report.summary_zh()
    assert demo_store.count("eldercare_facilities") == before


def test_duplicate_keys_in_file_and_in_store(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    existing = demo_store.features("boundary_markers", limit=1)[0]
    geom = shape(existing.geometry)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [geom.x, geom.y]},
            "properties": {"marker_id": mid, "line_name": "路黄线", "kind": "single", "condition": "intact"},
        }
        for mid in ("路黄90", "路黄90", existing.properties["marker_id"])
    ]
    path = tmp_path / "markers.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), "utf-8")
    report = import_file(demo_store, "boundary_markers", path, user="导入员")
    assert [(r.row, r.problems) for r in report.rejected] == [
        (1, ("界桩编号 路黄90 在文件中重复",)),
        (2, ("界桩编号 路黄90 在文件中重复",)),
        (3, (f"界桩编号 {existing.properties['marker_id']} 已存在于数据库(如要更新已有数据,请加 --update)",)),
    ]


def test_population_rows_must_name_existing_villages_or_townships(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    pd.DataFrame(
        {
            "code": ["331004001002", "331004001", "331004", "331004999"],
            "year": [2021, 2021, 2021, 2021],
            "total": [100, 100, 100, 100],
            "aged_60_plus": [20, 20, 20, 20],
            "aged_80_plus": [4, 4, 4, 4],
        }
    ).to_csv(path, index=False)
    report = import_file(demo_store, "population", path, user="导入员")
    assert [(r.row, r.problems) for r in report.rejected] == [
        (4, ("区划代码 331004 不是已有的村级或乡镇级单位",)),  # the county as a whole: not a row of the table
        (5, ("区划代码 331004999 不是已有的村级或乡镇级单位",)),
    ]


def test_facilities_with_everyday_kinds_and_townships_by_name(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    """敬老院 and 照料中心 for the kinds; townships by name (and a village within one); an unknown township and a
    village of another township named by row, nothing written."""
    path = tmp_path / "facilities.csv"
    path.write_text(
        "名称,类型,所属乡镇,村(社区),床位数,经度,纬度\n"
        "新院,敬老院,路南街道,,30,121.37,28.58\n"
        "新站,照料中心,路南街道,方林社区,,121.371,28.581\n"
        "错站,照料中心,白云镇,,,121.372,28.582\n"
        "错村站,日间照料中心,金清镇,方林社区,,121.373,28.583\n",
        encoding="utf-8",
    )
    report = import_file(demo_store, "eldercare_facilities", path, user="导入员", dry_run=True)
    assert [(r.row, r.problems) for r in report.rejected] == [
        (4, ("没有名为“白云镇”的乡镇(街道)",)),
        (5, ("金清镇(331004106)下没有名为“方林社区”的村(社区)",)),
    ]
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:3]) + "\n", encoding="utf-8")
    report = import_file(demo_store, "eldercare_facilities", path, user="导入员")
    assert report.written == 2 and report.notes == ["坐标取自列 经度/纬度"]
    got = {
        str(f.properties["name"]): (f.properties["kind"], f.properties["admin_code"], f.properties["beds"])
        for f in demo_store.features("eldercare_facilities", where={"name": ["新院", "新站"]})
    }
    assert got == {"新院": ("institution", "331004001", 30), "新站": ("day_care_station", "331004001002", None)}


def test_admin_units_need_existing_parents(empty_store: GeoPackageStore, tmp_path: Path) -> None:
    square = "POLYGON ((121.3 28.5, 121.4 28.5, 121.4 28.6, 121.3 28.5))"
    path = tmp_path / "units.csv"
    pd.DataFrame(
        {
            "code": ["331004", "331004001", "331004002001"],
            "name": ["路桥区", "路南街道", "某村"],
            "level": ["county", "township", "village"],
            "parent_code": ["331000", "331004", "331004002"],
            "wkt": [square] * 3,
        }
    ).to_csv(path, index=False)
    report = import_file(empty_store, "admin_units", path, user="导入员")
    assert [(r.row, r.problems) for r in report.rejected] == [
        (4, ("上级区划 331004002 不存在(数据库和本文件中都没有)",))
    ]
    assert empty_store.count("admin_units") == 0


def test_a_file_missing_required_columns_is_refused(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    pd.DataFrame({"名称": ["甲"], "lon": [121.4], "lat": [28.58]}).to_csv(path, index=False)
    with pytest.raises(BadInput, match="缺少必填列:类型\\(kind\\)、所在区划代码\\(admin_code\\)"):
        import_file(demo_store, "eldercare_facilities", path, user="导入员")


def test_projected_source_crs_from_the_file(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    gdf = facilities_frame().to_crs("EPSG:4549")
    path = tmp_path / "gk.gpkg"
    pyogrio.write_dataframe(gdf, path)
    report = import_file(demo_store, "eldercare_facilities", path, user="导入员")
    assert report.ok and report.source_crs == "EPSG:4549"
    got = shape(demo_store.features("eldercare_facilities", where={"name": "甲照料中心"})[0].geometry)
    assert (got.x, got.y) == pytest.approx((121.3905, 28.5803), abs=1e-8)


def test_progress_is_reported(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = write("geojson", tmp_path / "sites.geojson")
    import_file(
        demo_store,
        "eldercare_facilities",
        path,
        user="导入员",
        dry_run=True,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_update_by_key_changes_only_the_file_columns(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    csv = tmp_path / "pop.csv"
    csv.write_text(
        "code,year,total,aged_60_plus,aged_80_plus\n"
        "331004001002,2020,2600,500,103\n"  # changed
        "331004001004,2020,3873,878,137\n"  # as stored
        "331004001002,2021,2610,510,105\n",  # new
        encoding="utf-8",
    )
    refused = import_file(demo_store, "population", csv, user="甲")
    assert [r.row for r in refused.rejected] == [2, 3]
    assert "已存在于数据库(如要更新已有数据,请加 --update)" in refused.rejected[0].problems[0]
    before = demo_store.count("population")
    dry = import_file(demo_store, "population", csv, user="甲", update=True, dry_run=True)
    assert (dry.inserts, dry.updates, dry.unchanged, dry.written) == (1, 1, 1, 0) and demo_store.count(
        "population"
    ) == before
    assert dry.summary_zh().endswith("全部合格(试运行,未写入;将新增 1 条,更新 1 条,未变 1 条)")
    done = import_file(demo_store, "population", csv, user="甲", update=True)
    assert done.summary_zh().endswith("已新增 1 条,更新 1 条,未变 1 条")
    assert demo_store.count("population") == before + 1
    (row,) = demo_store.features("population", where={"code": "331004001002", "year": 2020})
    assert (row.version, row.properties["total"], row.properties["aged_60_plus"]) == (2, 2600, 500)
    assert demo_store.audit(layer="population", feature_id=row.id)[-1].changed_by == "甲"
    again = import_file(demo_store, "population", csv, user="甲", update=True)
    assert (again.inserts, again.updates, again.unchanged, again.written) == (0, 0, 3, 0)


def test_update_keeps_columns_the_file_lacks_and_moves_geometry(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    (marker,) = demo_store.features("boundary_markers", where={"marker_id": "路椒黄"})
    csv = tmp_path / "markers.csv"
    csv.write_text("marker_id,line_name,condition,lon,lat\n路椒黄,路椒线,damaged,121.43,28.65\n", encoding="utf-8")
    done = import_file(demo_store, "boundary_markers", csv, user="乙", update=True)
    assert done.ok and done.updates == 1, done.rejected
    (after,) = demo_store.features("boundary_markers", where={"marker_id": "路椒黄"})
    assert after.properties["condition"] == "damaged" and shape(after.geometry).coords[0] == (121.43, 28.65)
    # columns the file does not have keep their values
    assert after.properties["installed_on"] == marker.properties["installed_on"] == "2002-06-01"
    assert after.properties["kind"] == "tripoint"


def test_update_with_empty_cells_keeps_the_stored_values(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    """A county's own file (made with init --county, or by GDAL) holds 331004 with no parent: an update
    from it must not clear the stored parent 331000, nor the name it does give change anything else."""
    source = tmp_path / "county.gpkg"
    frame = gpd.GeoDataFrame(
        {"code": ["331004"], "name": ["路桥区"], "level": ["county"], "parent_code": [None], "official_name": [None]},
        geometry=[None],
        crs=4490,
    )
    pyogrio.write_dataframe(frame, source, layer="admin_units")
    (before,) = demo_store.features("admin_units", where={"code": "331004"})
    done = import_file(demo_store, "admin_units", source, user="甲", update=True)
    assert done.ok and (done.updates, done.unchanged) == (0, 1), done.rejected
    (after,) = demo_store.features("admin_units", where={"code": "331004"})
    assert (after.properties["parent_code"], after.version) == ("331000", before.version)


def test_null_dates_read_by_gdal_are_empty_in_the_dry_run_and_the_real_run(
    demo_store: GeoPackageStore, tmp_path: Path
) -> None:
    """GDAL reads a GeoPackage's empty date as NaT: it is no date (it was written as the text 'NaT')."""
    from mzgis.gazetteer.service import Gazetteer
    from mzgis.io.names import import_names

    source = tmp_path / "names.gpkg"
    frame = gpd.GeoDataFrame(
        {
            "name": ["三山桥", "五福桥"],
            "category": ["transport_facility"] * 2,
            "subcategory": ["bridge"] * 2,
            "admin_code": ["331004001"] * 2,
            "approved_on": pd.to_datetime(pd.Series([None, "2024-05-01"])),
        },
        geometry=gpd.points_from_xy([121.38, 121.381], [28.56, 28.561]),
        crs=4490,
    )
    pyogrio.write_dataframe(frame, source, layer="place_names")
    gaz = Gazetteer(demo_store)
    dry = import_names(gaz, source, user="甲", source_layer="place_names", dry_run=True)
    done = import_names(gaz, source, user="甲", source_layer="place_names")
    assert [r.problem for r in dry.rows] == [r.problem for r in done.rows] == ["", ""] and done.written == 2
    got = {f.properties["name"]: f.properties["approved_on"] for f in demo_store.features("place_names")}
    assert (got["三山桥"], got["五福桥"]) == (None, "2024-05-01")


def test_place_names_go_to_the_gazetteer_and_updates_need_a_key(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    csv = tmp_path / "names.csv"
    csv.write_text(
        "name,category,admin_code,lon,lat\n甲桥,transport_facility,331004001,121.38,28.58\n", encoding="utf-8"
    )
    with pytest.raises(BadInput, match="请用 mzgis names import"):  # the generic importer never writes them
        import_file(demo_store, "place_names", csv, user="甲", update=True)
    care = tmp_path / "care.csv"
    care.write_text("name,kind,admin_code,lon,lat\n甲,institution,331004001,121.38,28.58\n", encoding="utf-8")
    with pytest.raises(BadInput, match="缺少必填列:设施编码"):  # updating facilities goes by their code
        import_file(demo_store, "eldercare_facilities", care, user="甲", update=True)


def test_facilities_update_by_their_code(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    """A corrected facility list re-imports: rows with a known code update, the rest are added."""
    header = "facility_code,name,kind,beds,admin_code,lon,lat\n"
    first = tmp_path / "care-2024.csv"
    first.write_text(
        header
        + "MZ-001,甲养老院,institution,100,331004001,121.38,28.58\n"
        + "MZ-002,乙养老院,institution,80,331004001,121.381,28.581\n",
        encoding="utf-8",
    )
    done = import_file(demo_store, "eldercare_facilities", first, user="甲")
    assert done.ok and done.inserts == 2, done.rejected
    again = import_file(demo_store, "eldercare_facilities", first, user="甲")
    assert (
        not again.ok and "设施编码 MZ-001 已存在于数据库(如要更新已有数据,请加 --update)" in again.rejected[0].problems
    )
    corrected = tmp_path / "care-2025.csv"
    corrected.write_text(
        header
        + "MZ-001,甲养老院,institution,120,331004001,121.38,28.58\n"  # beds corrected
        + "MZ-002,乙养老院,institution,80,331004001,121.381,28.581\n"  # unchanged
        + ",丙照料中心,day_care_station,0,331004001,121.382,28.582\n",  # no code yet: added
        encoding="utf-8",
    )
    plan = import_file(demo_store, "eldercare_facilities", corrected, user="乙", update=True, dry_run=True)
    assert (plan.inserts, plan.updates, plan.unchanged) == (1, 1, 1)
    done = import_file(demo_store, "eldercare_facilities", corrected, user="乙", update=True)
    assert done.ok and done.written == 2, done.rejected
    (first_home,) = demo_store.features("eldercare_facilities", where={"facility_code": "MZ-001"})
    assert (first_home.properties["beds"], first_home.version) == (120, 2)
    assert len(demo_store.features("eldercare_facilities", where={"name": "丙照料中心"})) == 1
