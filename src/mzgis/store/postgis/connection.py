"""Connections to a PostgreSQL database: its URL (``postgresql://user@host/db``, a socket folder as host
included), a small pool per process (a worker forked from a parent opens its own), and the mapping of the
server's refusals to mzgis errors with Chinese messages."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from mzgis.errors import BadInput, Busy, Conflict, InvalidStore, MzgisError, RuleViolation
from mzgis.store.location import public_url

__all__ = ["Pool", "server_error"]


def server_error(exc: psycopg.Error, *, rules: dict[str, str] | None = None, what: str = "") -> MzgisError:
    """A refusal by the server as the mzgis error users understand (constraint rules in Chinese)."""
    diag = exc.diag
    constraint = diag.constraint_name or ""
    prefix = f"{what}:" if what else ""
    if isinstance(exc, psycopg.errors.UniqueViolation):
        detail = diag.message_detail or ""
        m = re.search(r"Key \((.+?)\)=\((.*?)\)", detail)
        shown = f"{m.group(1)}={m.group(2)}" if m else constraint
        return Conflict(
            f"{prefix}已有相同的 {shown}", f"duplicate: {shown}", fields=(m.group(1).split(", ") if m else [])
        )
    if isinstance(exc, psycopg.errors.CheckViolation):
        rule = (rules or {}).get(constraint, constraint)
        return RuleViolation(f"{prefix}数据库约束不满足({rule})", f"constraint failed: {constraint}")
    if isinstance(exc, psycopg.errors.IntegrityError):
        return RuleViolation(f"{prefix}{diag.message_primary or exc}", f"refused by the database: {exc}")
    if isinstance(exc, psycopg.errors.LockNotAvailable | psycopg.errors.QueryCanceled):
        return Busy(
            "数据库中的这些记录正被另一位用户修改,等待超时;本次修改未保存,请稍后再试",
            "rows locked by another writer; nothing changed",
            retry_after=5,
        )
    if isinstance(exc, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure):
        return Busy(
            "与另一位用户的修改冲突,本次修改未保存,请重试",
            "deadlock with another writer; nothing changed",
            retry_after=1,
        )
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return InvalidStore(f"数据库拒绝操作(权限不足):{diag.message_primary}", f"insufficient privilege: {exc}")
    if isinstance(exc, psycopg.OperationalError):
        return InvalidStore(f"无法使用数据库:{str(exc).strip()}", f"database unavailable: {exc}")
    return InvalidStore(f"数据库出错:{diag.message_primary or exc}", f"database error: {exc}")


class Pool:
    """Idle connections of this process, reused (opening one costs milliseconds on every request)."""

    _KEEP = 8

    def __init__(self, url: str, *, lock_wait_s: float) -> None:
        self.url = url
        self.lock_wait_s = lock_wait_s
        self._idle: list[psycopg.Connection[Any]] = []
        self._guard = threading.Lock()
        self._pid = os.getpid()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidStore(
                f"无法连接数据库 {public_url(self.url)}:{text}", f"cannot connect to {public_url(self.url)}: {text}"
            ) from None
        except psycopg.ProgrammingError as exc:
            raise BadInput(f"数据库地址“{public_url(self.url)}”无效:{exc}", f"invalid database URL: {exc}") from None
        conn.execute(f"SET lock_timeout = {int(self.lock_wait_s * 1000)}")
        conn.execute("SET TIME ZONE 'UTC'")
        return conn

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection in autocommit mode (a transaction is opened with ``conn.transaction()``)."""
        with self._guard:
            if self._pid != os.getpid():  # forked: the parent's connections are not ours
                self._idle, self._pid = [], os.getpid()
            conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            conn = self._connect()
        try:
            yield conn
        finally:
            if not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                with self._guard:
                    if len(self._idle) < self._KEEP:
                        self._idle.append(conn)
                        conn = None
            if conn is not None:
                conn.close()

    def close(self) -> None:
        with self._guard:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
