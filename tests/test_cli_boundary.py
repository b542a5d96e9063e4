from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from shapely.geometry import box
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.crs import wgs84_to_gcj02
from mzgis.settings import default_demo_path

runner = CliRunner()
DB = str(default_demo_path())


def test_help() -> None:
    for args in (
        ["check", "coverage"],
        ["check", "line"],
        ["check", "markers"],
        ["export", "alignment"],
        ["export", "inspection"],
    ):
        assert runner.invoke(app, [*args, "--help"]).exit_code == 0


def test_check_coverage_of_the_store_json() -> None:
    result = runner.invoke(app, ["check", "coverage", "--db", DB, "--level", "village", "--json"])
    data = json.loads(result.output)
    assert data["summary"]["polygons"] == 228 and data["findings"] == []
    for key in ("polygons", "invalid", "gaps", "gap_area_m2", "overlaps", "overlap_area_m2"):
        assert key in data["summary"]
    one = runner.invoke(app, ["check", "coverage", "--db", DB, "--level", "village", "--unit", "331004106", "--json"])
    assert one.exit_code == 0, one.output
    jinqing = json.loads(one.output)["summary"]["polygons"]
    assert jinqing == 45  # 金清镇's 45 villages only
    none = runner.invoke(app, ["check", "coverage", "--db", DB, "--level", "village", "--unit", "331081"])
    assert none.exit_code == 3 and "区划 331081 下没有村(社区)级的行政区划" in none.output


def test_check_markers_of_one_county_lists_its_lines_only() -> None:
    result = runner.invoke(app, ["check", "markers", "--db", DB, "--unit", "331003", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["summary"]["line"] for r in json.loads(result.output)] == ["路黄线"]  # 黄岩区's one line with 路桥区
    ours = runner.invoke(app, ["check", "markers", "--db", DB, "--unit", "331004", "--json"])
    assert [r["summary"]["line"] for r in json.loads(ours.output)] == ["路椒线", "路温线", "路黄线"]
    none = runner.invoke(app, ["check", "markers", "--db", DB, "--unit", "330106"])
    assert none.exit_code == 3 and "区划 330106 没有界线" in none.output
    bad = runner.invoke(app, ["check", "markers", "--db", DB, "--unit", "路桥"])
    assert bad.exit_code != 0 and "区划范围“路桥”应为 2–12 位数字" in bad.output


def test_check_coverage_of_a_gcj02_file_with_findings_layer(tmp_path: Path) -> None:
    # two squares in AMap (GCJ-02) coordinates with a 2 m overlap, near Luqiao
    x, y = 630000, 3160000
    squares = [box(x, y, x + 200, y + 200), box(x + 198, y, x + 400, y + 200)]
    frame = gpd.GeoDataFrame({"code": ["331004001", "331004002"]}, geometry=squares, crs=4549).to_crs(4326)
    frame["geometry"] = [
        shapely.transform(g, lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1]))) for g in frame.geometry
    ]
    src = tmp_path / "units.geojson"
    pyogrio.write_dataframe(frame, src)
    out = tmp_path / "findings.gpkg"
    result = runner.invoke(app, ["check", "coverage", str(src), "--from-crs", "gcj02", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    overlap = [f for f in data["findings"] if f["kind"] == "overlap"]
    assert len(overlap) == 1 and abs(overlap[0]["area_m2"] - 400.0) < 1.0 and abs(overlap[0]["width_m"] - 2.0) < 0.05
    assert len(overlap[0]["location"]) == 2
    # also where the officer's own AMap file has it: back in GCJ-02, within a metre of the strip
    strip = gpd.GeoSeries([box(x + 198, y, x + 200, y + 200)], crs=4549).to_crs(4326).iloc[0]
    lon, lat = wgs84_to_gcj02(strip.centroid.x, strip.centroid.y)
    gx, gy = overlap[0]["gcj02"]
    assert abs(gx - float(lon)) < 1e-5 and abs(gy - float(lat)) < 1e-3 and len(overlap[0]["bd09"]) == 2
    assert pyogrio.read_info(out, layer="coverage_findings")["features"] == len(data["findings"])


def test_check_line_and_markers() -> None:
    line = json.loads(runner.invoke(app, ["check", "line", "--db", DB, "--line", "路黄线", "--json"]).output)
    assert set(line["summary"]) >= {"length_m", "max_deviation_m", "mean_deviation_m", "hausdorff_m"}
    assert len(line["segments"]) == 1 and set(line["segments"][0]) >= {"from_m", "to_m", "max_deviation_m"}
    text = runner.invoke(app, ["check", "markers", "--db", DB]).output
    assert "路温线:界桩 34 个" in text and "界桩 路温02 丢失" in text
    unknown = runner.invoke(app, ["check", "line", "--db", DB, "--line", "路台线"])
    assert unknown.exit_code == 3 and "没有界线“路台线”" in unknown.output


def test_check_line_from_two_files(tmp_path: Path) -> None:
    lines = gpd.read_file(DB, layer="boundary_lines")
    for side in ("ours", "neighbour"):
        pyogrio.write_dataframe(lines[(lines.name == "路椒线") & (lines.side == side)], tmp_path / f"{side}.geojson")
    result = runner.invoke(
        app,
        [
            "check",
            "line",
            str(tmp_path / "ours.geojson"),
            str(tmp_path / "neighbour.geojson"),
            "--tolerance-m",
            "10",
            "--json",
        ],
    )
    assert json.loads(result.output)["summary"]["segments_over_tolerance"] == 1


def test_export_alignment_and_inspection(tmp_path: Path) -> None:
    csv = tmp_path / "a.csv"
    result = runner.invoke(app, ["export", "alignment", "路温线", "--csv", str(csv), "--db", DB])
    assert result.output.startswith("路温线界线走向说明") and csv.read_text(encoding="utf-8-sig").startswith("段号")
    result = runner.invoke(app, ["export", "inspection", "路温线", "--out", str(tmp_path), "--db", DB])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "路温线_联检资料.zip") as zf:
        assert "路温线/路温线.gpkg" in zf.namelist()


def test_coverage_suggest_with_proposed_sites(tmp_path: Path) -> None:
    first = json.loads(
        runner.invoke(
            app, ["coverage", "suggest", "--type", "burial_site", "--count", "1", "--json", "--db", DB]
        ).output
    )
    top = first["greedy"][0]
    proposed = tmp_path / "proposed.geojson"
    feature = {
        "type": "Feature",
        "properties": {"kind": "columbarium", "name": "拟建"},
        "geometry": {"type": "Point", "coordinates": [top["lon"], top["lat"]]},
    }
    proposed.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    args = [
        "coverage",
        "suggest",
        "--type",
        "burial_site",
        "--count",
        "1",
        "--json",
        "--add",
        str(proposed),
        "--db",
        DB,
    ]
    again = json.loads(runner.invoke(app, args).output)
    assert again["uncovered_elderly_before"] == first["uncovered_elderly_before"] - top["gain_elderly"]


def test_coverage_commands() -> None:
    table = runner.invoke(app, ["coverage", "--db", DB])
    assert table.exit_code == 0 and "全区" in table.output and "每千名老年人养老床位" in table.output
    data = json.loads(runner.invoke(app, ["coverage", "--db", DB, "--json"]).output)
    keys = {
        "code",
        "name",
        "aged_60_plus",
        "beds",
        "nursing_beds",
        "beds_per_1000",
        "nursing_beds_per_1000",
        "beds_shortfall",
        "nursing_beds_shortfall",
        "community_complexes",
        "burial_sites",
        "villages",
        "villages_with_day_care",
        "villages_covered_by_burial",
        "unmet",
    }
    assert all(keys <= set(r) for r in data["townships"]) and keys <= set(data["district"])
    assert len(data["townships"]) == 12
    suggestion = runner.invoke(app, ["coverage", "suggest", "--type", "community_complex", "--count", "2", "--db", DB])
    assert suggestion.exit_code == 0 and "贪心:共新覆盖" in suggestion.output
    bad = runner.invoke(app, ["coverage", "suggest", "--type", "castle", "--db", DB])
    assert bad.exit_code == 2 and "设施类型" in bad.output


GAP_NEIGHBOURS = ["331004001004", "331004001208", "331004001216", "331004001231"]  # around the left-out village


def _villages_with_a_gap(tmp_path: Path, *, with_township: bool) -> Path:
    """路南街道's villages from the demo with one left out (a gap in the township), and maybe the township."""
    from mzgis.store import GeoPackageStore

    units = GeoPackageStore(DB).read_frame("admin_units").reset_index()
    town = units[units.code == "331004001"]
    villages = units[(units.parent_code == "331004001") & (units.level == "village")].iloc[1:]
    frame = gpd.GeoDataFrame(
        {"code": [*(town.code if with_township else []), *villages.code]}
        | {"parent": [*(town.parent_code if with_township else []), *villages.parent_code]},
        geometry=[*(town.geometry if with_township else []), *villages.geometry],
        crs=4490,
    )
    path = tmp_path / "villages.geojson"
    pyogrio.write_dataframe(frame, path)
    return path


def test_check_coverage_finds_the_gap_from_mzgis_db_as_with_db(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = _villages_with_a_gap(tmp_path, with_township=False)
    args = ["check", "coverage", str(path), "--parent-field", "parent", "--json"]
    with_db = json.loads(runner.invoke(app, [*args, "--db", DB]).output)
    monkeypatch.setenv("MZGIS_DB", DB)
    from_env = json.loads(runner.invoke(app, args).output)
    assert [(f["kind"], f["ids"]) for f in from_env["findings"]] == [("gap", GAP_NEIGHBOURS)]
    assert from_env["findings"] == with_db["findings"]


def test_check_coverage_of_a_file_with_townships_and_villages_is_a_hierarchy(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MZGIS_DB", str(tmp_path / "none.gpkg"))  # no data file: the file's own township
    path = _villages_with_a_gap(tmp_path, with_township=True)
    done = runner.invoke(app, ["check", "coverage", str(path), "--parent-field", "parent", "--json"])
    data = json.loads(done.output)
    assert [(f["kind"], f["ids"]) for f in data["findings"]] == [
        ("gap", GAP_NEIGHBOURS)
    ]  # not overlaps with the township
    assert data["summary"]["polygons"] == 18  # the villages; the township is their parent
    wrong = runner.invoke(app, ["check", "coverage", str(path), "--parent-field", "上级"])
    assert (wrong.exit_code, wrong.output.strip()) == (2, "错误:文件中没有字段 上级(可用 --parent-field 指定)")


def test_map_of_a_line_stretch_as_pdf(tmp_path: Path) -> None:
    import shutil
    import subprocess

    out = tmp_path / "路黄线.pdf"
    result = runner.invoke(
        app, ["map", "--db", DB, "--line", "路黄线", "--from-m", "9000", "--to-m", "11500", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"已写出 {out}(A4横向,比例尺 1:" in result.output
    assert out.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        for part in ("路黄线界线图", "路黄线 里程 9000–11500 米", "界线:本方", "界线:对方", "路黄07", "路黄08"):
            assert part in text, part
    bad = runner.invoke(app, ["map", "--db", DB, "--out", str(tmp_path / "m.svg")])
    assert bad.exit_code == 2 and "输出文件须以 .pdf 或 .png 结尾" in bad.output
