"""Accounts, sign-in tokens, failed sign-ins and naming documents in a PostgreSQL database: the account and
document stores of the PostGIS backend (tables made by :mod:`mzgis.store.postgis.schema`)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

import psycopg

from mzgis.store.base import ACCOUNT_KEPT, AccountStore, account_values
from mzgis.store.seal import append_security, read_security
from mzgis.store.sql import SqlDocuments
from mzgis.store.tables import ACCOUNT_FIELDS, TOKEN_FIELDS

__all__ = ["PostgresAccounts", "PostgresDocuments"]


class _Connected:
    def _connection(self) -> AbstractContextManager[psycopg.Connection[Any]]:  # pragma: no cover - the store's
        raise NotImplementedError


class PostgresAccounts(_Connected, AccountStore):
    def account(self, name: str) -> dict[str, Any] | None:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM mzgis_users WHERE name = %s", (name,)
            ).fetchone()
        return None if row is None else dict(row)

    def accounts(self) -> list[dict[str, Any]]:
        with self._connection() as conn:
            rows = conn.execute(f"SELECT {', '.join(ACCOUNT_FIELDS)} FROM mzgis_users ORDER BY name").fetchall()
        return [dict(r) for r in rows]

    def save_account(self, record: Mapping[str, Any]) -> None:
        with self._connection() as conn:
            conn.execute(
                f"INSERT INTO mzgis_users ({', '.join(ACCOUNT_FIELDS)})"
                f" VALUES ({', '.join(['%s'] * len(ACCOUNT_FIELDS))}) ON CONFLICT (name) DO UPDATE SET "
                + ", ".join(f"{k} = excluded.{k}" for k in ACCOUNT_FIELDS if k not in ACCOUNT_KEPT),
                account_values(record),
            )

    def add_token(self, token_hash: str, name: str, *, created_at: str, expires_at: str, label: str) -> None:
        with self._connection() as conn:
            conn.execute(
                f"INSERT INTO mzgis_tokens ({', '.join(TOKEN_FIELDS)}) VALUES (%s, %s, %s, %s, %s, %s)",
                (token_hash, name, created_at, expires_at, label, created_at),
            )

    def touch_token(self, token_hash: str, at: str) -> None:
        with self._connection() as conn:
            conn.execute("UPDATE mzgis_tokens SET last_seen = %s WHERE token_hash = %s", (at, token_hash))

    def token(self, token_hash: str) -> dict[str, Any] | None:
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM mzgis_tokens WHERE token_hash = %s", (token_hash,)).fetchone()
        return None if row is None else dict(row)

    def delete_tokens(self, *, token_hash: str | None = None, name: str | None = None) -> int:
        if token_hash is None and name is None:
            return 0
        column, value = ("token_hash", token_hash) if token_hash is not None else ("name", name)
        with self._connection() as conn:
            return conn.execute(f"DELETE FROM mzgis_tokens WHERE {column} = %s", (value,)).rowcount

    def add_security_event(self, event: Mapping[str, Any]) -> None:
        with self._connection() as conn, conn.transaction():
            # one writer of the log at a time: the newest hash and the row chained to it
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('mzgis security log', 0))")
            append_security(conn, "%s", event)

    def security_events(self, *, after_id: int = 0, limit: int = 1000, newest: bool = False) -> list[dict[str, Any]]:
        with self._connection() as conn:
            return read_security(conn, "%s", after_id=after_id, limit=limit, newest=newest)

    def sign_in_failures(self, key: str, *, since: str) -> list[str]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT failed_at FROM mzgis_sign_in_failures WHERE name = %s AND failed_at > %s ORDER BY failed_at",
                (key, since),
            ).fetchall()
        return [str(r["failed_at"]) for r in rows]

    def claim_sign_in(self, key: str, at: str, *, since: str, limit: int) -> tuple[bool, list[str]]:
        with self._connection() as conn, conn.transaction():
            # the count and the claim under one lock per key: parallel attempts cannot all pass
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('mzgis sign-in ' || %s, 0))", (key,))
            conn.execute("DELETE FROM mzgis_sign_in_failures WHERE failed_at <= %s", (since,))
            recent = [
                str(r["failed_at"])
                for r in conn.execute(
                    "SELECT failed_at FROM mzgis_sign_in_failures WHERE name = %s ORDER BY failed_at", (key,)
                ).fetchall()
            ]
            allowed = len(recent) < limit
            if allowed:
                conn.execute("INSERT INTO mzgis_sign_in_failures VALUES (%s, %s)", (key, at))
        return allowed, recent

    def clear_sign_in_failures(self, name: str) -> None:
        with self._connection() as conn:
            conn.execute("DELETE FROM mzgis_sign_in_failures WHERE name = %s", (name,))


class PostgresDocuments(_Connected, SqlDocuments):
    def _documents_connection(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        return self._connection()
