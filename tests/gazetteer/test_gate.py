"""One gate for place names: every path that writes them passes the naming rules and romanization with
the same override semantics, and the store refuses writes the gazetteer did not admit.

The writers, each tried below with a brand name (星巴克 is on the rules' brand list): the generic CLI
import, the gazetteer's import, `names add` and `names rename`, the API's create, update and changesets
(the page uses these), restore; the generic import service and a bare store transaction are refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point
from typer.testing import CliRunner

from mzgis.api import create_app
from mzgis.cli import app
from mzgis.errors import BadInput, RuleViolation
from mzgis.gazetteer.service import Gazetteer
from mzgis.io.importer import import_file
from mzgis.settings import Settings
from mzgis.store import GeoPackageStore, open_store
from tests.conftest import bearer

runner = CliRunner()
BRAND = "星巴克路"  # a road named after a brand: the `brand` rule is an error
POINT = {"type": "Point", "coordinates": [121.40, 28.58]}


def _names(location: Path | str, name: str) -> list[tuple[str, str, int]]:
    found = open_store(location).features("place_names", where={"name": name}, geometry=False)
    return [(f.properties["romanized"], f.properties["status"], f.version) for f in found]


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "names.csv"
    path.write_text(f"name,category,admin_code,lon,lat\n{BRAND},transport_facility,331004002,121.4,28.58\n")
    return path


@pytest.fixture
def client(demo_db: Path | str, db_tokens: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(db=demo_db, _env_file=None)
    with TestClient(create_app(settings), headers=bearer(db_tokens["地名科"])) as c:
        yield c


def _cli_import(path: Path | str, tmp: Path, extra: list[str]) -> tuple[int, str]:
    r = runner.invoke(app, ["import", "place_names", str(_csv(tmp)), "--db", str(path), *extra])
    return r.exit_code, r.output


def _names_import(path: Path | str, tmp: Path, extra: list[str]) -> tuple[int, str]:
    r = runner.invoke(app, ["names", "import", str(_csv(tmp)), "--db", str(path), *extra])
    return r.exit_code, r.output


def _names_add(path: Path | str, tmp: Path, extra: list[str]) -> tuple[int, str]:
    args = ["names", "add", BRAND, "--category", "transport_facility", "--admin", "331004002"]
    r = runner.invoke(app, [*args, "--lon", "121.4", "--lat", "28.58", "--db", str(path), *extra])
    return r.exit_code, r.output


def _names_rename(path: Path | str, tmp: Path, extra: list[str]) -> tuple[int, str]:
    road = Gazetteer(open_store(path)).search("路", category="transport_facility")[0].record
    version = open_store(path).get("place_names", road.id).version
    args = ["names", "rename", str(road.id), BRAND, "--version", str(version), "--reason", "更名"]
    r = runner.invoke(app, [*args, "--db", str(path), *extra])
    return r.exit_code, r.output


CLI_WRITERS: dict[str, Callable[[Path | str, Path, list[str]], tuple[int, str]]] = {
    "mzgis import place_names": _cli_import,
    "mzgis names import": _names_import,
    "mzgis names add": _names_add,
    "mzgis names rename": _names_rename,
}


@pytest.mark.parametrize("writer", list(CLI_WRITERS))
def test_cli_writers_pass_the_rules_and_romanize(writer: str, demo_db: Path | str, tmp_path: Path) -> None:
    code, out = CLI_WRITERS[writer](demo_db, tmp_path, [])
    assert code == 5 and "品牌名“星巴克”" in out, out
    assert _names(demo_db, BRAND) == []  # nothing written
    code, out = CLI_WRITERS[writer](demo_db, tmp_path, ["--override-reason", "历史名称,经批准保留"])
    assert code == 0, out
    assert [(r, v) for r, _, v in _names(demo_db, BRAND)] in ([("Xingbake Lu", 1)], [("Xingbake Lu", 2)])


def test_api_writers_pass_the_rules_and_romanize(client: TestClient, demo_db: Path | str) -> None:
    body = {"name": BRAND, "category": "transport_facility", "admin_code": "331004002", "geometry": POINT}
    refused = client.post("/api/names", json=body)
    assert refused.status_code == 422 and "品牌名“星巴克”" in refused.json()["message"]
    edits: dict[str, Any] = {
        "comment": "批量",
        "edits": [{"action": "create", "properties": body | {"geometry": None}, "geometry": POINT}],
    }
    edits["edits"][0]["properties"].pop("geometry")
    refused = client.post("/api/changesets", json=edits)
    assert refused.status_code == 422 and "品牌名“星巴克”" in refused.json()["message"]
    road = client.get("/api/names", params={"q": "路", "category": "transport_facility"}).json()[0]
    version = client.get(f"/api/names/{road['id']}").json()["properties"]["version"]
    refused = client.patch(f"/api/names/{road['id']}", json={"version": version, "name": BRAND})
    assert refused.status_code == 422 and "品牌名“星巴克”" in refused.json()["message"]
    assert _names(demo_db, BRAND) == []
    saved = client.post("/api/names", json=body | {"override_reason": "历史名称,经批准保留"})
    assert saved.status_code == 201 and saved.json()["properties"]["romanized"] == "Xingbake Lu"


def test_restore_passes_the_rules(demo_store: GeoPackageStore) -> None:
    gaz = Gazetteer(demo_store)
    point = Point(121.40, 28.58)
    first = gaz.create(
        {"name": "金清大桥", "category": "transport_facility", "admin_code": "331004106"}, point, user="甲"
    )
    gaz.retire(first.id, expected_version=1, user="甲", reason="拆除")
    gaz.create({"name": "金清大桥", "category": "transport_facility", "admin_code": "331004106"}, point, user="甲")
    with pytest.raises(RuleViolation, match="同一范围内已有同名的“金清大桥”"):
        gaz.restore(first.id, expected_version=2, user="甲")  # the name is taken again by now
    assert gaz.get(first.id).properties["status"] == "retired"


def test_writers_around_the_gazetteer_are_refused(demo_store: GeoPackageStore, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="请用 mzgis names import"):
        import_file(demo_store, "place_names", _csv(tmp_path), user="甲")
    with (
        pytest.raises(RuleViolation, match="标准地名只能经地名服务"),
        demo_store.transaction(user="甲") as tx,
    ):
        tx.insert(
            "place_names",
            {
                "name": BRAND,
                "specific": BRAND,
                "category": "transport_facility",
                "admin_code": "331004002",
                "status": "current",
            },
            Point(121.4, 28.58),
        )
    assert [f.id for f in demo_store.features("place_names", where={"name": BRAND})] == []
