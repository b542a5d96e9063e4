"""The security log (安全审计, GB/T 22239-2019 level 2): sign-ins and their failures with the client's address,
sign-outs and sessions ended for idleness, tokens issued and renewed, passwords and accounts changed, requests
refused (401, 403), exports of the whole register, backups and restores. Each record has its date and time,
account, event, success or failure and client address; the store chains each row to the one before (SHA-256)
and its triggers refuse to change or delete a row, so ``mzgis audit --verify`` names a row altered by a tool
that dropped them.

What strangers cause (sign-ins under names that are no account, requests without a valid sign-in) is recorded
at most once per client address per quarter hour and 120 times an hour in all, so nobody can fill the store
by knocking; what signed-in users do is recorded every time.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mzgis.clock import stamp
from mzgis.errors import MzgisError
from mzgis.store import AccountStore
from mzgis.store.seal import ChainReport, verify_security

__all__ = ["EVENT_ZH", "SecurityEvent", "SecurityLog"]

log = logging.getLogger(__name__)

EVENT_ZH = {
    "sign_in": "登录",
    "sign_out": "退出登录",
    "session_ended": "超时退出",
    "token_issued": "发放令牌",
    "token_renewed": "换发令牌",
    "password_changed": "修改密码",
    "account_added": "新增账号",
    "account_changed": "修改账号",
    "refused": "拒绝访问",
    "export": "导出全部地名",
    "backup": "备份",
    "restore": "恢复",
}
_STRANGER_WINDOW = dt.timedelta(minutes=15)
_STRANGERS_PER_HOUR = 120


@dataclass(frozen=True)
class SecurityEvent:
    """One row of the security log as read."""

    id: int
    at: str
    account: str
    event: str
    success: bool
    client: str
    detail: str

    @property
    def event_zh(self) -> str:
        return EVENT_ZH.get(self.event, self.event)


def _event(row: Mapping[str, Any]) -> SecurityEvent:
    return SecurityEvent(
        int(row["id"]), str(row["at"]), str(row["account"]), str(row["event"]), bool(row["success"]),
        str(row["client"]), str(row["detail"]),
    )  # fmt: skip


class _Strangers:
    """When strangers' events were last recorded, in this process only: per client address, and in all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: dict[str, dt.datetime] = {}
        self._hour: list[dt.datetime] = []

    def admit(self, client: str, now: dt.datetime) -> bool:
        with self._lock:
            if len(self._last) > 10_000:  # bounded memory
                self._last = {k: t for k, t in self._last.items() if now - t < _STRANGER_WINDOW}
            self._hour = [t for t in self._hour if now - t < dt.timedelta(hours=1)]
            last = self._last.get(client)
            if (last is not None and now - last < _STRANGER_WINDOW) or len(self._hour) >= _STRANGERS_PER_HOUR:
                return False
            self._last[client] = now
            self._hour.append(now)
            return True


class SecurityLog:
    """The security log of a store. ``now`` gives the current UTC time (tests pass a fixed clock)."""

    def __init__(
        self, store: AccountStore, *, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    ) -> None:
        self.store = store
        self._now = now
        self._strangers = _Strangers()

    def record(
        self, event: str, *, account: str = "", success: bool = True, client: str = "", detail: str = ""
    ) -> None:
        """Append one event. A store that cannot take it (a database whose role may not write the log) does
        not stop the work it records: the failure goes to the server's own log."""
        row = {
            "at": stamp(self._now()),
            "account": account[:100],
            "event": event,
            "success": success,
            "client": client[:100],
            "detail": detail[:500],
        }
        try:
            self.store.add_security_event(row)
        except MzgisError as exc:
            log.error("安全日志未能写入(%s %s):%s", event, account, exc)

    def stranger(self, event: str, *, client: str, detail: str, account: str = "") -> None:
        """An event caused by someone not signed in: recorded at most once per address per quarter hour."""
        if self._strangers.admit(client, self._now()):
            note = "(同一地址 15 分钟内的同类事件不再逐条记录)"
            self.record(event, account=account, success=False, client=client, detail=detail + note)

    def events(self, *, after_id: int = 0, limit: int = 1000, newest: bool = False) -> list[SecurityEvent]:
        """Events after ``after_id``, oldest first: the first ``limit`` of them, or the last (``newest``)."""
        rows = self.store.security_events(after_id=after_id, limit=limit, newest=newest)
        return [_event(r) for r in rows]

    def pages(self, size: int = 5000) -> Iterator[list[dict[str, Any]]]:
        """Every row of the log as stored (each with its hash), in id order, a page at a time."""
        after = 0
        while page := self.store.security_events(after_id=after, limit=size):
            yield page
            after = int(str(page[-1]["id"]))

    def verify(self, *, anchor: tuple[int, str] | None = None) -> ChainReport:
        """Walk the log's chain: the first row changed, deleted or inserted since it was written, or
        (``anchor``) cut off since a backup."""
        return verify_security(self.pages(), anchor=anchor)
