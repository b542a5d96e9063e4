"""Sign-in, bearer db_tokens and role checks on the API; reads closed by default."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mzgis.api import create_app
from mzgis.api.models import ErrorOut
from mzgis.settings import Settings
from tests.api.test_names import BRIDGE
from tests.conftest import PASSWORD, bearer


def _client(demo_db: Path | str, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(db=demo_db, _env_file=None, **settings)))


@pytest.fixture
def client(demo_db: Path | str, db_tokens: dict[str, str]) -> Iterator[TestClient]:
    with _client(demo_db) as c:
        yield c


def test_reads_need_a_sign_in_by_default(client: TestClient) -> None:
    resp = client.get("/api/layers")
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"] == "Bearer"
    assert ErrorOut.model_validate(resp.json()).message == "请先登录"
    assert client.get("/api/names", params={"q": "lnjd"}).status_code == 401
    bad = client.get("/api/layers", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and bad.json()["message"] == "登录已失效,请重新登录"
    basic = client.get("/api/layers", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401 and "Bearer" in basic.json()["message"]
    # what the page needs before sign-in stays open
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/config").json()["open_reads"] is False
    assert client.get("/").status_code in (200, 503)


def test_sign_in_use_and_sign_out(client: TestClient) -> None:
    wrong = client.post("/api/auth/token", json={"name": "查看员", "password": "wrong-password"})
    assert wrong.status_code == 401 and wrong.json()["message"] == "用户名或密码不正确,或账号已停用"
    ok = client.post("/api/auth/token", json={"name": "查看员", "password": PASSWORD})
    assert ok.status_code == 200
    body = ok.json()
    expires = body["user"].pop("password_expires_at")  # 90 days after the tests' accounts were set up
    assert body["token_type"] == "bearer" and body["user"] == {
        "name": "查看员",
        "role": "viewer",
        "role_zh": "查看",
        "scope": None,
        "disabled": False,
        "created_at": "2026-03-01T08:00:00.000Z",
        "password_change": "",
        "password_change_zh": "",
        "second_factor": False,
    }
    assert 89 <= (dt.datetime.fromisoformat(expires) - dt.datetime.now(dt.UTC)).days <= 90
    auth = bearer(body["access_token"])
    assert client.get("/api/auth/me", headers=auth).json()["name"] == "查看员"
    assert client.get("/api/layers", headers=auth).status_code == 200
    # a page in use exchanges its token for a fresh one; the old one stops working
    fresh = client.post("/api/auth/refresh", headers=auth).json()
    assert fresh["access_token"] != body["access_token"] and fresh["user"]["name"] == "查看员"
    assert client.get("/api/layers", headers=auth).status_code == 401
    assert client.post("/api/auth/refresh", headers=auth).status_code == 401
    auth = bearer(fresh["access_token"])
    assert client.get("/api/layers", headers=auth).status_code == 200
    assert client.post("/api/auth/sign-out", headers=auth).status_code == 204
    assert client.get("/api/layers", headers=auth).status_code == 401


def test_writes_check_the_role_and_history_records_the_user(client: TestClient, db_tokens: dict[str, str]) -> None:
    for name in ("查看员", "规划科"):
        denied = client.post("/api/names", json=BRIDGE, headers=bearer(db_tokens[name]))
        assert denied.status_code == 403, name
        assert "此操作需要编辑或以上权限" in denied.json()["message"]
    assert client.post("/api/names", json=BRIDGE).status_code == 401
    assert (
        client.get("/api/names", params={"q": "金清大桥"}, headers=bearer(db_tokens["查看员"])).json() == []
    )  # nothing saved
    created = client.post("/api/names", json=BRIDGE, headers=bearer(db_tokens["地名科"]))
    assert created.status_code == 201
    fid = created.json()["id"]
    retired = client.post(
        f"/api/names/{fid}/retire", json={"version": 1, "reason": "拆除"}, headers=bearer(db_tokens["王五"])
    )
    assert retired.status_code == 200
    history = client.get(f"/api/names/{fid}/history", headers=bearer(db_tokens["查看员"])).json()
    assert [(h["changed_by"], h["action"]) for h in history] == [("地名科", "insert"), ("王五", "update")]


def test_admins_manage_accounts(client: TestClient, db_tokens: dict[str, str]) -> None:
    assert client.get("/api/users", headers=bearer(db_tokens["地名科"])).status_code == 403
    admin = bearer(db_tokens["管理员"])
    assert [u["name"] for u in client.get("/api/users", headers=admin).json()] == sorted(
        ["管理员", "审批科", "地名科", "王五", "规划科", "查看员"]
    )
    made = client.post(
        "/api/users", json={"name": "新人", "role": "viewer", "password": "Long-enough-1"}, headers=admin
    )
    assert made.status_code == 201 and made.json()["role_zh"] == "查看"
    dup = client.post("/api/users", json={"name": "新人", "role": "viewer", "password": "Long-enough-1"}, headers=admin)
    assert dup.status_code == 409
    short = client.post("/api/users", json={"name": "乙", "role": "viewer", "password": "short"}, headers=admin)
    assert short.status_code == 422
    changed = client.patch("/api/users/王五", json={"role": "planner", "disabled": True}, headers=admin)
    assert changed.json()["role"] == "planner" and changed.json()["disabled"] is True
    assert (
        client.get("/api/layers", headers=bearer(db_tokens["王五"])).status_code == 401
    )  # disabled: db_tokens revoked


def test_open_reads_setting(demo_db: Path | str, db_tokens: dict[str, str]) -> None:
    with _client(demo_db, open_reads=True, tile_url="https://t0.example/{z}/{x}/{y}.png") as c:
        assert c.get("/api/layers").status_code == 200
        assert c.get("/ogc/collections").status_code == 200
        config = c.get("/api/config").json()
        assert config["open_reads"] is True and config["tile_url"] == "https://t0.example/{z}/{x}/{y}.png"
        assert c.post("/api/names", json=BRIDGE).status_code == 401  # writes still need a sign-in


def test_the_role_is_checked_before_the_body(client: TestClient, db_tokens: dict[str, str]) -> None:
    """A caller without the route's role is refused as such (401, 403) whatever its body: it learns nothing
    of what the route takes; one with the role is told what is wrong with the body (422)."""
    malformed = b'{"step": "accept", "version": "x",'
    headers = {"content-type": "application/json"}
    anonymous = client.post("/api/procedures/1/steps", content=malformed, headers=headers)
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "请先登录"
    viewer = {**headers, "Authorization": f"Bearer {db_tokens['查看员']}"}
    refused = client.post("/api/procedures/1/steps", content=malformed, headers=viewer)
    assert refused.status_code == 403 and "此操作需要编辑或以上权限" in refused.json()["message"]
    wrong = client.post("/api/names", json={"name": 1}, headers=viewer)
    assert wrong.status_code == 403
    editor = {**headers, "Authorization": f"Bearer {db_tokens['地名科']}"}
    told = client.post("/api/procedures/1/steps", content=malformed, headers=editor)
    assert told.status_code == 422 and told.json()["message"].startswith("请求参数不合法")


def test_a_password_set_by_an_administrator_is_changed_before_anything_else(client: TestClient) -> None:
    admin = bearer(client.post("/api/auth/token", json={"name": "管理员", "password": PASSWORD}).json()["access_token"])
    added = client.post(
        "/api/users", headers=admin, json={"name": "新来的", "role": "editor", "password": "Temporary-pass-1"}
    )
    assert added.status_code == 201 and added.json()["password_change"] == "initial"
    signed = client.post("/api/auth/token", json={"name": "新来的", "password": "Temporary-pass-1"}).json()
    assert signed["user"]["password_change_zh"] == "密码由管理员设置,首次登录须改为自己的密码"
    auth = bearer(signed["access_token"])
    refused = client.get("/api/layers", headers=auth)
    assert refused.status_code == 403
    assert refused.json()["message"] == "密码由管理员设置,首次登录须改为自己的密码:请先修改密码"
    assert client.post("/api/names", headers=auth, json={}).status_code == 403  # before the body's validation
    assert client.get("/api/auth/me", headers=auth).json()["password_change"] == "initial"
    same = client.post(
        "/api/auth/password", headers=auth, json={"current": "Temporary-pass-1", "new": "Temporary-pass-1"}
    )
    assert same.status_code == 422 and same.json()["message"] == "新密码不能与当前密码相同"
    weak = client.post("/api/auth/password", headers=auth, json={"current": "Temporary-pass-1", "new": "password"})
    assert (weak.status_code, weak.json()["error"]) == (422, "rule_violation") and weak.json()[
        "message"
    ] == "密码须含小写字母、大写字母、数字、符号中的至少三类(现有:小写字母)"
    wrong = client.post("/api/auth/password", headers=auth, json={"current": "Not-the-pass-1", "new": "Own-choice-22"})
    assert wrong.status_code == 401 and client.get("/api/auth/me", headers=auth).status_code == 200  # still signed in
    changed = client.post(
        "/api/auth/password", headers=auth, json={"current": "Temporary-pass-1", "new": "Own-choice-22"}
    )
    assert changed.status_code == 200 and changed.json()["user"]["password_change"] == ""
    assert client.get("/api/layers", headers=auth).status_code == 401  # every earlier token revoked
    assert client.get("/api/layers", headers=bearer(changed.json()["access_token"])).status_code == 200


def test_at_level_3_an_admin_sets_a_second_factor_in_the_api_and_signs_in_with_it(
    demo_path: Path, tokens: dict[str, str], tmp_path: Path
) -> None:
    from mzgis import totp
    from mzgis.sealing import new_key_file
    from mzgis.store import GeoPackageStore

    key = new_key_file(tmp_path / "secret.key")  # level 3 seals the shared keys (鉴别数据存储保密性)
    with _client(demo_path, security_level=3, secret_key_file=key) as client:
        signed_in = client.post("/api/auth/token", json={"name": "管理员", "password": PASSWORD}).json()
        assert signed_in["user"]["password_change"] == "second_factor"  # a sign-in of the page; a script's
        admin = bearer(signed_in["access_token"])  # token, issued by an administrator, is not held back
        assert client.get("/api/layers", headers=bearer(tokens["管理员"])).status_code == 200
        refused = client.get("/api/layers", headers=admin)
        assert refused.status_code == 403 and refused.json()["details"] == {"password_change": "second_factor"}
        assert client.get("/api/layers", headers=bearer(tokens["地名科"])).status_code == 200  # an editor need not
        new = client.post("/api/auth/second-factor/new", headers=admin).json()
        assert new["uri"].startswith("otpauth://totp/mzgis%3A%E7%AE%A1%E7%90%86%E5%91%98?secret=" + new["secret"])
        wrong = client.post("/api/auth/second-factor", headers=admin, json={"secret": new["secret"], "code": "12345"})
        assert wrong.status_code == 403 and wrong.json()["message"].startswith("动态口令不正确")
        code = totp.code_at(new["secret"], dt.datetime.now(dt.UTC))
        done = client.post("/api/auth/second-factor", headers=admin, json={"secret": new["secret"], "code": code})
        assert done.status_code == 200 and done.json()["second_factor"] is True and done.json()["password_change"] == ""
        stored = GeoPackageStore(demo_path).account("管理员")["totp_secret"]  # type: ignore[index]
        assert stored.startswith("aesgcm:") and new["secret"] not in stored
        assert client.get("/api/layers", headers=admin).status_code == 200
        asked = client.post("/api/auth/token", json={"name": "管理员", "password": PASSWORD})
        assert asked.status_code == 401 and asked.json()["details"] == {"second_factor": True}
        code = totp.code_at(new["secret"], dt.datetime.now(dt.UTC))
        signed = client.post("/api/auth/token", json={"name": "管理员", "password": PASSWORD, "code": code})
        assert signed.status_code == 200 and signed.json()["user"]["second_factor"] is True
        # replacing it takes the password again: a session left open cannot rebind the second factor
        other = client.post("/api/auth/second-factor/new", headers=admin).json()["secret"]
        body = {"secret": other, "code": totp.code_at(other, dt.datetime.now(dt.UTC))}
        assert client.post("/api/auth/second-factor", headers=admin, json=body).status_code == 401
        replaced = client.post("/api/auth/second-factor", headers=admin, json=body | {"password": PASSWORD})
        assert replaced.status_code == 200 and replaced.json()["second_factor"] is True
