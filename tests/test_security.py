"""The security log (安全审计): what is recorded, by whom and from where; strangers' knocks bounded; the chain
names a row changed, deleted or inserted; the API and the command line write and read it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mzgis.api import create_app
from mzgis.cli import app
from mzgis.errors import NotSignedIn
from mzgis.security import SecurityLog
from mzgis.settings import Settings
from mzgis.store import Backend
from mzgis.users import Users
from tests.conftest import PASSWORD, bearer
from tests.outside import REFUSED, Tool, outside
from tests.test_users import Clock


def _rows(store: Backend) -> list[tuple[str, str, bool, str, str]]:
    return [(e.account, e.event, e.success, e.client, e.detail) for e in SecurityLog(store).events()]


def test_sign_ins_accounts_and_tokens_are_logged_with_who_and_where(empty_store: Backend) -> None:
    clock = Clock()
    users = Users(empty_store, now=clock)
    users.add("地名科", "editor", "First-pass-01", by="管理员", scope="331004")
    with pytest.raises(NotSignedIn):
        users.sign_in("地名科", "Wrong-pass-01", client="10.0.0.9")
    signed = users.sign_in("地名科", "First-pass-01", client="10.0.0.9")
    users.change_own_password("地名科", "First-pass-01", "Second-pass-02", client="10.0.0.9")
    users.set_role("地名科", "planner", by="管理员")
    users.set_scope("地名科", None, by="管理员")
    script = users.issue_token("地名科", days=30, label="QGIS")
    page = users.sign_in("地名科", "Second-pass-02", client="10.0.0.9")
    clock.now += dt.timedelta(hours=1)
    with pytest.raises(NotSignedIn):
        users.resolve(page.token)  # idle for an hour
    users.sign_out(script.token, client="10.0.0.7")
    users.set_disabled("地名科", True, by="管理员")
    assert signed.token  # revoked by the change of password, as the log says
    assert _rows(empty_store) == [
        ("管理员", "account_added", True, "", "地名科:角色 编辑,管辖范围 331004"),
        ("地名科", "sign_in", False, "10.0.0.9", "密码不正确"),
        ("地名科", "sign_in", True, "10.0.0.9", ""),
        ("地名科", "password_changed", True, "10.0.0.9", "地名科:本人修改;原有登录与令牌作废"),
        ("管理员", "account_changed", True, "", "地名科:角色改为 规划"),
        ("管理员", "account_changed", True, "", "地名科:管辖范围改为 不限"),
        ("地名科", "token_issued", True, "", "QGIS,有效 30 天"),
        ("地名科", "sign_in", True, "10.0.0.9", ""),
        ("地名科", "session_ended", True, "", "超过 30 分钟未操作"),
        ("地名科", "sign_out", True, "10.0.0.7", ""),
        ("管理员", "account_changed", True, "", "地名科:停用"),
    ]
    first = SecurityLog(empty_store).events()[0]
    assert (first.at, first.event_zh) == ("2026-03-01T08:00:00.000Z", "新增账号")


def test_strangers_are_logged_once_per_address_per_quarter_hour(empty_store: Backend) -> None:
    clock = Clock()
    users = Users(empty_store, now=clock)
    for client in ["10.0.0.9"] * 40 + ["10.0.0.8"]:
        with pytest.raises(NotSignedIn):
            users.sign_in("无此人", "Any-pass-01", client=client)
    clock.now += dt.timedelta(minutes=15)
    with pytest.raises(NotSignedIn):
        users.sign_in("又一个", "Any-pass-01", client="10.0.0.9")
    note = "(同一地址 15 分钟内的同类事件不再逐条记录)"
    assert _rows(empty_store) == [
        ("", "sign_in", False, "10.0.0.9", f"用户名“无此人”不存在{note}"),
        ("", "sign_in", False, "10.0.0.8", f"用户名“无此人”不存在{note}"),
        ("", "sign_in", False, "10.0.0.9", f"用户名“又一个”不存在{note}"),
    ]


def _unguarded(tool: Tool) -> Tool:
    """The tool, after dropping the triggers that keep the security log (they refuse the changes otherwise)."""
    if tool.sqlite:
        for op in ("update", "delete"):
            tool.execute(f"DROP TRIGGER IF EXISTS mzgis_security_log_kept_{op}")
    else:
        tool.execute("DROP TRIGGER IF EXISTS mzgis_history_kept ON mzgis_security_log")
    return tool


def test_the_log_refuses_changes_and_its_chain_names_a_row_changed_deleted_or_inserted(empty_store: Backend) -> None:
    log = SecurityLog(empty_store, now=Clock())
    for n in range(4):
        log.record("sign_in", account=f"用户{n}", client="10.0.0.9")
    assert (log.verify().ok, log.verify().sealed) == (True, 4)
    with outside(empty_store) as tool, pytest.raises(REFUSED, match="修改记录只能追加,不能改动或删除"):
        tool.execute("UPDATE mzgis_security_log SET account = '别人' WHERE id = 2")
    with outside(empty_store) as tool, pytest.raises(REFUSED, match="修改记录只能追加"):
        tool.execute("DELETE FROM mzgis_security_log WHERE id = 2")
    with outside(empty_store) as tool:  # a tool that drops the triggers first
        _unguarded(tool).execute("UPDATE mzgis_security_log SET account = '别人' WHERE id = 2")
    assert log.verify().broken == [
        "安全日志第 2 条(2026-03-01T08:00:00.000Z sign_in)或其前面的记录在写入后被改动、删除或插入"
    ]
    with outside(empty_store) as tool:  # (the file's triggers came back with the last look at the log)
        _unguarded(tool).execute("UPDATE mzgis_security_log SET account = '用户1' WHERE id = 2")  # put back
    assert log.verify().ok
    with outside(empty_store) as tool:
        _unguarded(tool).execute("DELETE FROM mzgis_security_log WHERE id = 2")
    assert log.verify().broken[0].startswith("安全日志第 3 条")  # the row after the deleted one
    with outside(empty_store) as tool:  # a row slipped back in with a made-up hash
        tool.execute(
            "INSERT INTO mzgis_security_log (id, at, account, event, success, client, detail, hash)"
            " VALUES (2, '2026-03-01T08:00:00.000Z', '用户1', 'sign_in', ?, '10.0.0.9', '', ?)",
            [True, "0" * 64],
        )
    assert log.verify().broken[0].startswith("安全日志第 2 条")


def test_the_api_logs_refusals_and_exports_and_shows_the_log_to_admins(demo_path: Path, tokens: dict[str, str]) -> None:
    with TestClient(create_app(Settings(db=demo_path, _env_file=None))) as client:
        assert client.post("/api/names", headers=bearer(tokens["查看员"]), json={}).status_code == 403
        for _ in range(3):
            assert client.get("/api/layers").status_code == 401  # no sign-in: logged once for the address
        assert client.get("/api/names/export?format=csv", headers=bearer(tokens["地名科"])).status_code == 200
        signed = client.post("/api/auth/token", json={"name": "审批科", "password": PASSWORD}).json()
        client.post("/api/auth/sign-out", headers=bearer(signed["access_token"]))
        assert client.get("/api/security-log", headers=bearer(tokens["地名科"])).status_code == 403
        shown = client.get("/api/security-log?limit=6", headers=bearer(tokens["管理员"])).json()
    rows = [(e["account"], e["event_zh"], e["success"], e["client"], e["detail"]) for e in shown]
    assert rows[0][:2] == ("查看员", "拒绝访问") and rows[0][4].startswith("POST /api/names(403):")
    assert rows[1] == ("", "拒绝访问", False, "testclient",
                       "GET /api/layers(401):请先登录(同一地址 15 分钟内的同类事件不再逐条记录)")  # fmt: skip
    assert rows[2][:4] == ("地名科", "导出全部地名", True, "testclient") and rows[2][4].startswith("标准地名.csv,")
    assert rows[3] == ("审批科", "登录", True, "testclient", "")
    assert rows[4] == ("审批科", "退出登录", True, "testclient", "")
    assert rows[5][:3] == ("地名科", "拒绝访问", False) and rows[5][4].startswith("GET /api/security-log(403):")


def test_the_command_line_logs_backups_and_reads_the_log(demo_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    db = ["--db", str(demo_path)]
    assert runner.invoke(app, ["backup", str(tmp_path / "backups"), *db]).exit_code == 0
    added = runner.invoke(
        app, ["users", "add", "新人", "--role", "viewer", "--password-stdin", *db], input="Long-enough-1\n"
    )
    assert added.exit_code == 0, added.output
    lines = runner.invoke(app, ["audit", "--security", "--limit", "2", *db]).output.splitlines()
    assert len(lines) == 2
    assert "  备份  成功  命令行  " in lines[0] and ".gpkg,SHA-256 " in lines[0]
    assert "  新增账号  成功  -  新人:角色 查看" in lines[1]
    verified = runner.invoke(app, ["audit", "--verify", *db])
    assert verified.exit_code == 0 and verified.output.splitlines()[1] == "安全日志链完好:已核对 2 条", verified.output
