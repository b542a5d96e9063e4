"""The standing hostile-input suite: a demo copy per module, signed-in clients by role, and a digest of
every table a refused input must leave as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mzgis.api import create_app
from mzgis.settings import Settings, default_demo_path
from tests.conftest import add_accounts

# tables that change without a change of data: failed sign-ins are counted, refusals logged on purpose (the
# security log's rows are tested in tests/test_security.py); and columns: a token's last use
_NOT_DATA = ("mzgis_sign_in_failures", "mzgis_security_log")
_NOT_DATA_COLUMNS = {"mzgis_tokens": ("last_seen",)}


def store_digest(path: Path) -> str:
    """SHA-256 over every row of every table of the GeoPackage (R-tree shadow tables aside: they follow)."""
    digest = hashlib.sha256()
    with closing(sqlite3.connect(path)) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'rtree_%' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
            if r[0] not in _NOT_DATA
        ]
        for table in tables:
            digest.update(table.encode())
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
            kept = ", ".join(f'"{c}"' for c in columns if c not in _NOT_DATA_COLUMNS.get(table, ()))
            for row in conn.execute(f'SELECT {kept} FROM "{table}" ORDER BY rowid'):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def copy_demo(target: Path) -> Path:
    with closing(sqlite3.connect(default_demo_path())) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A demo copy with the test accounts, shared by a module's cases (each must leave it unchanged)."""
    path = copy_demo(tmp_path_factory.mktemp("hostile") / "demo.gpkg")
    return path, add_accounts(path)


@pytest.fixture(scope="module")
def api(hostile_db: tuple[Path, dict[str, str]]) -> Iterator[TestClient]:
    path, tokens = hostile_db
    settings = Settings(db=path, _env_file=None, max_body_bytes=1024 * 1024)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.tokens = tokens  # type: ignore[attr-defined]
        yield client
