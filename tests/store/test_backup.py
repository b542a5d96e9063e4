"""Backups: a verified copy of a store in use with its manifest, a rotation, a restore that verifies again, a
changed file refused; the restore drill: saves going on while the backup is taken, every save acknowledged
before it in the restored store."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from shapely.geometry import Point

from mzgis.errors import BadInput, InvalidStore
from mzgis.gazetteer.service import Gazetteer
from mzgis.store import Backend, GeoPackageStore
from mzgis.store.backup import backup_store, restore_store, verify_backup
from mzgis.store.copy import store_checksums, total_checksum

DIGITS = "甲乙丙丁戊己庚辛壬癸"
BRIDGE = {"category": "transport_facility", "subcategory": "bridge", "admin_code": "331004106", "status": "proposed"}


def _clock(*stamps: str) -> Callable[[], str]:
    it = iter(stamps)
    return lambda: next(it)


def test_a_backup_holds_the_store_and_says_so_and_restores_to_the_same(demo_store: Backend, tmp_path: Path) -> None:
    counts, sums = store_checksums(demo_store)
    report = backup_store(demo_store, tmp_path / "备份", clock=_clock("2026-12-01T02:00:00.000Z"))
    short = "00000000"  # the demo was built without an identity: the backup does not make one
    assert report.path == tmp_path / "备份" / f"mzgis_{short}_20261201T020000Z.gpkg"
    manifest = json.loads(report.path.with_name(report.path.name + ".json").read_text(encoding="utf-8"))
    assert manifest["counts"] == counts and manifest["checksum"] == total_checksum(sums)
    assert (manifest["store_id"], manifest["taken_at"]) == ("", "2026-12-01T02:00:00.000Z")
    assert sorted(p.name for p in (tmp_path / "备份").iterdir()) == [report.path.name, report.path.name + ".json"]
    assert verify_backup(report.path) == manifest
    target = GeoPackageStore.create(tmp_path / "restored.gpkg")
    restored_manifest, copied = restore_store(report.path, target)
    assert copied.checksum == total_checksum(sums) and restored_manifest == manifest
    assert store_checksums(target) == (counts, sums)  # the register itself, its notes (and identity) as they were


def test_the_security_log_goes_into_the_backup_and_back_with_its_chain(demo_store: Backend, tmp_path: Path) -> None:
    """A GeoPackage's backup is the whole file; a database's is a copy, which the log (each store chains its
    own) follows row by row: every row with its id and hash, in the backup and in the restored store."""
    from mzgis.security import SecurityLog

    log = SecurityLog(demo_store)
    log.record("sign_in", account="地名科", client="10.1.9.4")
    log.record("refused", account="查看员", success=False, client="10.1.9.5", detail="POST /api/names(403)")
    rows = demo_store.security_events()
    report = backup_store(demo_store, tmp_path / "备份")
    assert GeoPackageStore(report.path).security_events() == rows
    assert report.manifest["security_head"] == {"id": 2, "hash": rows[-1]["hash"], "ok": True}
    target = GeoPackageStore.create(tmp_path / "restored.gpkg")
    restore_store(report.path, target)
    assert target.security_events() == rows and SecurityLog(target).verify().ok


def test_only_the_newest_backups_are_kept(demo_gpkg: GeoPackageStore, tmp_path: Path) -> None:
    clock = _clock(*(f"2026-12-0{d}T02:00:00.000Z" for d in range(1, 5)))
    names = [backup_store(demo_gpkg, tmp_path / "b", keep=2, clock=clock).path.name for _ in range(4)]
    kept = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert kept == sorted([names[2], names[2] + ".json", names[3], names[3] + ".json"])
    with pytest.raises(BadInput, match="--keep 至少为 1"):
        backup_store(demo_gpkg, tmp_path, keep=0)


def test_a_changed_backup_is_refused_before_anything_is_restored(demo_gpkg: GeoPackageStore, tmp_path: Path) -> None:
    path = backup_store(demo_gpkg, tmp_path / "b").path
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    target = GeoPackageStore.create(tmp_path / "restored.gpkg")
    with pytest.raises(InvalidStore, match="与其说明不符"):
        restore_store(path, target)
    assert store_checksums(target)[0]["place_names"] == 0  # nothing written
    other = backup_store(demo_gpkg, tmp_path / "c").path
    note = other.with_name(other.name + ".json")
    manifest = json.loads(note.read_text(encoding="utf-8"))
    note.write_text(json.dumps(manifest | {"checksum": "0" * 64}), encoding="utf-8")  # a manifest edited
    with pytest.raises(InvalidStore, match="内容与说明的校验和不符"):
        verify_backup(other)


def test_restore_drill_every_save_acknowledged_before_the_backup_is_restored(
    demo_gpkg: GeoPackageStore, tmp_path: Path
) -> None:
    gaz = Gazetteer(demo_gpkg)
    acknowledged: list[str] = []
    started = threading.Event()
    stop = threading.Event()

    failed: list[BaseException] = []

    def saves() -> None:
        writer = Gazetteer(GeoPackageStore(demo_gpkg.path))
        i = 0
        try:
            while not stop.is_set():
                name = f"演练{DIGITS[i // 10 % 10]}{DIGITS[i % 10]}桥"  # names hold no Arabic digits
                writer.create(BRIDGE | {"name": name}, Point(121.49, 28.52 + i * 1e-5), user="地名科", reason="演练")
                acknowledged.append(name)
                i += 1
                if i == 5:
                    started.set()
        except BaseException as exc:  # said by the test, not lost in the thread
            failed.append(exc)
            started.set()

    worker = threading.Thread(target=saves)
    worker.start()
    assert started.wait(60) and not failed, failed
    before = list(acknowledged)  # acknowledged before the backup begins
    try:
        path = backup_store(demo_gpkg, tmp_path / "b").path
    finally:
        stop.set()
        worker.join(60)
    target = GeoPackageStore.create(tmp_path / "restored.gpkg")
    restore_store(path, target)
    restored = {f.properties["name"] for f in target.features("place_names", where={"name": before})}
    assert not failed, failed
    assert restored == set(before) and len(before) >= 5
    assert len(acknowledged) > len(before)  # saves went on while it was taken
    assert gaz.store.revision("place_names") > 0


def test_the_commands_back_up_verify_and_restore(demo_path: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mzgis.cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["backup", str(tmp_path / "b"), "--keep", "3", "--db", str(demo_path)])
    assert made.exit_code == 0 and "已核对完整性和校验和" in made.output, made.output
    (path,) = (tmp_path / "b").glob("*.gpkg")
    checked = runner.invoke(app, ["verify-backup", str(path)])
    assert checked.exit_code == 0 and f"备份 {path.name} 完好" in checked.output, checked.output
    restored = runner.invoke(app, ["restore", str(path), str(tmp_path / "r.gpkg")])
    assert restored.exit_code == 0 and "已核对与备份说明的校验和一致" in restored.output, restored.output
    again = runner.invoke(app, ["restore", str(path), str(tmp_path / "r.gpkg")])
    assert again.exit_code == 4 and "已存在;如要覆盖请加 --force" in again.output
    path.with_name(path.name + ".json").unlink()
    lost = runner.invoke(app, ["verify-backup", str(path)])
    assert lost.exit_code == 3 and "找不到备份说明" in lost.output
