"""Shared fixtures: an empty store, a copy of the demo county, fixed clocks."""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry.base import BaseGeometry

from mzgis.settings import default_demo_path
from mzgis.store import Backend, GeoPackageStore, open_store
from mzgis.store.base import utc_now
from mzgis.users import Users, hash_password
from tests.needs import need
from tests.pg_server import PgServer, pg_server

REPO = Path(__file__).resolve().parents[1]
SHARED_SOURCES = REPO.parent / "shared" / "sources"


def ticking_clock() -> Callable[[], str]:
    """A clock that advances one second per call, so audit rows have distinct, predictable stamps."""
    counter = itertools.count()
    return lambda: f"2026-03-01T08:00:{next(counter):02d}.000Z"


# Test accounts by role; one password for all (hashed once per session: argon2id is slow on purpose).
ACCOUNTS = {
    "管理员": "admin",
    "审批科": "approver",
    "地名科": "editor",
    "王五": "editor",
    "规划科": "planner",
    "查看员": "viewer",
}
PASSWORD = "Correct-horse-1"
_HASH: list[str] = []


def add_accounts(location: Path | str) -> dict[str, str]:
    """Create the test accounts in the store at ``location``; a bearer token per account name."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    store = open_store(location)
    for name, role in ACCOUNTS.items():
        record = {"name": name, "role": role, "password_hash": _HASH[0], "disabled": False}
        # their passwords set now (not due for a change whatever day the tests run) by their holders
        changed = {"password_changed_at": utc_now(), "must_change": False}
        store.save_account(record | changed | {"created_at": "2026-03-01T08:00:00.000Z", "created_by": "test"})
    users = Users(store)
    return {name: users.issue_token(name, days=1).token for name in ACCOUNTS}


def register_jiaojiang(store: Backend) -> None:
    """椒江区's townships and villages registered by code and name, without polygons, as init --county makes
    them (the county itself is in the demo already, as 路桥区's neighbour, with its outline)."""
    from mzgis.divisions import county_units

    with store.transaction(user="test") as tx:
        tx.insert_many(
            "admin_units",
            [
                ({"code": u.code, "name": u.name, "level": u.level, "parent_code": u.parent_code}, None)
                for u in county_units("331002")[1:]
            ],
        )


def shape(geometry: BaseGeometry | None) -> Any:
    """A stored feature's geometry, which the test knows is there (and of the type it uses)."""
    assert geometry is not None
    return geometry


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(demo_path: Path) -> dict[str, str]:
    """Bearer tokens of the test accounts in the demo GeoPackage copy."""
    return add_accounts(demo_path)


@pytest.fixture
def db_tokens(demo_db: Path | str) -> dict[str, str]:
    """Bearer tokens of the test accounts in the demo county on each backend (``demo_db``)."""
    return add_accounts(demo_db)


# The backends the store, gazetteer, boundary, coverage and API tests run on (the fixtures below take
# one parameter: each such test runs once per backend).
BACKENDS = ["geopackage", "postgis"]


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """The PostgreSQL server of this session (a throwaway cluster, or MZGIS_TEST_PG)."""
    need(
        os.environ.get("MZGIS_TEST_PG") or Path("/usr/lib/postgresql/15/bin/initdb").exists(),
        "PostgreSQL 15 with PostGIS (apt-get install postgresql-15 postgresql-15-postgis-3)",
    )
    with pg_server() as server:
        yield server


def _database(request: pytest.FixtureRequest, template: str) -> str:
    server: PgServer = request.getfixturevalue("pg")
    url = server.database(template)
    request.addfinalizer(lambda: server.drop(url))
    return url


def _postgis(request: pytest.FixtureRequest, url: str) -> Backend:
    from mzgis.store.postgis import PostGISStore

    clock = ticking_clock()
    clock()  # as making a GeoPackage does (its creation stamp): the stamps of the edits agree on both backends
    store = PostGISStore(url, clock=clock)
    request.addfinalizer(store.close)
    return store


@pytest.fixture(params=BACKENDS)
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """An empty store on each backend."""
    if request.param == "geopackage":
        return GeoPackageStore.create(tmp_path / "empty.gpkg", clock=ticking_clock())
    return _postgis(request, _database(request, "empty"))


@pytest.fixture
def empty_gpkg(tmp_path: Path) -> GeoPackageStore:
    """An empty GeoPackage (for what is about the file itself)."""
    return GeoPackageStore.create(tmp_path / "empty.gpkg", clock=ticking_clock())


@pytest.fixture
def demo_path(tmp_path: Path) -> Path:
    """A private copy of the committed demo GeoPackage."""
    target = tmp_path / "demo.gpkg"
    with closing(sqlite3.connect(default_demo_path())) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


@pytest.fixture(params=BACKENDS)
def demo_db(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """The demo county on each backend: a private copy of the GeoPackage, or a database holding it."""
    if request.param == "geopackage":
        return request.getfixturevalue("demo_path")  # type: ignore[no-any-return]
    return _database(request, "demo")


@pytest.fixture
def demo_pg_url(request: pytest.FixtureRequest) -> str:
    """A database holding the demo county (for what is about PostGIS only)."""
    return _database(request, "demo")


@pytest.fixture
def demo_store(request: pytest.FixtureRequest, demo_db: Path | str) -> Backend:
    """The demo county's store on each backend."""
    if isinstance(demo_db, Path):
        return GeoPackageStore(demo_db, clock=ticking_clock())
    return _postgis(request, demo_db)


@pytest.fixture
def demo_gpkg(demo_path: Path) -> GeoPackageStore:
    """The demo county's GeoPackage (for what is about the file itself)."""
    return GeoPackageStore(demo_path, clock=ticking_clock())


@contextmanager
def serving(path: Path | str, *, prelude: str = "", tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """``mzgis serve`` on ``path`` in its own process on a free local port (a client in this process, such
    as GDAL holding the GIL, must not starve the server), after ``prelude`` (Python run first in that
    process); ``tls``: a certificate and its key, served over HTTPS; yields its URL and stops it after."""
    import socket
    import ssl
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = f"{prelude}\nfrom mzgis.cli import main; main()"
    certificate = ["--certfile", str(tls[0]), "--keyfile", str(tls[1])] if tls else []
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--db", str(path), "--port", str(port), *certificate],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ | {"MZGIS_MAX_FEATURES": "100"},  # small pages: clients must follow the next links
    )
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    trust = ssl.create_default_context(cafile=str(tls[0])) if tls else None
    try:
        for _ in range(400):
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=1, context=trust):
                    break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server died") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.fixture
def live_server(demo_path: Path, tokens: dict[str, str]) -> Iterator[str]:
    """The app on the demo copy (with the test accounts), served by ``mzgis serve``; yields its URL."""
    with serving(demo_path) as url:
        yield url


@pytest.fixture
def gdal_signed_in(tokens: dict[str, str]) -> Iterator[None]:
    """GDAL's HTTP requests carry the viewer's bearer token (GDAL_HTTP_AUTH=BEARER, as a QGIS user would set)."""
    import pyogrio

    pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": "BEARER", "GDAL_HTTP_BEARER": tokens["查看员"]})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_AUTH": None, "GDAL_HTTP_BEARER": None})


# what takes seconds per test: a browser, or the app served in a process of its own
SLOW_FIXTURES = {"browser", "live_server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start a browser or a server are marked slow (``dev.py test --quick`` leaves them out)."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or "serving(" in _source(item):
            item.add_marker(pytest.mark.slow)


def _source(item: pytest.Item) -> str:
    import inspect

    function = getattr(item, "function", None)
    try:
        return inspect.getsource(function) if function is not None else ""
    except (OSError, TypeError):
        return ""
