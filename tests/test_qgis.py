"""QGIS as an editor of the data file: Debian's QGIS (python3-qgis, its own GDAL) edits place names
through its OGR provider, as an officer would; the file's own triggers and CHECKs version, audit and refuse,
and mzgis sees the result. QGIS runs in a subprocess with the system Python (its module is not in the venv)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.gazetteer.service import Gazetteer
from mzgis.store import open_store
from mzgis.store.tables import EXTERNAL_REASON
from tests.needs import need

SYSTEM_PYTHON = "/usr/bin/python3"
# an officer's edits of one place name (argv: the feature id) on ``layer``, each committed on its own
EDITS = """
fields = layer.fields()
out["valid"] = layer.isValid()
fid = feature_id(int(sys.argv[2]))

def commit(name):
    out[name] = [layer.commitChanges(), " ".join(layer.commitErrors())]
    layer.rollBack()

layer.startEditing()  # a rename as an officer types it in the attribute table
layer.changeAttributeValue(fid, fields.indexOf("name"), "方林新村")
layer.changeAttributeValue(fid, fields.indexOf("specific"), "方林新")
commit("rename")
layer.startEditing()  # a new name with only what the form asks for
f = QgsFeature(fields)
f.setAttribute("name", "金清大桥")
f.setAttribute("category", "transport_facility")
f.setAttribute("admin_code", "331004106")
f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(121.49, 28.525)))
layer.addFeature(f)
commit("add")
layer.startEditing()
layer.deleteFeature(fid)
commit("delete")
layer.startEditing()
layer.changeAttributeValue(fid, fields.indexOf("status"), "deleted")
commit("bad_status")
layer.startEditing()  # the name alone, its specific left as it was
layer.changeAttributeValue(fid, fields.indexOf("name"), "方林旧村")
commit("name_alone")
"""
START = """
import json, os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
from qgis.core import QgsApplication, QgsFeature, QgsGeometry, QgsPointXY, QgsProject, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
out = {}
feature_id = int  # the data file's fid is mzgis's id
"""
END = """
print(json.dumps(out, ensure_ascii=False), flush=True)
os._exit(0)  # exitQgis() crashes at exit on this build
"""
SCRIPT = START + 'layer = QgsVectorLayer(f"{sys.argv[1]}|layername=place_names", "names", "ogr")\n' + EDITS + END


def _run_qgis(script: str, args: list[str], folder: Path, home: Path) -> tuple[dict[str, Any], str]:
    """Run ``script`` in QGIS's Python (not the venv's); its last stdout line is JSON. Returns it and stderr."""
    path = folder / "qgis_script.py"
    path.write_text(script, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))} | {"HOME": str(home)}
    done = subprocess.run(
        [SYSTEM_PYTHON, str(path), *args], capture_output=True, text=True, timeout=300, env=env, cwd=folder
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def _qgis_available() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=60)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def qgis() -> None:
    need(_qgis_available(), "QGIS (apt-get install python3-qgis qgis-providers)")


def test_qgis_edits_are_versioned_audited_and_checked_by_the_file(qgis: None, demo_path: Path, tmp_path: Path) -> None:
    _, stderr = _edit_in_qgis(SCRIPT, demo_path, demo_path, tmp_path)
    assert "partially supported" not in stderr  # GeoPackage 1.2: QGIS 3.22's GDAL reads it fully


def _edit_in_qgis(script: str, target: Path | str, demo_path: Path | str, tmp_path: Path) -> tuple[dict[str, Any], str]:
    """Run the officer's edits (``EDITS``) in QGIS on ``target`` (the data file, a project for it, or the
    database's connection) and check with mzgis what the store made of them: versions, history, refusals."""
    store = open_store(demo_path)
    village = Gazetteer(store).search("方林村")[0].record
    before = store.get("place_names", village.id)
    result, stderr = _run_qgis(script, [str(target), str(village.id)], tmp_path, tmp_path / "home")
    assert result["valid"] is True
    assert result["rename"][0] is True and result["add"][0] is True, result
    assert result["delete"][0] is False and "标准地名不能删除" in result["delete"][1]
    assert (
        result["bad_status"][0] is False and "状态(status)只能取 current、proposed、retired" in result["bad_status"][1]
    )
    assert result["name_alone"][0] is False and "标准名称须为专名加通名;改名时请一并改专名" in result["name_alone"][1]
    renamed = store.get("place_names", village.id)
    assert (renamed.version, renamed.updated_by, renamed.properties["name"]) == (
        before.version + 1,
        "external",
        "方林新村",
    )
    # the file kept the former name at once and left the spelling to mzgis, which spells it at its next look
    assert '"name":"方林村"' in str(renamed.properties["former_names"]).replace(" ", "")
    assert renamed.properties["romanized"] is None
    Gazetteer(store).fill_derived()
    assert store.get("place_names", village.id).properties["romanized"] == "Fanglinxin Cun"
    added = store.features("place_names", where={"name": "金清大桥"})
    assert [(f.version, f.updated_by, f.properties["status"], f.properties["specific"]) for f in added] == [
        (1, "external", "proposed", "金清大桥")
    ]
    outside = [e for e in store.audit(layer="place_names") if e.reason.startswith(EXTERNAL_REASON)]
    assert [(e.action, e.feature_id) for e in outside] == [("update", village.id), ("insert", added[0].id)]
    # the tool as far as the store knows it: PostgreSQL has the session's application name, a file nothing
    tool = "(QGIS)" if isinstance(demo_path, str) else ""
    assert [e.reason for e in outside] == [EXTERNAL_REASON + tool] * 2
    history = CliRunner().invoke(app, ["names", "history", str(village.id), "--db", str(demo_path)])
    store.close()
    assert "标准名称:方林村 → 方林新村" in history.output and EXTERNAL_REASON in history.output
    assert "位置已移动" not in history.output  # QGIS saved the row again with the same point: no move
    assert [h.record.name for h in Gazetteer(store).search("方林新村")] == ["方林新村"]
    return result, stderr


# the same edits through QGIS's PostGIS provider (argv[1]: the libpq connection string)
PG_SCRIPT = (
    START
    + """
from qgis.core import QgsDataSourceUri, QgsWkbTypes
uri = QgsDataSourceUri(sys.argv[1])
uri.setDataSource("public", "place_names", "geom", "", "id")
uri.setWkbType(QgsWkbTypes.Point)
uri.setSrid("4490")
layer = QgsVectorLayer(uri.uri(False), "names", "postgres")

def feature_id(mzgis_id):  # the provider numbers bigint keys itself: the feature as QGIS lists it
    return next(f.id() for f in layer.getFeatures() if f["id"] == mzgis_id)
"""
    + EDITS
    + END
)


def test_qgis_edits_through_the_postgis_provider_are_versioned_audited_and_checked(
    qgis: None, demo_pg_url: str, tmp_path: Path
) -> None:
    from psycopg.conninfo import conninfo_to_dict

    conninfo = " ".join(f"{k}='{v}'" for k, v in conninfo_to_dict(demo_pg_url).items())
    _edit_in_qgis(PG_SCRIPT, conninfo, demo_pg_url, tmp_path)


# what an officer sees on opening the project: layers, forms (aliases, drop-downs, read-only), styles, labels
PROJECT = (
    START
    + """
project = QgsProject.instance()
out["read"] = project.read(sys.argv[1])
out["title"], out["crs"], out["ellipsoid"] = project.title(), project.crs().authid(), project.ellipsoid()
out["layers"] = {
    node.layerId(): [node.name(), node.layer().isValid(), len(list(node.layer().getFeatures()))]
    for node in project.layerTreeRoot().findLayers()
}
out["groups"] = [g.name() for g in project.layerTreeRoot().children()]
names = project.mapLayer("mzgis_place_names_point")
form = names.editFormConfig()
out["aliases"] = {f.name(): names.attributeAlias(i) for i, f in enumerate(names.fields())}
out["read_only"] = sorted(f.name() for i, f in enumerate(names.fields()) if form.readOnly(i))
setup = names.editorWidgetSetup(names.fields().indexOf("status"))
out["status_widget"] = [setup.type(), setup.config()]
origin = names.editorWidgetSetup(names.fields().indexOf("origin"))
out["origin_widget"] = [origin.type(), origin.config()]
care = project.mapLayer("mzgis_eldercare_facilities")
out["care"] = [care.renderer().classAttribute()] + [
    [c.value(), c.label(), c.symbol().color().name()] for c in care.renderer().categories()
]
ours = project.mapLayer("mzgis_boundary_lines_ours")
out["ours"] = [ours.subsetString(), ours.renderer().symbol().color().name()]
town = project.mapLayer("mzgis_admin_units_township")
out["town_labels"] = [town.labelsEnabled(), town.labeling().settings().fieldName]
out["view"] = [round(v, 3) for v in project.viewSettings().defaultViewExtent().toRectF().getCoords()]
layer = names
"""
    + EDITS
    + END
)


def test_the_qgis_project_opens_with_chinese_forms_and_edits_like_the_file(  # one test: QGIS starts once
    qgis: None, demo_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "项目"
    folder.mkdir()
    made = CliRunner().invoke(app, ["qgis-project", "--out", str(folder / "路桥.qgz"), "--db", str(demo_path)])
    assert made.exit_code == 0, made.output
    result, _ = _edit_in_qgis(PROJECT, folder / "路桥.qgz", demo_path, tmp_path)
    _check_project(result)


# the same project on the database: QGIS's PostgreSQL provider numbers bigint keys itself
PG_PROJECT = PROJECT.replace(
    "layer = names\n",
    "layer = names\n"
    "def feature_id(mzgis_id):\n"
    "    return next(f.id() for f in layer.getFeatures() if f['id'] == mzgis_id)\n",
)


def test_the_qgis_project_of_a_database_opens_through_the_postgis_provider(
    qgis: None, demo_pg_url: str, tmp_path: Path
) -> None:
    made = CliRunner().invoke(app, ["qgis-project", "--out", str(tmp_path / "路桥.qgz"), "--db", demo_pg_url])
    assert made.exit_code == 0 and "不含密码" in made.output, made.output
    result, _ = _edit_in_qgis(PG_PROJECT, tmp_path / "路桥.qgz", demo_pg_url, tmp_path)
    _check_project(result)


def _check_project(result: dict[str, Any]) -> None:
    """What an officer sees on opening the demo's project, whether on the file or on the database."""
    assert (result["read"], result["title"], result["crs"], result["ellipsoid"]) == (
        True,
        "路桥区 民政 GIS",
        "EPSG:4490",
        "EPSG:1024",  # lengths measured on the CGCS2000 ellipsoid
    )
    assert result["groups"] == ["标准地名", "地名审批", "界线与界桩", "民政设施", "行政区划", "统计"]
    layers = result["layers"]
    assert all(valid for _, valid, _ in layers.values()), layers  # the data file found by its relative path
    assert {key: (title, count) for key, (title, _, count) in layers.items() if "admin_units" in key} == {
        "mzgis_admin_units_county": ("区县界", 4),  # ours and its neighbours
        "mzgis_admin_units_township": ("乡镇(街道)", 12),
        "mzgis_admin_units_village": ("村(社区)", 228),
    }
    assert layers["mzgis_population"][0] == "人口" and layers["mzgis_place_names_point"][2] == 250
    aliases = result["aliases"]
    assert (aliases["name"], aliases["romanized"], aliases["version"], aliases["id"]) == (
        "标准名称",
        "罗马字母拼写",
        "版本",
        "编号",
    )
    assert result["read_only"] == ["id", "pinyin", "scope_key", "updated_at", "updated_by", "version"]
    assert result["status_widget"] == [
        "ValueMap",
        {"map": [{"现行": "current"}, {"拟用": "proposed"}, {"已废止": "retired"}]},
    ]
    assert result["origin_widget"] == ["TextEdit", {"IsMultiline": True, "UseHtml": False}]
    assert result["care"] == [
        "kind",
        ["institution", "养老机构", "#e76f51"],  # the page's colours (the layer model's choice_colours)
        ["home_care_centre", "居家养老服务中心", "#f4a261"],
        ["day_care_station", "居家养老服务照料中心", "#2a9d8f"],
    ]
    assert result["ours"] == ["\"side\" = 'ours'", "#d62828"]
    assert result["town_labels"] == [True, "name"]
    west, south, east, north = result["view"]  # opens on 路桥区, not on its neighbours
    assert 121.2 < west < 121.4 and 28.4 < south < 28.5 and 121.6 < east < 121.7 and 28.6 < north < 28.7


OAPIF_SCRIPT = textwrap.dedent(
    """
    import json, os, sys, tempfile
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["QGIS_AUTH_DB_DIR_PATH"] = tempfile.mkdtemp()
    from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsVectorLayer
    app = QgsApplication([], False)
    app.initQgis()
    url, name, secret = sys.argv[1:4]
    source = f"url='{url}' typename='admin_units'"
    out = {}
    plain = QgsVectorLayer(source, "units", "OAPIF")  # first: QGIS caches what it has read
    out["without"] = plain.isValid()
    manager = QgsApplication.authManager()
    manager.setMasterPassword("mzgis-test", True)
    config = QgsAuthMethodConfig("Basic")  # what a QGIS user sets up: an authentication configuration
    config.setName("mzgis")
    config.setConfig("username", name)
    config.setConfig("password", secret)
    manager.storeAuthenticationConfig(config)
    layer = QgsVectorLayer(f"{source} authcfg={config.id()}", "units", "OAPIF")
    out["with"] = [layer.isValid(), layer.featureCount() if layer.isValid() else -1]
    print(json.dumps(out), flush=True)
    os._exit(0)
    """
)


def test_qgis_reads_the_ogc_api_with_an_authentication_configuration(
    qgis: None, live_server: str, tokens: dict[str, str], tmp_path: Path
) -> None:
    from tests.conftest import PASSWORD

    for i, secret in enumerate((PASSWORD, tokens["查看员"])):  # the password, or a token (mzgis users token)
        # a profile of its own each time: QGIS caches what it has read on disk
        result, _ = _run_qgis(OAPIF_SCRIPT, [f"{live_server}/ogc", "查看员", secret], tmp_path, tmp_path / f"home{i}")
        assert result == {"without": False, "with": [True, 244]}  # every unit, over pages of 100
