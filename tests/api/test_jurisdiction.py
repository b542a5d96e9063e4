"""Jurisdictions: an editor confined to a township (an admin code prefix) changes, creates, moves, retires
and applies for names only inside it; everything else is 403 with a Chinese message and nothing changed —
route by route, on both backends. Reads stay open to every role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mzgis.api import create_app
from mzgis.cli import app
from mzgis.settings import Settings
from mzgis.store import Backend, open_store
from mzgis.users import Users
from tests.conftest import PASSWORD, bearer

LUNAN, LUBEI = "331004001", "331004003"  # 路南街道 (the editor's), 路北街道 (someone else's)


@pytest.fixture
def store(demo_db: Path | str) -> Iterator[Backend]:
    s = open_store(demo_db)
    yield s
    s.close()


@pytest.fixture
def client(demo_db: Path | str, db_tokens: dict[str, str], store: Backend) -> Iterator[TestClient]:
    users = Users(store)
    users.add("路南编辑", "editor", PASSWORD, by="test", scope=LUNAN, temporary=False)
    token = users.issue_token("路南编辑", days=1).token
    with TestClient(create_app(Settings(db=demo_db, _env_file=None)), headers=bearer(token)) as c:
        c.admin = bearer(db_tokens["管理员"])  # type: ignore[attr-defined]
        yield c


def _name_in(store: Backend, code: str, **where: Any) -> Any:
    found = [f for f in store.features("place_names", scope=code) if f.properties["category"] != "administrative_area"]
    return next(f for f in found if all(f.properties.get(k) == v for k, v in where.items()))


def _spot(store: Backend, code: str) -> dict[str, Any]:
    (unit,) = store.features("admin_units", where={"code": code})
    assert unit.geometry is not None
    p = unit.geometry.representative_point()
    return {"type": "Point", "coordinates": [p.x, p.y]}


def _refused(resp: Any, name: str, where: str) -> None:
    assert resp.status_code == 403, resp.text
    message = resp.json()["message"]
    assert f"“路南编辑”的管辖范围是路南街道（{LUNAN}）,不能修改属于" in message and f"的地名“{name}”" in message
    assert f"（{where}）" in message  # the unit the name belongs to, by its code
    assert "未作任何修改" in message


def test_every_write_route_keeps_to_the_editors_township(client: TestClient, store: Backend) -> None:
    theirs = _name_in(store, LUBEI, status="current")
    mine = _name_in(store, LUNAN, status="current")
    audit_before = len(store.audit())
    lubei = LUBEI
    # create outside
    body = {"name": "北新桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": LUBEI,
            "geometry": _spot(store, LUBEI)}  # fmt: skip
    _refused(client.post("/api/names", json=body), "北新桥", lubei)
    # change, retire, restore, revert a name outside
    _refused(client.patch(f"/api/names/{theirs.id}", json={"version": theirs.version, "origin": "改"}),
             theirs.properties["name"], theirs.properties["admin_code"])  # fmt: skip
    _refused(client.post(f"/api/names/{theirs.id}/retire", json={"version": theirs.version, "reason": "撤销"}),
             theirs.properties["name"], theirs.properties["admin_code"])  # fmt: skip
    _refused(client.post(f"/api/names/{theirs.id}/restore", json={"version": theirs.version}),
             theirs.properties["name"], theirs.properties["admin_code"])  # fmt: skip
    _refused(client.post(f"/api/names/{theirs.id}/revert", json={"version": theirs.version, "to_version": 1,
                                                                 "reason": "还原"}), theirs.properties["name"], theirs.properties["admin_code"])  # fmt: skip
    # move one's own name out of the township
    moved = {"version": mine.version, "admin_code": LUBEI, "geometry": _spot(store, LUBEI)}
    _refused(client.patch(f"/api/names/{mine.id}", json=moved), mine.properties["name"], lubei)
    # a changeset with one edit inside and one outside: refused whole
    edits = {"comment": "两处", "edits": [
        {"action": "update", "id": mine.id, "version": mine.version, "properties": {"origin": "路南的来历"}},
        {"action": "update", "id": theirs.id, "version": theirs.version, "properties": {"origin": "路北的来历"}},
    ]}  # fmt: skip
    _refused(client.post("/api/changesets", json=edits), theirs.properties["name"], theirs.properties["admin_code"])
    # applying for a proposed name outside
    proposed = client.post(
        "/api/names",
        json=body | {"admin_code": LUBEI, "status": "proposed"},
        headers=client.admin,  # type: ignore[attr-defined]
    ).json()
    _refused(client.post("/api/procedures", json={"name_id": proposed["id"], "applicant": "路北街道", "reasons": "新建"}),
             "北新桥", lubei)  # fmt: skip
    assert store.get("place_names", mine.id).version == mine.version  # nothing of the refused changeset
    assert store.get("place_names", theirs.id) == theirs
    assert len(store.audit()) == audit_before + 1  # only the admin's name
    # inside the township everything works
    ok = client.patch(f"/api/names/{mine.id}", json={"version": mine.version, "origin": "路南的来历"})
    assert ok.status_code == 200 and ok.json()["properties"]["origin"] == "路南的来历"
    new = body | {"name": "南新桥", "admin_code": LUNAN, "geometry": _spot(store, LUNAN)}
    assert client.post("/api/names", json=new).status_code == 201
    # reads are open: the editor sees names everywhere
    assert client.get(f"/api/names/{theirs.id}").status_code == 200


def test_a_position_outside_the_editors_township_is_refused(client: TestClient, store: Backend) -> None:
    """By position as well as by code: 方林社区 of 路南街道 moved to a point inside 路北街道 keeps its code, and is
    still refused, naming the township the point falls in; a new name of 路南 placed in 路北 likewise."""
    (fanglin,) = store.features("place_names", where={"name": "方林社区"})
    assert fanglin.properties["admin_code"].startswith(LUNAN)
    spot = _spot(store, LUBEI)
    away = {"version": fanglin.version, "geometry": spot}
    x, y = spot["coordinates"]
    expected = (
        f"“路南编辑”的管辖范围是路南街道（{LUNAN}）,地名“方林社区”的位置({x:.6f}, {y:.6f})在路北街道（{LUBEI}）内,"
        "不能放到那里;未作任何修改"
    )
    for resp in (
        client.patch(f"/api/names/{fanglin.id}", json=away),
        client.post(
            "/api/changesets",
            json={
                "comment": "移动",
                "edits": [
                    {"action": "move", "id": fanglin.id, "version": fanglin.version, "geometry": away["geometry"]}
                ],
            },
        ),
    ):
        assert (resp.status_code, resp.json()["message"]) == (403, expected), resp.text
    body = {"name": "南新桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": LUNAN,
            "geometry": _spot(store, LUBEI)}  # fmt: skip
    created = client.post("/api/names", json=body)
    assert created.status_code == 403 and "地名“南新桥”的位置" in created.json()["message"]
    assert store.get("place_names", fanglin.id) == fanglin and not store.features(
        "place_names", where={"name": "南新桥"}
    )
    # within the township the same moves are fine
    home = client.patch(f"/api/names/{fanglin.id}", json=away | {"geometry": _spot(store, LUNAN)})
    assert home.status_code == 200 and store.get("place_names", fanglin.id).version == fanglin.version + 1


def test_steps_and_documents_of_an_application_outside_are_refused(client: TestClient, store: Backend) -> None:
    admin = client.admin  # type: ignore[attr-defined]
    body = {"name": "北新桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": LUBEI,
            "geometry": _spot(store, LUBEI), "status": "proposed"}  # fmt: skip
    name = client.post("/api/names", json=body, headers=admin).json()
    application = client.post(
        "/api/procedures", json={"name_id": name["id"], "applicant": "路北街道", "reasons": "新建"}, headers=admin
    ).json()
    step = client.post(f"/api/procedures/{application['id']}/steps", json={"step": "accept", "version": 1})
    _refused(step, "北新桥", LUBEI)
    doc = {"filename": "申请.pdf", "content_base64": "JVBERi0xLjQK", "note": ""}
    _refused(client.post(f"/api/procedures/{application['id']}/documents", json=doc), "北新桥", LUBEI)
    assert store.get("name_procedures", application["id"]).version == 1
    assert store.documents(application["id"]) == []


def test_admins_set_and_clear_scopes_through_the_api_and_the_cli(client: TestClient, demo_db: Path | str) -> None:
    admin = client.admin  # type: ignore[attr-defined]
    made = client.post(
        "/api/users", json={"name": "金清编辑", "role": "editor", "password": PASSWORD, "scope": "331004106"},
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201 and made.json()["scope"] == "331004106"
    bad = client.patch("/api/users/金清编辑", json={"scope": "33100X"}, headers=admin)
    assert bad.status_code == 400 and "管辖范围“33100X”应为 2–12 位区划代码" in bad.json()["message"]
    cleared = client.patch("/api/users/金清编辑", json={"scope": None}, headers=admin)
    assert cleared.status_code == 200 and cleared.json()["scope"] is None
    assert client.patch("/api/users/金清编辑", json={"scope": "331004"}).status_code == 403  # editors may not
    runner = CliRunner()
    out = runner.invoke(app, ["users", "scope", "金清编辑", "331004106", "--db", str(demo_db)])
    assert out.exit_code == 0 and "金清编辑 的管辖范围:331004106" in out.output
    listed = runner.invoke(app, ["users", "list", "--db", str(demo_db)])
    assert "金清编辑\teditor(编辑)\t管辖 331004106" in listed.output
    assert "路南编辑\teditor(编辑)\t管辖 331004001" in listed.output
