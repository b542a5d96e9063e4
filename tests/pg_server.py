"""The PostgreSQL server the tests run the PostGIS backend on: a throwaway cluster started once per test
session (Debian's PostgreSQL 15 + PostGIS 3, see scripts/pg_temp.py), or an existing server named by
``MZGIS_TEST_PG`` (a URL of a database whose user may create databases). Each test gets a database of its
own, cloned from a template (empty, or holding the demo county), dropped afterwards."""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

REPO = Path(__file__).resolve().parents[1]


class PgServer:
    """Databases on one server: ``database(template)`` makes a fresh one and returns its URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._ids = itertools.count()
        self._templates: dict[str, str] = {}

    def url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{name}"))

    def role(self, name: str) -> str:
        """A login role without superuser rights (as a bureau's application account is); its URL base."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
                conn.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER")
        return name

    def url_as(self, url: str, user: str) -> str:
        parts = urlsplit(url)
        return urlunsplit(parts._replace(netloc=f"{user}@{parts.netloc.rsplit('@', 1)[-1]}"))

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def _template(self, kind: str) -> str:
        if kind not in self._templates:
            from mzgis.settings import default_demo_path
            from mzgis.store.copy import copy_store
            from mzgis.store.geopackage import GeoPackageStore
            from mzgis.store.postgis import PostGISStore

            name = f"mzgis_template_{kind}_{os.getpid()}"
            self._admin(f"DROP DATABASE IF EXISTS {name}")
            self._admin(f"CREATE DATABASE {name}")
            store = PostGISStore.create(self.url(name))
            if kind == "demo":
                copy_store(GeoPackageStore(default_demo_path()), store)
            store.close()  # a template is cloned only while nobody is connected to it
            self._templates[kind] = name
        return self._templates[kind]

    def database(self, template: str | None = None, *, postgis: bool = True, owner: str | None = None) -> str:
        """A new database (a copy of the ``empty`` or ``demo`` template, else with nothing but PostGIS, or
        nothing at all: ``postgis=False``), owned by ``owner`` when given."""
        name = f"mzgis_test_{os.getpid()}_{next(self._ids)}"
        if template is None:
            self._admin(f"CREATE DATABASE {name}" + (f" OWNER {owner}" if owner else ""))
            if postgis:
                with psycopg.connect(self.url(name), autocommit=True) as conn:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        else:
            self._admin(f"CREATE DATABASE {name} TEMPLATE {self._template(template)}")
        return self.url(name)

    def drop(self, url: str) -> None:
        name = urlsplit(url).path.lstrip("/")
        if re.fullmatch(r"mzgis_test_\d+_\d+", name):
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        for name in self._templates.values():
            self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def pg_server() -> Iterator[PgServer]:
    """The server of this test session."""
    existing = os.environ.get("MZGIS_TEST_PG")
    if existing:
        server = PgServer(existing)
        try:
            yield server
        finally:
            server.close()
        return
    sys.path.insert(0, str(REPO / "scripts"))
    from pg_temp import temporary_cluster

    with temporary_cluster("postgres_admin") as dsn:
        sock = re.search(r"host=(\S+)", dsn)
        assert sock is not None
        server = PgServer(f"postgresql://postgres@{quote(sock.group(1), safe='')}/postgres_admin")
        yield server
