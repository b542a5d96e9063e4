"""Fixtures of the store tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mzgis.store.postgis import PostGISStore
from tests.pg_server import PgServer


@pytest.fixture
def demo_pg(pg: PgServer) -> Iterator[PostGISStore]:
    """The demo in a database of its own (dropped afterwards)."""
    url = pg.database("demo")
    store = PostGISStore(url)
    yield store
    store.close()
    pg.drop(url)
