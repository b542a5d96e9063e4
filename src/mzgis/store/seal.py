"""The history sealed in a chain (安全审计: 审计记录应受到保护,避免受到未预期的删除、修改或覆盖): each audit row, with
its changeset, is hashed together with the hash of the row sealed before it (SHA-256), and the hashes are kept
in order in ``mzgis_audit_seal``. A row changed afterwards, deleted, or a changeset's comment rewritten breaks
the chain at that row; :func:`verify_chain` walks it and names the first row that no longer matches.

mzgis seals in every write transaction it commits, the rows it wrote and any written since by another tool
(QGIS, ogr2ogr, psql: their audit rows come from the triggers and are sealed at mzgis's next write). The table,
and the triggers that refuse to change or delete a row of the history, are made on first use: files made
before them get them at their next write, databases at their next opening.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mzgis.store.tables import AUDIT_TABLE, CHANGESET_TABLE, SECURITY_FIELDS, SECURITY_TABLE

__all__ = [
    "GENESIS",
    "HISTORY_KEPT",
    "HISTORY_TABLES",
    "SEAL_TABLE",
    "ChainReport",
    "append_security",
    "digest",
    "read_security",
    "seal_pending",
    "verify_chain",
]

SEAL_TABLE = "mzgis_audit_seal"
# the tables of the history, which only grow: the database's triggers refuse an update or a delete of their rows
# (whatever tool sends it; a tool that drops the triggers first can, and the chain then names the row)
HISTORY_TABLES = (AUDIT_TABLE, CHANGESET_TABLE, SEAL_TABLE)
HISTORY_KEPT = "修改记录只能追加,不能改动或删除(安全审计:历史受保护)"
GENESIS = "0" * 64  # what the first row is chained to
# how far below the newest sealed row unsealed rows are looked for: rows of transactions that committed out of
# id order (concurrent writers of a database); a writer's own rows are found by its changeset wherever they are
_WINDOW = 200
_AUDIT_FIELDS = (
    "id", "changeset_id", "changed_at", "changed_by", "layer", "feature_id", "action", "version", "reason",
    "before", "after",
)  # fmt: skip
_CHANGESET_FIELDS = ("id", "created_at", "created_by", "comment")


def _json(value: Any) -> Any:
    """JSON as stored (text in a file, decoded by a database driver) in one form."""
    return json.loads(value) if isinstance(value, str) else value


def digest(previous: str, audit: Mapping[str, Any], changeset: Mapping[str, Any] | None) -> str:
    """The seal of one audit row (and its changeset) after the seal ``previous``."""
    row = {k: _json(audit[k]) if k in ("before", "after") else audit[k] for k in _AUDIT_FIELDS}
    cs = None if changeset is None else {k: changeset[k] for k in _CHANGESET_FIELDS}
    payload = json.dumps({"audit": row, "changeset": cs}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((previous + payload).encode("utf-8")).hexdigest()


def _changesets(conn: Any, mark: str, ids: Sequence[int]) -> dict[int, Mapping[str, Any]]:
    found: dict[int, Mapping[str, Any]] = {}
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        marks = ", ".join([mark] * len(chunk))
        rows = conn.execute(
            f"SELECT {', '.join(_CHANGESET_FIELDS)} FROM {CHANGESET_TABLE} WHERE id IN ({marks})", chunk
        ).fetchall()
        found.update({int(r["id"]): r for r in rows})
    return found


def seal_pending(conn: Any, mark: str, changeset: int | None = None) -> int:
    """Seal the audit rows not sealed yet, in id order, on ``conn`` inside the write transaction (whose
    caller holds the store's write lock or the seal's lock, and has made the table): those after the newest
    sealed row and near it, and those of ``changeset`` (the writer's own, where a database commits writers out
    of id order; it has an index on the changeset) wherever they are. Returns how many rows were sealed."""
    last = conn.execute(
        f"SELECT hash, (SELECT max(audit_id) FROM {SEAL_TABLE}) AS newest FROM {SEAL_TABLE} ORDER BY seq DESC LIMIT 1"
    ).fetchone()
    previous = str(last["hash"]) if last else GENESIS
    floor = int(last["newest"] or 0) - _WINDOW if last else -1
    mine = "" if changeset is None else f" OR a.changeset_id = {mark}"
    rows = conn.execute(
        f"SELECT {', '.join(_AUDIT_FIELDS)} FROM {AUDIT_TABLE} AS a WHERE (a.id > {mark}{mine})"
        f" AND NOT EXISTS (SELECT 1 FROM {SEAL_TABLE} AS s WHERE s.audit_id = a.id) ORDER BY a.id",
        (floor,) if changeset is None else (floor, changeset),
    ).fetchall()
    if not rows:
        return 0
    changesets = _changesets(conn, mark, sorted({int(r["changeset_id"]) for r in rows}))
    seals = []
    for r in rows:
        previous = digest(previous, r, changesets.get(int(r["changeset_id"])))
        seals.append((int(r["id"]), previous))
    cur = conn.cursor()
    try:
        cur.executemany(f"INSERT INTO {SEAL_TABLE} (audit_id, hash) VALUES ({mark}, {mark})", seals)
    finally:
        cur.close()
    return len(seals)


@dataclass
class ChainReport:
    """What a walk of the chain found: rows sealed and checked, rows not sealed yet, and the first break;
    ``last`` and ``head``: the position and hash the walk ended at (what a backup's manifest records, so
    that a later walk finds a tail cut off since)."""

    sealed: int = 0
    unsealed: int = 0
    broken: list[str] = field(default_factory=list)
    last: int = 0
    head: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.broken


class _Anchor:
    """A position and hash the chain had when a backup was taken: the walk must pass it as it was."""

    def __init__(self, anchor: tuple[int, str] | None, what: str) -> None:
        self.anchor, self.what, self.met = anchor, what, anchor is None or anchor[0] == 0

    def passed(self, report: ChainReport) -> bool:
        """Called after each row walked: False (the break named) when the walk reached the anchor's position
        and the row there is missing or not the one the backup saw."""
        if self.met or self.anchor is None or report.last < self.anchor[0]:
            return True
        self.met = True
        if report.last == self.anchor[0] and report.head == self.anchor[1]:
            return True
        report.broken.append(f"{self.what}第 {self.anchor[0]} 条与备份时不同:它或它前面的记录在备份之后被删改")
        return False

    def close(self, report: ChainReport) -> None:
        if not self.met and self.anchor is not None:
            report.broken.append(
                f"{self.what}在备份之后被截去:备份时已到第 {self.anchor[0]} 条,现在只到第 {report.last} 条"
            )


def verify_chain(
    conn: Any, mark: str, *, sealed: bool, page: int = 5000, anchor: tuple[int, str] | None = None
) -> ChainReport:
    """Walk the seals in order, recompute each from its audit row and changeset, and stop at the first row
    that was changed or deleted (named in Chinese); count the audit rows not sealed yet. ``sealed``: whether
    the store has the seal table (one never written by this version has none); ``anchor``: the seal number
    and hash a backup recorded, which the walk must pass as they were (a tail cut off since is named)."""
    report = ChainReport()
    met = _Anchor(anchor, "修改记录封存")
    exists = conn.execute(f"SELECT count(*) AS n FROM {AUDIT_TABLE}").fetchone()
    total = int(exists["n"]) if exists else 0
    if not sealed:
        report.unsealed = total
        met.close(report)
        return report
    previous, after = GENESIS, 0
    while True:
        seals = conn.execute(
            f"SELECT seq, audit_id, hash FROM {SEAL_TABLE} WHERE seq > {mark} ORDER BY seq LIMIT {mark}", (after, page)
        ).fetchall()
        if not seals:
            break
        ids = [int(s["audit_id"]) for s in seals]
        audits: dict[int, Mapping[str, Any]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows = conn.execute(
                f"SELECT {', '.join(_AUDIT_FIELDS)} FROM {AUDIT_TABLE} WHERE id IN ({', '.join([mark] * len(chunk))})",
                chunk,
            ).fetchall()
            audits.update({int(r["id"]): r for r in rows})
        changesets = _changesets(conn, mark, sorted({int(a["changeset_id"]) for a in audits.values()}))
        for s in seals:
            audit = audits.get(int(s["audit_id"]))
            if audit is None:
                report.broken.append(f"修改记录 #{s['audit_id']}(封存第 {s['seq']} 条)已被删除")
                return report
            previous = digest(previous, audit, changesets.get(int(audit["changeset_id"])))
            if previous != s["hash"]:
                report.broken.append(
                    f"修改记录 #{s['audit_id']}(封存第 {s['seq']} 条)或其变更集在封存后被改动,或其前面的记录被删改"
                )
                return report
            report.sealed += 1
            report.last, report.head = int(s["seq"]), previous
            if not met.passed(report):
                return report
        after = int(seals[-1]["seq"])
    report.unsealed = total - report.sealed
    met.close(report)
    return report


def security_digest(previous: str, row: Mapping[str, Any]) -> str:
    """The hash of one row of the security log after the hash ``previous`` (the row's id included: a row
    deleted or inserted between two others breaks the next one's hash)."""
    payload = {k: bool(row[k]) if k == "success" else row[k] for k in SECURITY_FIELDS}
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((previous + text).encode("utf-8")).hexdigest()


def verify_security(
    pages: Iterable[Sequence[Mapping[str, Any]]], *, anchor: tuple[int, str] | None = None
) -> ChainReport:
    """Walk the security log's rows (pages in id order, each row with its ``hash``) and stop at the first
    whose hash is not the one its content and the row before it give (named in Chinese); ``anchor`` as for
    :func:`verify_chain` (the row id and hash a backup recorded)."""
    report = ChainReport()
    met = _Anchor(anchor, "安全日志")
    previous = GENESIS
    for page in pages:
        for row in page:
            expected = security_digest(previous, row)
            if row["hash"] != expected:
                report.broken.append(
                    f"安全日志第 {row['id']} 条({row['at']} {row['event']})或其前面的记录在写入后被改动、删除或插入"
                )
                return report
            previous = expected
            report.sealed += 1
            report.last, report.head = int(row["id"]), expected
            if not met.passed(report):
                return report
    met.close(report)
    return report


def append_security(conn: Any, mark: str, event: Mapping[str, Any]) -> None:
    """Append ``event`` to the security log on ``conn``, its id and hash following the newest row's (the
    caller holds the log's write lock: one writer at a time takes the next link)."""
    last = conn.execute(f"SELECT id, hash FROM {SECURITY_TABLE} ORDER BY id DESC LIMIT 1").fetchone()
    row = {**event, "id": (int(last["id"]) if last else 0) + 1, "success": bool(event["success"])}
    row["hash"] = security_digest(str(last["hash"]) if last else GENESIS, row)
    columns = [*SECURITY_FIELDS, "hash"]
    marks = ", ".join([mark] * len(columns))
    conn.execute(f"INSERT INTO {SECURITY_TABLE} ({', '.join(columns)}) VALUES ({marks})", [row[c] for c in columns])


def read_security(conn: Any, mark: str, *, after_id: int, limit: int, newest: bool) -> list[dict[str, Any]]:
    """Rows of the security log after ``after_id``: the first ``limit``, or the last (``newest``), oldest first."""
    rows = conn.execute(
        f"SELECT * FROM {SECURITY_TABLE} WHERE id > {mark} ORDER BY id{' DESC' if newest else ''} LIMIT {mark}",
        (after_id, limit),
    ).fetchall()
    return [dict(r) | {"success": bool(r["success"])} for r in (rows[::-1] if newest else rows)]
