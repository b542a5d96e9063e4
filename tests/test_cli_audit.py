"""Who did it: CLI writes record the operating-system account (``--user`` beside it, never instead), and
``mzgis audit`` lists recent changes by layer, user, date and source, edits made in other tools included."""

from __future__ import annotations

import getpass
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.store import GeoPackageStore
from mzgis.store.geopackage import binary as gpkg_binary

runner = CliRunner()


def _retire(demo_path: Path, *extra: str) -> None:
    name = GeoPackageStore(demo_path).features("place_names")[0]
    args = ["names", "retire", str(name.id), "--version", str(name.version), "--reason", "拆除"]
    result = runner.invoke(app, [*args, "--db", str(demo_path), *extra])
    assert result.exit_code == 0, result.output


def test_cli_writes_record_the_system_account_and_for_whom(demo_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MZGIS_USER", raising=False)
    account = getpass.getuser()
    _retire(demo_path, "--user", "地名科")
    store = GeoPackageStore(demo_path)
    assert store.audit(limit=1)[0].changed_by == f"{account}(代 地名科)"
    runner.invoke(
        app, ["names", "restore", str(store.audit(limit=1)[0].feature_id), "--version", "2", "--db", str(demo_path)]
    )
    assert store.audit(limit=1)[0].changed_by == account  # nobody else named: the account alone
    mine = runner.invoke(app, ["audit", "--user", account, "--layer", "place_names", "--db", str(demo_path)])
    lines = mine.output.strip().splitlines()
    assert len(lines) == 2 and "修改  版本 2" in lines[0] and f"{account}(代 地名科)  拆除" in lines[0], lines


def test_audit_lists_edits_made_in_other_tools(demo_path: Path) -> None:
    with closing(sqlite3.connect(demo_path)) as conn:
        gpkg_binary.register_functions(conn)
        conn.execute("UPDATE eldercare_facilities SET operator = '新运营方' WHERE id = 1")
        conn.commit()
    out = runner.invoke(app, ["audit", "--source", "external", "--db", str(demo_path)])
    assert out.exit_code == 0
    last = out.output.strip().splitlines()[-1]
    assert last.endswith("修改  版本 2  external  在 mzgis 之外修改")
    name = GeoPackageStore(demo_path).get("eldercare_facilities", 1).properties["name"]
    assert f"  养老服务设施 #1 {name}  修改" in last  # the layer in Chinese and the feature by its name
    as_json = json.loads(runner.invoke(app, ["audit", "--source", "external", "--json", "--db", str(demo_path)]).output)
    assert [(e["layer"], e["feature_id"], e["after"]["operator"]) for e in as_json] == [
        ("eldercare_facilities", 1, "新运营方")
    ]
    none = runner.invoke(app, ["audit", "--since", "2999-01-01", "--db", str(demo_path)])
    assert none.exit_code == 0 and none.output.strip() == "没有符合条件的修改记录"
    bad = runner.invoke(app, ["audit", "--source", "qgis", "--db", str(demo_path)])
    assert bad.exit_code == 2 and "--source 应为 mzgis 或 external" in bad.output
