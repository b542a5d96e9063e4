"""The README's walk-through of a city's database growing county by county, run as written (each command of
its block, in order) on a throwaway PostgreSQL, with what each step must have done checked on the way."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.settings import REPO_ROOT
from mzgis.store import open_store
from tests.pg_server import PgServer

runner = CliRunner()


def _walk_through() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- city walk-through -->\n```bash\n(.*?)```", text, re.S)
    assert block is not None, "the README's city walk-through is missing"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_readmes_city_walk_through(pg: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    city = pg.database()  # PostGIS only: the walk-through makes mzgis's tables itself
    monkeypatch.chdir(tmp_path)
    outputs: list[str] = []
    for line in _walk_through():
        args = shlex.split(line.replace("$CITY", city))
        assert args[0] == "mzgis"
        stdin = "Jiaojiang-口令-2026\n" if "--password-stdin" in args else None
        result = runner.invoke(app, args[1:], input=stdin)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        outputs.append(result.output)
    store = open_store(city)
    names = {str(f.properties["name"]): f for f in store.iter_features("place_names")}
    assert names["海门老街"].properties["admin_code"] == "331002001" and "路南街道" in names
    assert names["海门老街"].id == 250 + 281  # after the demo's 250 names, and 椒江区's 280 division names
    assert names["回浦村"].properties["admin_code"] == "331002008201"  # registered by init, brought by the merge
    assert store.account("椒江编辑")["scope"] == "331002"  # type: ignore[index]
    coverage = outputs[-2].splitlines()
    assert coverage[-1] == "  [未参加分析] 椒江区(331002)有 12 个区划单位还没有区划面,未参加覆盖分析"
    assert any(row.startswith("全区 ") and " 3828 " in row for row in coverage)
    assert "[未检查] 椒江区(331002)有 12 个区划单位还没有区划面,未参加区划拓扑检查" in outputs[-1]
    store.close()
    pg.drop(city)
