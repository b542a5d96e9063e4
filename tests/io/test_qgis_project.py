"""The QGIS project as XML (no QGIS needed): sources, forms and styles follow the layer model. QGIS itself
opens and edits through the project in tests/test_qgis.py."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from shapely.geometry import box
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.io.qgis_project import (
    VALUE_MAP_NULL,
    county_view,
    data_source,
    database_source,
    layer_id,
    project_layers,
    qgis_project_xml,
)
from mzgis.layers import ELDERCARE_FACILITIES, LAYERS
from mzgis.store.base import Feature


def _project(title: str = "路桥区 民政 GIS") -> ET.Element:
    return ET.fromstring(qgis_project_xml("./demo.gpkg", title=title, extent=(121.3, 28.4, 121.7, 28.7)))


def test_the_data_file_is_named_relative_to_the_project(tmp_path: Path) -> None:
    db = tmp_path / "数据" / "路桥.gpkg"
    assert data_source(db, tmp_path / "数据" / "p.qgz") == "./路桥.gpkg"
    assert data_source(db, tmp_path / "项目" / "p.qgz") == "../数据/路桥.gpkg"
    assert data_source(db, tmp_path / "数据" / "sub" / "p.qgz") == "../路桥.gpkg"


def test_every_layer_of_the_model_is_in_the_project_with_ids_qgis_keeps() -> None:
    members = [pl for _, group in project_layers() for pl in group]
    assert {pl.layer.name for pl in members} == set(LAYERS)
    ids = [layer_id(pl) for pl in members]
    assert len(set(ids)) == len(ids) and all(len(i) > 10 for i in ids)  # QGIS 3.22 replaces shorter ids
    root = _project()
    assert [e.text for e in root.iter("id")] == ids
    sources = {e.findtext("id"): e.findtext("datasource") for e in root.iter("maplayer")}
    assert sources["mzgis_admin_units_township"] == "./demo.gpkg|layername=admin_units|subset=\"level\" = 'township'"
    assert sources["mzgis_burial_sites_polygon"] == "./demo.gpkg|layername=burial_sites|geometrytype=Polygon"


def _value_map(layer_el: ET.Element, field: str) -> list[tuple[str, str]] | None:
    for f in layer_el.iter("field"):
        widget = f.find("editWidget")
        if f.get("name") == field and widget is not None and widget.get("type") == "ValueMap":
            entries = widget.find("config/Option/Option[@name='map']")
            assert entries is not None
            return [(o[0].get("name", ""), o[0].get("value", "")) for o in entries]
    return None


def test_every_allowed_value_is_a_drop_down_entry_with_its_chinese_name() -> None:
    root = _project()
    for layer_el in root.iter("maplayer"):
        pl = next(p for _, g in project_layers() for p in g if layer_id(p) == layer_el.findtext("id"))
        for field in pl.layer.fields:
            entries = _value_map(layer_el, field.name)
            if not field.choices:
                assert entries is None, field.name
                continue
            expected = list(zip(field.choice_labels_zh, field.choices, strict=True))
            assert entries == (expected if field.required else [("(空)", VALUE_MAP_NULL), *expected]), field.name
    care = next(e for e in root.iter("maplayer") if e.findtext("id") == "mzgis_eldercare_facilities")
    assert _value_map(care, "kind") == [
        ("养老机构", "institution"),
        ("居家养老服务中心", "home_care_centre"),
        ("居家养老服务照料中心", "day_care_station"),
    ]
    editable = {f.get("name"): f.get("editable") for f in care.find("editable") or []}
    assert editable == {
        "id": "0",
        **{f.name: "1" for f in ELDERCARE_FACILITIES.fields},
        "version": "0",
        "updated_at": "0",
        "updated_by": "0",
    }


def test_styles_are_the_layer_models_colours() -> None:
    root = _project()
    markers = next(e for e in root.iter("maplayer") if e.findtext("id") == "mzgis_boundary_markers")
    renderer = markers.find("renderer-v2")
    assert renderer is not None and (renderer.get("type"), renderer.get("attr")) == ("categorizedSymbol", "condition")
    categories = [(c.get("value"), c.get("label")) for c in renderer.iter("category")]
    colours = [o.get("value") for o in renderer.iter("Option") if o.get("name") == "color"]
    assert categories == [("intact", "完好"), ("damaged", "损坏"), ("missing", "丢失")]
    assert colours == ["39,125,161,230", "233,196,106,230", "214,40,40,230"]  # #277da1, #e9c46a, #d62828


def test_a_hostile_county_name_stays_text_in_the_project() -> None:
    title = '<script>alert(1)</script>&"路桥'
    root = _project(title)
    assert root.findtext("title") == title and root.get("projectname") == title


def _county(code: str, name: str, x: float) -> Feature:
    return Feature("admin_units", 1, 1, {"code": code, "name": name}, box(x, 28, x + 1, 29), "", "")


def test_the_project_opens_on_the_county_whose_townships_the_file_holds() -> None:
    counties = [_county("331004", "路桥区", 121), _county("331003", "黄岩区", 120)]
    assert county_view(counties, {"331004001", "331004002"}) == ("路桥区", (121.0, 28.0, 122.0, 29.0))
    assert county_view(counties, set()) == ("路桥区、黄岩区", (120.0, 28.0, 122.0, 29.0))  # no townships: all


def test_the_command_writes_a_qgz_and_refuses_other_names(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "路桥.qgz"
    done = CliRunner().invoke(app, ["qgis-project", "--out", str(out), "--db", str(demo_path)])
    assert done.exit_code == 0, done.output
    with zipfile.ZipFile(out) as z:
        assert z.namelist() == ["路桥.qgs"]
        root = ET.fromstring(z.read("路桥.qgs"))
    assert root.findtext("title") == "路桥区 民政 GIS"
    wrong = CliRunner().invoke(app, ["qgis-project", "--out", str(tmp_path / "p.txt"), "--db", str(demo_path)])
    assert (wrong.exit_code, wrong.output.strip()) == (2, "错误:项目文件须以 .qgz 或 .qgs 结尾:p.txt")
    missing = tmp_path / "无此目录" / "p.qgz"
    nowhere = CliRunner().invoke(app, ["qgis-project", "--out", str(missing), "--db", str(demo_path)])
    assert (nowhere.exit_code, nowhere.output.strip()) == (2, f"错误:目录不存在:{missing.parent}")


def test_a_database_is_named_by_its_connection_without_the_password() -> None:
    url = "postgresql://mz%27gis:s3cret@%2Fvar%2Frun%2Fpostgresql:5433/taizhou"
    source = database_source(url)
    assert source == "user='mz\\'gis' dbname='taizhou' host='/var/run/postgresql' port='5433'"
    root = ET.fromstring(qgis_project_xml(source, title="台州", extent=None, schema="public"))
    assert "s3cret" not in ET.tostring(root, encoding="unicode")
    sources = {el.findtext("id"): el.findtext("datasource") or "" for el in root.iter("maplayer")}
    assert {el.findtext("provider") for el in root.iter("maplayer")} == {"postgres"}
    assert sources["mzgis_boundary_lines_ours"] == (
        "user='mz\\'gis' dbname='taizhou' host='/var/run/postgresql' port='5433' key='id'"
        ' checkPrimaryKeyUnicity=\'0\' srid=4490 type=LineString table="public"."boundary_lines" (geom)'
        " sql=\"side\" = 'ours'"
    )
    assert sources["mzgis_burial_sites_polygon"].endswith('type=Polygon table="public"."burial_sites" (geom) sql=')
    assert sources["mzgis_population"].endswith('checkPrimaryKeyUnicity=\'0\' table="public"."population" sql=')
