"""Accounts, sign-in tokens and failed sign-ins kept in the GeoPackage file, beside the data but outside the
layers and the audit (not in gpkg_contents: QGIS does not list them). The account store of the GeoPackage
backend; the feature store lives in :mod:`mzgis.store.geopackage.store`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mzgis.store.base import ACCOUNT_KEPT, AccountStore, account_values
from mzgis.store.geopackage.connection import made_once, opened
from mzgis.store.seal import HISTORY_KEPT, append_security, read_security
from mzgis.store.tables import (
    ACCOUNT_FIELDS,
    FAILURES_TABLE,
    SECURITY_TABLE,
    TOKEN_FIELDS,
    TOKENS_TABLE,
    USERS_TABLE,
)

__all__ = ["GeoPackageAccounts"]

# Accounts live beside the data but are not registered in gpkg_contents (QGIS does not list them); created
# on first use, so files made before accounts existed keep working.
_AUTH_SQL = (
    f"""CREATE TABLE IF NOT EXISTS {USERS_TABLE} (
  name TEXT PRIMARY KEY NOT NULL CHECK (length(trim(name)) > 0),
  role TEXT NOT NULL CHECK (role IN ('viewer', 'planner', 'editor', 'approver', 'admin')),
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  scope TEXT CHECK (scope IS NULL OR (length(scope) BETWEEN 2 AND 12 AND scope NOT GLOB '*[^0-9]*'))
)""",
    f"""CREATE TABLE IF NOT EXISTS {TOKENS_TABLE} (
  token_hash TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL REFERENCES {USERS_TABLE} (name) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT ''
)""",
    # failed sign-ins, also of names that are no account, so a restart does not lift a lockout
    f"""CREATE TABLE IF NOT EXISTS {FAILURES_TABLE} (
  name TEXT NOT NULL,
  failed_at TEXT NOT NULL
)""",
    f"CREATE INDEX IF NOT EXISTS {FAILURES_TABLE}_name ON {FAILURES_TABLE} (name, failed_at)",
    f"""CREATE TABLE IF NOT EXISTS {SECURITY_TABLE} (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, at TEXT NOT NULL, account TEXT NOT NULL, event TEXT NOT NULL,
  success INTEGER NOT NULL CHECK (success IN (0, 1)), client TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '', hash TEXT NOT NULL
)""",
    *(
        f"CREATE TRIGGER IF NOT EXISTS {SECURITY_TABLE}_kept_{op.lower()} BEFORE {op} ON {SECURITY_TABLE}"
        f" BEGIN SELECT RAISE(ABORT, '{HISTORY_KEPT}'); END"
        for op in ("UPDATE", "DELETE")
    ),
)
# columns the account tables got after their first version (added to a file's tables at their next use)
_ADDED_COLUMNS = (
    (USERS_TABLE, "scope TEXT CHECK (scope IS NULL OR (length(scope) BETWEEN 2 AND 12 AND scope NOT GLOB '*[^0-9]*'))"),
    (USERS_TABLE, "password_changed_at TEXT"),
    (USERS_TABLE, "must_change INTEGER NOT NULL DEFAULT 0 CHECK (must_change IN (0, 1))"),
    (USERS_TABLE, "password_history TEXT NOT NULL DEFAULT '[]'"),
    (USERS_TABLE, "totp_secret TEXT"),
    (USERS_TABLE, "totp_used_step INTEGER"),
    (TOKENS_TABLE, "last_seen TEXT"),
)


def _allow_approvers(conn: sqlite3.Connection) -> None:
    """A file whose accounts table predates the approver role (审批) gets it: the table is rebuilt with the
    current rule, accounts and tokens kept (once; the rule is then in the file)."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (USERS_TABLE,)).fetchone()
    if row is None or "'approver'" in str(row[0]):
        return
    present = {r[1] for r in conn.execute(f"PRAGMA table_info({USERS_TABLE})")}
    columns = ", ".join(f for f in ACCOUNT_FIELDS if f in present)
    conn.execute("PRAGMA foreign_keys = OFF")  # the tokens' reference to the table is kept, not cascaded
    try:
        with conn:
            conn.execute(_AUTH_SQL[0].replace(f"IF NOT EXISTS {USERS_TABLE}", f"{USERS_TABLE}_new"))
            conn.execute(f"INSERT INTO {USERS_TABLE}_new ({columns}) SELECT {columns} FROM {USERS_TABLE}")
            conn.execute(f"DROP TABLE {USERS_TABLE}")
            conn.execute(f"ALTER TABLE {USERS_TABLE}_new RENAME TO {USERS_TABLE}")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _add_columns(conn: sqlite3.Connection) -> None:
    """A file whose account tables predate some of their columns gets them (accounts unscoped, their
    passwords counted as set now, nobody asked to change it)."""
    present = {
        table: {r[1] for r in conn.execute(f"PRAGMA table_info({table})")} for table in (USERS_TABLE, TOKENS_TABLE)
    }
    missing = [(t, c) for t, c in _ADDED_COLUMNS if c.split()[0] not in present[t]]
    if missing:
        with conn:
            for table, column in missing:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
                if column.startswith("password_changed_at"):
                    conn.execute(f"UPDATE {table} SET password_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')")


def _make_account_tables(conn: sqlite3.Connection) -> None:
    for sql in _AUTH_SQL:
        conn.execute(sql)
    _allow_approvers(conn)
    _add_columns(conn)


def _account(row: sqlite3.Row) -> dict[str, Any]:
    return {k: row[k] for k in ACCOUNT_FIELDS} | {
        "disabled": bool(row["disabled"]),
        "must_change": bool(row["must_change"]),
    }


class GeoPackageAccounts(AccountStore):
    """The account store on a GeoPackage file (each call its own short connection)."""

    path: Path
    write_wait_s: float

    @contextmanager
    def _auth(self) -> Iterator[sqlite3.Connection]:
        """A connection with the account tables present; commits on success."""
        with opened(self.path, self.write_wait_s) as conn:
            made_once(self, "accounts", conn, self.path, _make_account_tables)
            with conn:
                yield conn

    def account(self, name: str) -> dict[str, Any] | None:
        with self._auth() as conn:
            row = conn.execute(f"SELECT * FROM {USERS_TABLE} WHERE name = ?", (name,)).fetchone()
        return None if row is None else _account(row)

    def accounts(self) -> list[dict[str, Any]]:
        with self._auth() as conn:
            rows = conn.execute(f"SELECT * FROM {USERS_TABLE} ORDER BY name").fetchall()
        return [_account(r) for r in rows]

    def save_account(self, record: Mapping[str, Any]) -> None:
        with self._auth() as conn:
            marks = ", ".join("?" * len(ACCOUNT_FIELDS))
            conn.execute(
                f"INSERT INTO {USERS_TABLE} ({', '.join(ACCOUNT_FIELDS)}) VALUES ({marks})"
                " ON CONFLICT (name) DO UPDATE SET "
                + ", ".join(f"{k} = excluded.{k}" for k in ACCOUNT_FIELDS if k not in ACCOUNT_KEPT),
                account_values(record),
            )

    def add_token(self, token_hash: str, name: str, *, created_at: str, expires_at: str, label: str) -> None:
        with self._auth() as conn:
            conn.execute(
                f"INSERT INTO {TOKENS_TABLE} ({', '.join(TOKEN_FIELDS)}) VALUES (?, ?, ?, ?, ?, ?)",
                (token_hash, name, created_at, expires_at, label, created_at),
            )

    def touch_token(self, token_hash: str, at: str) -> None:
        with self._auth() as conn:
            conn.execute(f"UPDATE {TOKENS_TABLE} SET last_seen = ? WHERE token_hash = ?", (at, token_hash))

    def token(self, token_hash: str) -> dict[str, Any] | None:
        with self._auth() as conn:
            row = conn.execute(f"SELECT * FROM {TOKENS_TABLE} WHERE token_hash = ?", (token_hash,)).fetchone()
        return None if row is None else dict(row)

    def token_holder(self, token_hash: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        with self._auth() as conn:  # one connection: each new one reads the file's whole schema
            row = conn.execute(f"SELECT * FROM {TOKENS_TABLE} WHERE token_hash = ?", (token_hash,)).fetchone()
            if row is None:
                return None, None
            account = conn.execute(f"SELECT * FROM {USERS_TABLE} WHERE name = ?", (row["name"],)).fetchone()
        return dict(row), None if account is None else _account(account)

    def delete_tokens(self, *, token_hash: str | None = None, name: str | None = None) -> int:
        if token_hash is None and name is None:
            return 0
        column, value = ("token_hash", token_hash) if token_hash is not None else ("name", name)
        with self._auth() as conn:
            return conn.execute(f"DELETE FROM {TOKENS_TABLE} WHERE {column} = ?", (value,)).rowcount

    def add_security_event(self, event: Mapping[str, Any]) -> None:
        with self._auth() as conn:
            conn.execute("BEGIN IMMEDIATE")  # the newest hash and the row chained to it under the write lock
            append_security(conn, "?", event)

    def security_events(self, *, after_id: int = 0, limit: int = 1000, newest: bool = False) -> list[dict[str, Any]]:
        with self._auth() as conn:
            return read_security(conn, "?", after_id=after_id, limit=limit, newest=newest)

    def sign_in_failures(self, key: str, *, since: str) -> list[str]:
        with self._auth() as conn:
            rows = conn.execute(
                f"SELECT failed_at FROM {FAILURES_TABLE} WHERE name = ? AND failed_at > ? ORDER BY failed_at",
                (key, since),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def claim_sign_in(self, key: str, at: str, *, since: str, limit: int) -> tuple[bool, list[str]]:
        with self._auth() as conn:
            conn.execute("BEGIN IMMEDIATE")  # the count and the claim under the write lock
            conn.execute(f"DELETE FROM {FAILURES_TABLE} WHERE failed_at <= ?", (since,))
            recent = [
                str(r[0])
                for r in conn.execute(
                    f"SELECT failed_at FROM {FAILURES_TABLE} WHERE name = ? ORDER BY failed_at", (key,)
                )
            ]
            allowed = len(recent) < limit
            if allowed:
                conn.execute(f"INSERT INTO {FAILURES_TABLE} VALUES (?, ?)", (key, at))
        return allowed, recent

    def clear_sign_in_failures(self, name: str) -> None:
        with self._auth() as conn:
            conn.execute(f"DELETE FROM {FAILURES_TABLE} WHERE name = ?", (name,))
