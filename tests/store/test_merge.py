"""A county's store merged into a store that holds another (a city's database growing county by county), on
both backends as the target: every version, history row, former name, application and document comes along
with ids shifted past the target's; the target's own county is untouched; a county already there, or a second
merge, is refused with nothing written; a list exported from the county's file later finds its names."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import Point
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.divisions import county_units
from mzgis.errors import Conflict
from mzgis.gazetteer.documents import add_document
from mzgis.gazetteer.procedure import Procedures
from mzgis.gazetteer.service import Gazetteer
from mzgis.io.names import import_names
from mzgis.io.names_export import export_names
from mzgis.layers import LAYERS
from mzgis.store import Backend, GeoPackageStore
from mzgis.store.merge import merge_store

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _jiaojiang(path: Path) -> tuple[GeoPackageStore, dict[str, int]]:
    """椒江区 as a county makes it: its divisions, 海门老街 renamed 海门古街 (version 2, a former name), 白云山路,
    and a proposed 枫南桥 applied for with a document."""
    store = GeoPackageStore.create(path)
    with store.transaction(user="init", reason="按区划代码登记") as tx:
        tx.insert_many(
            "admin_units",
            [({"code": u.code, "name": u.name, "level": u.level, "parent_code": u.parent_code}, None)
             for u in county_units("331002")],
        )  # fmt: skip
    gaz = Gazetteer(store, today=lambda: dt.date(2026, 3, 1))
    street = {"name": "海门老街", "category": "transport_facility", "subcategory": "street", "admin_code": "331002001"}
    old = gaz.create(street, Point(121.43, 28.68), user="椒江地名科", reason="登记")
    gaz.rename(old.id, "海门古街", expected_version=1, user="椒江地名科", reason="更名")
    road = {"name": "白云山路", "category": "transport_facility", "subcategory": "road", "admin_code": "331002002"}
    road_id = gaz.create(road, Point(121.41, 28.66), user="椒江地名科").id
    bridge = {"name": "枫南桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": "331002002",
              "status": "proposed"}  # fmt: skip
    proposed = gaz.create(bridge, Point(121.415, 28.665), user="椒江地名科")
    application = Procedures(gaz).apply(proposed.id, applicant="白云街道", reasons="新建桥梁", user="椒江地名科")
    add_document(store, application.id, "申请.pdf", PDF, user="椒江地名科")
    return store, {"海门古街": old.id, "白云山路": road_id, "枫南桥": proposed.id, "application": application.id}


def _own(store: Backend, offsets: dict[str, int] | None = None) -> dict[str, list[tuple[int, int, str]]]:
    """Per layer: the features with ids up to the merge's shift (the target's own), by id, version and stamp."""
    out = {}
    for layer in LAYERS:
        limit = None if offsets is None else offsets[layer]
        out[layer] = [
            (f.id, f.version, json.dumps(f.properties, sort_keys=True, ensure_ascii=False))
            for f in store.iter_features(layer)
            if limit is None or f.id <= limit
        ]
    return out


def test_a_county_with_its_history_joins_a_store_of_another(demo_store: Backend, tmp_path: Path) -> None:
    county, ids = _jiaojiang(tmp_path / "jiaojiang.gpkg")
    luqiao_before = _own(demo_store)
    audit_before = len(demo_store.audit(limit=None))
    report = merge_store(county, demo_store)
    assert report.counties == [("331002", "椒江区")]
    assert report.counts["place_names"] == 3 and report.counts["name_procedures"] == 1
    assert report.counts["documents"] == 1 and report.counts["admin_units"] == 279  # 331002 itself: the demo's row
    assert report.kept == ["椒江区(331002)在目标中已有记录,保留目标的记录"]
    shift = report.offsets["place_names"]
    assert shift == 250 and report.offsets["admin_units"] > 0
    # every name with its versions, history and former names, under its shifted id
    for name, fid in ids.items():
        if name == "application":
            continue
        theirs, ours = county.get("place_names", fid), demo_store.get("place_names", fid + shift)
        assert (ours.properties, ours.version, ours.updated_at, ours.updated_by) == (
            theirs.properties,
            theirs.version,
            theirs.updated_at,
            theirs.updated_by,
        )
        assert [
            (e.action, e.version, e.reason, e.after)
            for e in demo_store.audit(layer="place_names", feature_id=fid + shift)
        ] == [(e.action, e.version, e.reason, e.after) for e in county.audit(layer="place_names", feature_id=fid)]
    gu = demo_store.get("place_names", ids["海门古街"] + shift)
    assert gu.version == 2 and json.loads(gu.properties["former_names"])[0]["name"] == "海门老街"
    # the application follows its name, the document its application
    app_row = demo_store.get("name_procedures", ids["application"] + report.offsets["name_procedures"])
    assert app_row.properties["name_id"] == ids["枫南桥"] + shift
    (doc,) = demo_store.documents(app_row.id)
    assert doc["filename"] == "申请.pdf"
    # 路桥区 as it was: its own rows, their versions and attributes
    assert _own(demo_store, report.offsets) == luqiao_before
    assert len(demo_store.audit(limit=None)) == audit_before + len(county.audit(limit=None)) - 1  # less 331002's row
    # the city analyses and searches both counties
    assert [h.record.name for h in Gazetteer(demo_store).search("海门古街")] == ["海门古街"]
    # a second merge of the same store, and a county already there, are refused with nothing written
    with pytest.raises(Conflict, match="这个库已经合并进目标"):
        merge_store(county, demo_store)
    again, _ = _jiaojiang(tmp_path / "again.gpkg")
    counts = {layer: demo_store.count(layer) for layer in LAYERS}
    with pytest.raises(Conflict, match=r"不能合并:目标中已有区县 331002 的数据\(行政区划 279 条、标准地名 3 条\)"):
        merge_store(again, demo_store)
    assert {layer: demo_store.count(layer) for layer in LAYERS} == counts


def test_a_list_from_the_countys_file_finds_its_names_after_the_merge(demo_store: Backend, tmp_path: Path) -> None:
    county, ids = _jiaojiang(tmp_path / "jiaojiang.gpkg")
    shift = merge_store(county, demo_store).offsets["place_names"]
    gaz = Gazetteer(county, today=lambda: dt.date(2026, 4, 1))
    gaz.update(ids["白云山路"], {"origin": "因白云山得名"}, expected_version=1, user="椒江地名科")
    path = tmp_path / "from-the-county.xlsx"
    export_names(gaz, path)
    city = Gazetteer(demo_store, today=lambda: dt.date(2026, 4, 1))
    report = import_names(city, path, user="市局", update=True)
    changed = [(r.name, r.note) for r in report.rows if r.action == "update"]
    assert changed == [("白云山路", f"来自已并入本库的库,编号 {ids['白云山路']} 即本库 #{ids['白云山路'] + shift}")]
    assert report.written == 1
    assert demo_store.get("place_names", ids["白云山路"] + shift).properties["origin"] == "因白云山得名"
    assert demo_store.get("place_names", ids["白云山路"]).properties["name"] == "路南街道"  # not the demo's own #2


def test_merge_from_the_command_line(demo_path: Path, tmp_path: Path) -> None:
    _jiaojiang(tmp_path / "jiaojiang.gpkg")
    out = CliRunner().invoke(app, ["merge", str(tmp_path / "jiaojiang.gpkg"), str(demo_path)])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == f"已把 椒江区(331002) 从 {tmp_path / 'jiaojiang.gpkg'} 并入 {demo_path}"
    assert "place_names 3" in lines[1] and lines[2].startswith("  修改记录 ")
    assert "椒江区(331002)在目标中已有记录,保留目标的记录" in out.output
    again = CliRunner().invoke(app, ["merge", str(tmp_path / "jiaojiang.gpkg"), str(demo_path)])
    assert again.exit_code == 4 and "这个库已经合并进目标" in again.output
    frame = pd.DataFrame([f.properties for f in GeoPackageStore(demo_path).features("place_names")])
    assert (frame["admin_code"].str[:6] == "331002").sum() == 3


def test_a_countys_part_goes_back_to_a_file_of_its_own(demo_store: Backend, tmp_path: Path) -> None:
    """The reverse of a merge: 椒江区's part of the city's store into a new file — its units, names with their
    histories, the application and its document, the boundary line it shares and its markers — with the ids
    the city gave them; a list exported from that file later finds its names in the city again."""
    from mzgis.store import create_store
    from mzgis.store.copy import copy_unit

    county, ids = _jiaojiang(tmp_path / "jiaojiang.gpkg")
    shift = merge_store(county, demo_store).offsets["place_names"]
    back = create_store(tmp_path / "back.gpkg")
    report = copy_unit(demo_store, back, "331002")
    assert report.counts["place_names"] == 3 and report.counts["admin_units"] == 280  # the county's row too
    assert (report.counts["name_procedures"], report.counts["documents"]) == (1, 1)
    assert {f.properties["name"] for f in back.iter_features("boundary_lines")} == {"路椒线"}
    assert back.count("boundary_markers") == len(
        [f for f in demo_store.iter_features("boundary_markers") if f.properties["line_name"] == "路椒线"]
    )
    gu = back.get("place_names", ids["海门古街"] + shift)
    assert gu.version == 2 and [e.reason for e in back.audit(layer="place_names", feature_id=gu.id)] == ["登记", "更名"]
    assert not back.features("place_names", where={"name": "路南街道"})  # nothing of 路桥区
    assert back.identity() != demo_store.identity()
    # the county edits its file, exports, and the city takes the correction back by the same ids
    Gazetteer(back).update(gu.id, {"origin": "海门卫城老街"}, expected_version=2, user="椒江地名科")
    path = tmp_path / "from-the-county.csv"
    export_names(Gazetteer(back), path)
    report2 = import_names(Gazetteer(demo_store), path, user="市局", update=True)
    assert [(r.name, r.action) for r in report2.rows if r.action == "update"] == [("海门古街", "update")]
    assert demo_store.get("place_names", gu.id).properties["origin"] == "海门卫城老街"
