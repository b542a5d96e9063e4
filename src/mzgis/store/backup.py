"""Backups a bureau can trust (数据备份恢复): a consistent copy of a store in use, verified before it is kept,
with a manifest that lets anyone check it later; a rotation; a restore that verifies again.

A backup is one GeoPackage file whatever the store: a GeoPackage is copied page by page with SQLite's online
backup (one consistent state, writers wait only for its pages), a PostGIS database through the copy mzgis
already makes (one snapshot, read back and compared). The backup is then opened as a store and summed (counts
and SHA-256 per layer and table, the audit and changesets included); the manifest beside it
(``….gpkg.json``) holds those, the file's own SHA-256 and size, the store's identity and when it was taken.
Written under a temporary name and renamed only once verified, so a folder never holds a half backup.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mzgis import __version__
from mzgis.digest import file_sha256
from mzgis.errors import BadInput, Conflict, InvalidStore, NotFound
from mzgis.store.base import Backend, utc_now
from mzgis.store.copy import CopyReport, copy_store, store_checksums, total_checksum
from mzgis.store.geopackage import GeoPackageStore
from mzgis.store.geopackage.connection import connect
from mzgis.store.seal import GENESIS
from mzgis.store.tables import SECURITY_FIELDS, STORE_ID_KEY

__all__ = [
    "BackupReport",
    "backup_anchors",
    "backup_store",
    "carry_security_log",
    "chain_heads",
    "restore_store",
    "verify_backup",
]

_NAME = re.compile(r"^mzgis_([0-9a-f]{8})_(\d{8}T\d{6}Z)\.gpkg$")


@dataclass
class BackupReport:
    """The backup written, what it holds (rows per layer and table, the checksum) and the older backups removed."""

    path: Path
    manifest: dict[str, Any]
    removed: list[Path] = field(default_factory=list)


def _sqlite_copy(source: GeoPackageStore, target: Path) -> None:
    """The file as of one moment, through SQLite's online backup (the WAL's committed pages included)."""
    with closing(connect(source.path, wait_s=source.write_wait_s)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it


def _summed(path: Path) -> tuple[dict[str, int], str]:
    """Open ``path`` as a store (refused if it is not a whole mzgis GeoPackage) and sum it."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        result = conn.execute("PRAGMA integrity_check").fetchone()
    if result is None or result[0] != "ok":
        raise InvalidStore(f"备份 {path.name} 未通过完整性检查:{result[0] if result else '无结果'}", "integrity check")
    counts, sums = store_checksums(GeoPackageStore(path))
    return counts, total_checksum(sums)


def chain_heads(store: Backend) -> dict[str, Any]:
    """Where the history's seals and the security log end now (position and hash), for a backup's manifest:
    `mzgis audit --verify --backup B` later finds them in the store as they were, or names what was cut off
    (a tail deleted by a tool that dropped the triggers leaves a chain that is whole, only shorter)."""
    from mzgis.security import SecurityLog

    history, log = store.verify_history(), SecurityLog(store).verify()
    return {
        "history_head": {"seq": history.last, "hash": history.head, "ok": history.ok},
        "security_head": {"id": log.last, "hash": log.head, "ok": log.ok},
    }


def carry_security_log(source: Backend, target: Backend) -> int:
    """The security log of ``source`` appended row by row to the empty log of ``target`` (a copy carries the
    layers and the history, not the log, which each store chains on its own): appended in order to an empty
    log, every row gets its id and hash again, and the target's chain is checked to end where the source's
    did. Returns the rows carried."""
    from mzgis.security import SecurityLog

    if target.security_events(limit=1):
        raise Conflict(f"{target.location} 已有安全日志,不能再接入另一个库的", "the target has a security log")
    last: dict[str, Any] = {"id": 0, "hash": GENESIS}  # the source's last row carried
    carried = 0
    for page in SecurityLog(source).pages():
        for row in page:
            target.add_security_event({k: row[k] for k in SECURITY_FIELDS if k != "id"})
        carried, last = carried + len(page), page[-1]
    check = SecurityLog(target).verify()
    if not check.ok or (check.last, check.head) != (int(last["id"]), last["hash"]):
        raise InvalidStore(f"安全日志接入 {target.location} 后核对不一致,请勿使用", "the carried log differs")
    return carried


def backup_anchors(store: Backend, backup: Path) -> tuple[tuple[int, str], tuple[int, str]]:
    """The history's and the security log's heads a backup of ``store`` recorded (its file checked first),
    for the walks to pass: a backup of another store, or one taken before heads were recorded, is refused."""
    manifest = verify_backup(backup)
    if (manifest.get("store_id") or "") != (store.meta(STORE_ID_KEY) or ""):
        raise BadInput(f"{backup.name} 不是本库的备份(库标识不同)", "a backup of another store")
    try:
        history, log = manifest["history_head"], manifest["security_head"]
        return (int(history["seq"]), str(history["hash"])), (int(log["id"]), str(log["hash"]))
    except (KeyError, TypeError, ValueError):
        raise BadInput(
            f"{backup.name} 的说明没有记录修改记录链的末尾(较早版本所做的备份)", "the manifest records no chain heads"
        ) from None


def backup_store(
    store: Backend, dest: Path, *, keep: int | None = None, clock: Callable[[], str] = utc_now
) -> BackupReport:
    """Back ``store`` up into the folder ``dest`` (made if missing) as one verified GeoPackage with its
    manifest; with ``keep``, only the newest ``keep`` backups of this store stay in ``dest``."""
    if keep is not None and keep < 1:
        raise BadInput("--keep 至少为 1", "keep at least one backup")
    if dest.exists() and not dest.is_dir():
        raise BadInput(f"{dest} 不是目录", "the backup destination is not a folder")
    dest.mkdir(parents=True, exist_ok=True)
    taken = clock()
    identity = store.meta(STORE_ID_KEY) or ""  # read, not made: a backup writes nothing to its source
    name = f"mzgis_{(identity.replace('-', '') or '0' * 8)[:8]}_{re.sub(r'[-:]', '', taken)[:15]}Z.gpkg"
    final = dest / name
    if final.exists():
        raise BadInput(f"{final.name} 已存在(同一秒内的第二次备份)", "a backup of this second exists")
    partial = dest / f".{name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        if isinstance(store, GeoPackageStore):
            _sqlite_copy(store, partial)  # the whole file: the security log too
        else:
            copy_store(store, copied := GeoPackageStore.create(partial))
            carry_security_log(store, copied)
        counts, checksum = _summed(partial)
        manifest = chain_heads(store) | {
            "file": name,
            "sha256": file_sha256(partial),
            "bytes": partial.stat().st_size,
            "store_id": identity,
            "source": store.location,
            "taken_at": taken,
            "mzgis": __version__,
            "counts": counts,
            "checksum": checksum,
        }
        partial.rename(final)
    finally:
        partial.unlink(missing_ok=True)
    (dest / f"{name}.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    removed: list[Path] = []
    if keep is not None:
        prefix = name.split("_")[1]
        ours = sorted(p for p in dest.iterdir() if (m := _NAME.match(p.name)) and m.group(1) == prefix)
        for old in ours[:-keep]:
            for path in (old, old.with_name(old.name + ".json")):
                path.unlink(missing_ok=True)
            removed.append(old)
    return BackupReport(final, manifest, removed)


def verify_backup(path: Path) -> dict[str, Any]:
    """The manifest of the backup ``path``, once the file is shown to be what it says: its SHA-256 and size as
    recorded, a whole mzgis GeoPackage, and every layer and table summing to the recorded checksum."""
    if not path.is_file():
        raise NotFound(f"找不到备份文件 {path}", "no such backup")
    note = path.with_name(path.name + ".json")
    if not note.is_file():
        raise NotFound(f"找不到备份说明 {note.name}(备份应与其 .json 说明放在一起)", "no manifest")
    try:
        manifest = json.loads(note.read_text(encoding="utf-8"))
        recorded = (str(manifest["sha256"]), int(manifest["bytes"]), str(manifest["checksum"]))
    except (ValueError, KeyError, TypeError):
        raise InvalidStore(f"备份说明 {note.name} 无法读取", "unreadable manifest") from None
    if (file_sha256(path), path.stat().st_size) != recorded[:2]:
        raise InvalidStore(f"备份 {path.name} 与其说明不符(文件已改动或损坏),不能使用", "backup changed since taken")
    _, checksum = _summed(path)
    if checksum != recorded[2]:
        raise InvalidStore(f"备份 {path.name} 的内容与说明的校验和不符,不能使用", "backup content differs")
    return dict(manifest)


def restore_store(backup: Path, target: Backend) -> tuple[dict[str, Any], CopyReport]:
    """Restore the backup into the empty ``target`` (a new file or an empty database): the backup verified
    first, then copied with every row and compared again with the manifest's checksum."""
    manifest = verify_backup(backup)
    report = copy_store(GeoPackageStore(backup), target)
    if report.checksum != manifest["checksum"]:
        raise InvalidStore(f"恢复后核对不一致(目标 {target.location} 请勿使用)", "restored content differs")
    carry_security_log(GeoPackageStore(backup), target)
    return manifest, report
