"""Connections to a GeoPackage file and its write lock, shared by the feature store and the account store:
sqlite3 with the ST_* functions the R-tree triggers need, a bounded wait for another process's write, and
a note beside the file saying who holds the lock (so a writer that gives up can say what the file is busy with)."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from mzgis.errors import Busy
from mzgis.store.base import utc_now
from mzgis.store.geopackage import binary as gpkg_binary

__all__ = ["WRITE_WAIT_S", "busy_is_an_error", "clear_writer", "connect", "made_once", "note_writer", "opened"]

WRITE_WAIT_S = 10.0  # how long a writer waits for another process's write lock before giving up (Busy)


def connect(path: Path, *, wait_s: float = WRITE_WAIT_S) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=wait_s, isolation_level=None, check_same_thread=False)
    gpkg_binary.register_functions(conn)
    conn.execute(f"PRAGMA busy_timeout = {int(wait_s * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _schema_mark(conn: sqlite3.Connection, path: Path) -> tuple[int, int]:
    """What tells that a file's schema is as it was: the file itself (made again under the same name, it is
    another) and SQLite's schema counter, which every CREATE, ALTER or DROP by any tool moves on."""
    return os.stat(path).st_ino, int(conn.execute("PRAGMA schema_version").fetchone()[0])


def made_once(
    owner: Any, key: str, conn: sqlite3.Connection, path: Path, make: Callable[[sqlite3.Connection], None]
) -> None:
    """Run ``make`` (tables, columns and triggers made on first use, IF NOT EXISTS) on ``conn`` unless it ran
    for ``owner`` on this file and nothing changed the file's schema since: one pragma instead of a dozen
    statements on every call, and a file made again or altered by another tool is looked at again."""
    marks: dict[str, tuple[int, int]] = owner.__dict__.setdefault("_made_marks", {})
    if marks.get(key) == _schema_mark(conn, path):
        return
    make(conn)
    marks[key] = _schema_mark(conn, path)


# ---------------------------------------------------------------- the write lock
# SQLite lets one process write at a time. While a transaction holds the lock, a small note beside the
# file says who holds it and why, so a writer that gives up after waiting can say what the file is busy
# with (the note is removed when the transaction ends; a stale one is harmless: nobody waits on it).


def _writer_note(path: Path) -> Path:
    return path.with_name(path.name + ".writer")


def note_writer(path: Path, user: str, reason: str) -> None:
    note = {"pid": os.getpid(), "user": user, "reason": reason[:200], "since": utc_now()}
    with suppress(OSError):
        _writer_note(path).write_text(json.dumps(note, ensure_ascii=False), encoding="utf-8")


def clear_writer(path: Path) -> None:
    with suppress(OSError):
        _writer_note(path).unlink()


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _busy(path: Path, wait_s: float) -> Busy:
    holder = ""
    with suppress(OSError, ValueError, KeyError, TypeError):
        note = json.loads(_writer_note(path).read_text(encoding="utf-8"))
        since = str(note["since"])
        holder = f"({note['user']}:{note['reason'] or '修改'},{since[11:19]} UTC 起,进程 {note['pid']})"
    return Busy(
        f"数据文件正被另一个程序写入{holder},已等待 {wait_s:g} 秒仍未轮到;本次修改未保存,请稍后再试",
        f"the data file is being written by another process{' ' + holder if holder else ''}; nothing changed",
        retry_after=5,
    )


@contextmanager
def busy_is_an_error(path: Path, wait_s: float) -> Iterator[None]:
    """A lock wait that ran out becomes :class:`Busy` (503 / exit 9), never a traceback."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if _is_locked(exc):
            raise _busy(path, wait_s) from None
        raise


@contextmanager
def opened(path: Path, wait_s: float) -> Iterator[sqlite3.Connection]:
    """A short-lived connection (rows by name) for one read or one small write; a lock wait that ran out
    is :class:`Busy`; closed afterwards."""
    conn = connect(path, wait_s=wait_s)
    conn.row_factory = sqlite3.Row
    try:
        with busy_is_an_error(path, wait_s):
            yield conn
    finally:
        conn.close()
