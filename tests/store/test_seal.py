"""The history sealed in a chain: every write of mzgis seals its audit rows (and those another tool wrote
since); a row changed, deleted, or a changeset's comment rewritten afterwards is named by the walk."""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import Point
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.store import Backend
from mzgis.store.seal import GENESIS, HISTORY_TABLES, digest
from tests.outside import REFUSED, outside
from tests.pg_server import PgServer

BRIDGE = {"category": "transport_facility", "subcategory": "bridge", "admin_code": "331004106", "status": "proposed"}


def _facility(store: Backend, name: str) -> int:
    with store.transaction(user="地名科", reason="新建") as tx:
        f = tx.insert(
            "eldercare_facilities",
            {"name": name, "kind": "day_care_station", "admin_code": "331004106"},
            Point(121.49, 28.525),
        )
    return f.id


def test_every_write_seals_its_history_and_the_walk_finds_it_whole(empty_store: Backend) -> None:
    assert empty_store.verify_history().sealed == 0  # nothing written yet
    first, second = _facility(empty_store, "金清照料中心"), _facility(empty_store, "下梁照料中心")
    report = empty_store.verify_history()
    assert (report.ok, report.sealed, report.unsealed) == (True, 2, 0)
    rows = empty_store.audit(layer="eldercare_facilities")
    assert [r.feature_id for r in rows] == [first, second]


def test_the_first_seal_is_the_row_and_its_changeset_after_the_genesis() -> None:
    audit = {"id": 1, "changeset_id": 1, "changed_at": "2026-03-01T08:00:00.000Z", "changed_by": "地名科",
             "layer": "eldercare_facilities", "feature_id": 1, "action": "insert", "version": 1, "reason": "新建",
             "before": None, "after": '{"name": "金清照料中心"}'}  # fmt: skip
    changeset = {"id": 1, "created_at": "2026-03-01T08:00:00.000Z", "created_by": "地名科", "comment": "新建"}
    stored_as_text = digest(GENESIS, audit, changeset)
    assert stored_as_text == digest(GENESIS, audit | {"after": {"name": "金清照料中心"}}, changeset)  # text or decoded
    assert stored_as_text != digest(GENESIS, audit, changeset | {"comment": "改过的说明"})
    assert stored_as_text != digest("1" * 64, audit, changeset)  # chained to what came before


def _drop_the_guards(store: Backend, tables: tuple[str, ...] = HISTORY_TABLES) -> None:
    """What only a deliberate tool does: drop the triggers that keep the history (then the chain shows it)."""
    with outside(store) as tool:
        for table in tables:
            for name in ["kept_update", "kept_delete"] if tool.sqlite else ["mzgis_history_kept"]:
                if tool.sqlite:
                    tool.execute(f"DROP TRIGGER {table}_{name}")
                else:
                    tool.execute(f"DROP TRIGGER {name} ON {table}")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE mzgis_audit SET reason = '补录' WHERE id = 1",
        "DELETE FROM mzgis_audit WHERE id = 1",
        "UPDATE mzgis_changesets SET comment = '改过的说明' WHERE id = 1",
        "DELETE FROM mzgis_changesets WHERE id = 1",
        "UPDATE mzgis_audit_seal SET hash = '0' WHERE seq = 1",
        "DELETE FROM mzgis_audit_seal",
    ],
)
def test_the_history_refuses_changes_and_deletes_from_any_tool(empty_store: Backend, sql: str) -> None:
    _facility(empty_store, "金清照料中心")
    before = empty_store.audit(layer="eldercare_facilities")
    with outside(empty_store) as tool, pytest.raises(REFUSED, match="修改记录只能追加,不能改动或删除"):
        tool.execute(sql)
    assert empty_store.audit(layer="eldercare_facilities") == before
    assert empty_store.verify_history().ok and empty_store.verify_history().sealed == 1


def test_the_history_refuses_truncate_in_the_database(pg: PgServer) -> None:
    from mzgis.store.postgis import PostGISStore

    pg_url = pg.database("empty")
    store = PostGISStore(pg_url)
    _facility(store, "金清照料中心")
    for table in HISTORY_TABLES:
        with outside(store) as tool, pytest.raises(REFUSED, match="修改记录只能追加"):
            tool.execute(f"TRUNCATE {table} CASCADE")
    assert (store.verify_history().ok, store.verify_history().sealed) == (True, 1)
    store.close()
    pg.drop(pg_url)


def test_a_store_made_before_the_guards_gets_them(empty_store: Backend) -> None:
    """A file at its next write, a database at its next opening (not inside a write: see _keep_history)."""
    from mzgis.store import open_store

    _facility(empty_store, "金清照料中心")
    _drop_the_guards(empty_store)
    with outside(empty_store) as tool:  # as a store of the earlier version: its history could be rewritten
        tool.execute("UPDATE mzgis_changesets SET comment = comment WHERE id = 1")
    again = open_store(getattr(empty_store, "url", empty_store.location))  # the database's full URL, or the file
    _facility(again, "下梁照料中心")
    with outside(again) as tool, pytest.raises(REFUSED, match="修改记录只能追加"):
        tool.execute("DELETE FROM mzgis_audit WHERE id = 1")
    assert again.verify_history().ok


def test_a_running_store_puts_back_the_guards_another_tool_dropped(empty_gpkg: Backend) -> None:
    """A file's schema is looked at once per store and again whenever another tool changed it: a server
    running all along puts the triggers back at its next write."""
    _facility(empty_gpkg, "金清照料中心")
    _drop_the_guards(empty_gpkg)
    _facility(empty_gpkg, "下梁照料中心")  # the same store object
    with outside(empty_gpkg) as tool, pytest.raises(REFUSED, match="修改记录只能追加"):
        tool.execute("DELETE FROM mzgis_audit WHERE id = 1")


def test_a_row_changed_or_deleted_after_it_was_sealed_is_named(empty_store: Backend) -> None:
    _facility(empty_store, "金清照料中心")
    _facility(empty_store, "下梁照料中心")
    third = _facility(empty_store, "汝泉照料中心")
    rows = empty_store.audit(layer="eldercare_facilities")
    _drop_the_guards(empty_store)
    with outside(empty_store) as tool:  # the history rewritten by hand, past the triggers
        tool.execute("UPDATE mzgis_audit SET reason = ? WHERE id = ?", ["补录", rows[1].id])
    report = empty_store.verify_history()
    assert not report.ok and report.sealed == 1
    assert report.broken == [f"修改记录 #{rows[1].id}(封存第 2 条)或其变更集在封存后被改动,或其前面的记录被删改"]
    with outside(empty_store) as tool:
        tool.execute("UPDATE mzgis_audit SET reason = ? WHERE id = ?", ["新建", rows[1].id])  # put back
        assert empty_store.verify_history().ok
        tool.execute("DELETE FROM mzgis_audit WHERE id = ?", [rows[1].id])
    assert empty_store.verify_history().broken == [f"修改记录 #{rows[1].id}(封存第 2 条)已被删除"]
    assert third  # the row after it was written and sealed before the deletion


def test_a_changesets_comment_rewritten_breaks_the_chain(empty_store: Backend) -> None:
    _facility(empty_store, "金清照料中心")
    (row,) = empty_store.audit(layer="eldercare_facilities")
    _drop_the_guards(empty_store)
    with outside(empty_store) as tool:
        tool.execute("UPDATE mzgis_changesets SET comment = ? WHERE id = ?", ["改过的说明", row.changeset_id])
    assert not empty_store.verify_history().ok


def test_an_outside_edit_is_sealed_at_mzgis_next_write(empty_store: Backend) -> None:
    fid = _facility(empty_store, "金清照料中心")
    with outside(empty_store) as tool:  # QGIS renames it: the trigger writes the audit row
        tool.execute("UPDATE eldercare_facilities SET name = ? WHERE id = ?", ["金清镇照料中心", fid])
    waiting = empty_store.verify_history()
    assert (waiting.ok, waiting.sealed, waiting.unsealed) == (True, 1, 1)
    _facility(empty_store, "下梁照料中心")
    assert (empty_store.verify_history().sealed, empty_store.verify_history().unsealed) == (3, 0)


def test_audit_verify_says_whether_the_history_is_whole(demo_path: Path) -> None:
    runner = CliRunner()
    demo = ["--db", str(demo_path)]
    built = runner.invoke(app, ["audit", "--verify", *demo])  # the demo as built: its history sealed
    assert built.exit_code == 0, built.output
    assert built.output.splitlines() == ["修改记录封存链完好:已核对 1061 条", "安全日志链完好:已核对 0 条"]
    added = runner.invoke(
        app, ["names", "add", "金清大桥", "--category", "transport_facility", "--subcategory", "bridge",
              "--admin", "331004106", "--lon", "121.49", "--lat", "28.525", *demo],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    whole = runner.invoke(app, ["audit", "--verify", *demo])
    assert whole.exit_code == 0 and whole.output.startswith("修改记录封存链完好:已核对 ") and "另有" not in whole.output
    import sqlite3

    with sqlite3.connect(demo_path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="修改记录只能追加"):
            conn.execute("UPDATE mzgis_audit SET changed_by = 'x' WHERE id = 1")
        conn.execute("DROP TRIGGER mzgis_audit_kept_update")
        conn.execute("UPDATE mzgis_audit SET changed_by = 'x' WHERE id = 1")
    broken = runner.invoke(app, ["audit", "--verify", *demo])
    assert broken.exit_code == 6 and broken.output.startswith("修改记录 #1(封存第 1 条)"), broken.output


def test_a_database_made_again_starts_a_chain_of_its_own(pg: PgServer) -> None:
    """``init --force`` on a database drops the seals with the history they sealed: the new history's chain
    starts afresh and walks whole."""
    from mzgis.store.postgis import PostGISStore

    pg_url = pg.database("empty")
    first = PostGISStore.create(pg_url, replace=True)
    _facility(first, "金清照料中心")
    first.close()
    again = PostGISStore.create(pg_url, replace=True)
    _facility(again, "下梁照料中心")
    assert (again.verify_history().ok, again.verify_history().sealed) == (True, 1)
    again.close()
    pg.drop(pg_url)


def test_a_tail_cut_off_after_a_backup_is_named_against_it(empty_store: Backend, tmp_path: Path) -> None:
    """A tail deleted by a tool that dropped the triggers leaves a chain that is whole, only shorter: the
    heads a backup's manifest recorded are what shows it (``mzgis audit --verify --backup``)."""
    from mzgis.security import SecurityLog
    from mzgis.store.backup import backup_anchors, backup_store

    for name in ("金清照料中心", "下梁照料中心", "新桥照料中心"):
        _facility(empty_store, name)
    log = SecurityLog(empty_store)
    for account in ("甲", "乙"):
        log.record("sign_in", account=account, client="10.0.0.1")
    manifest = backup_store(empty_store, tmp_path / "backups").manifest
    assert manifest["history_head"]["seq"] == 3 and manifest["security_head"]["id"] == 2
    history_at, log_at = backup_anchors(empty_store, tmp_path / "backups" / manifest["file"])
    assert empty_store.verify_history(anchor=history_at).ok and log.verify(anchor=log_at).ok

    _drop_the_guards(empty_store, (*HISTORY_TABLES, "mzgis_security_log"))
    with outside(empty_store) as tool:
        tool.execute("DELETE FROM mzgis_audit_seal WHERE seq = 3")
        tool.execute("DELETE FROM mzgis_audit WHERE id = (SELECT max(id) FROM mzgis_audit)")
        tool.execute("DELETE FROM mzgis_security_log WHERE id = 2")
    assert empty_store.verify_history().ok and log.verify().ok  # whole, only shorter
    assert empty_store.verify_history(anchor=history_at).broken == [
        "修改记录封存在备份之后被截去:备份时已到第 3 条,现在只到第 2 条"
    ]
    assert log.verify(anchor=log_at).broken == ["安全日志在备份之后被截去:备份时已到第 2 条,现在只到第 1 条"]
    # written again past the cut, the rows at the backup's positions are not the ones it saw
    log.record("sign_in", account="丙", client="10.0.0.2")
    assert log.verify().ok and log.verify(anchor=log_at).broken == [
        "安全日志第 2 条与备份时不同:它或它前面的记录在备份之后被删改"
    ]


def test_audit_verify_against_a_backup_says_what_it_found(demo_path: Path, tmp_path: Path) -> None:
    from mzgis.store import GeoPackageStore
    from mzgis.store.backup import backup_store

    backup = backup_store(GeoPackageStore(demo_path), tmp_path).path
    out = CliRunner().invoke(app, ["audit", "--verify", "--backup", str(backup), "--db", str(demo_path)])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[0] == f"修改记录封存链完好:已核对 1061 条,备份 {backup.name} 时的 1061 条都在"
    other = tmp_path / "other.gpkg"
    GeoPackageStore.create(other)
    refused = CliRunner().invoke(app, ["audit", "--backup", str(backup), "--db", str(other)])
    assert refused.exit_code == 2 and f"{backup.name} 不是本库的备份(库标识不同)" in refused.output
