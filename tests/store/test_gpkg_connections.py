"""Connections to a GeoPackage: a save shares one among its reads and its write, and none outlives its call —
GDAL's own SQLite in the same process (pyogrio's copy of the library) deletes the WAL under connections it
does not know of when it closes the file, and a file may be replaced; kept connections lost saves here."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pyogrio
import pytest
from shapely.geometry import Point

from mzgis.gazetteer.service import Gazetteer
from mzgis.store import GeoPackageStore


def _road(gaz: Gazetteer, name: str) -> None:
    gaz.create(
        {"name": name, "category": "transport_facility", "admin_code": "331004001"},
        Point(121.38, 28.58),
        user="地名科",
        reason="测试",
    )


def _names_read_elsewhere(path: Path) -> set[str]:
    """The names as another process reads them from the file."""
    code = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " print(c.execute('PRAGMA integrity_check').fetchone()[0]);"
        " print('\\n'.join(r[0] for r in c.execute('SELECT name FROM place_names')))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    status, *names = out.stdout.splitlines()
    assert status == "ok"
    return set(names)


def test_saves_reach_the_file_when_gdal_in_the_same_process_opens_and_closes_it(demo_path: Path) -> None:
    store = GeoPackageStore(demo_path)
    gaz = Gazetteer(store)
    _road(gaz, "试验一路")  # its connection stays open, idle
    frame = pyogrio.read_dataframe(demo_path, layer="place_names", columns=["name"], read_geometry=False)
    assert "试验一路" in set(frame["name"])  # GDAL saw it; closing, its SQLite believes it is the file's last user
    _road(gaz, "试验二路")
    _road(gaz, "试验三路")
    assert {"试验一路", "试验二路", "试验三路"} <= _names_read_elsewhere(demo_path)
    store.close()


def test_a_file_replaced_under_the_store_is_read_afresh(demo_path: Path, tmp_path: Path) -> None:
    store = GeoPackageStore(demo_path)
    before = store.count("place_names")
    replacement = tmp_path / "replacement.gpkg"
    with closing(sqlite3.connect(demo_path)) as src, closing(sqlite3.connect(replacement)) as dst:
        src.backup(dst)  # the file as it stands
    _road(Gazetteer(store), "试验二路")  # saved in the old file; its connection stays open, idle
    assert store.count("place_names") == before + 1
    for suffix in ("-wal", "-shm"):  # as mzgis init does before it puts a new file in place
        Path(f"{demo_path}{suffix}").unlink(missing_ok=True)
    replacement.replace(demo_path)  # another inode: the idle connections are not used again
    assert store.count("place_names") == before
    assert store.features("place_names", where={"name": "试验二路"}) == []
    store.close()


def test_a_save_opens_one_connection_for_its_reads_and_its_write(
    demo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gaz = Gazetteer(GeoPackageStore(demo_path))
    _road(gaz, "试验一路")  # the rules, readings and admin units are loaded
    opened: list[str] = []
    real = sqlite3.connect

    def counted(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(str(args[0]))
        conn: sqlite3.Connection = real(*args, **kwargs)
        return conn

    monkeypatch.setattr(sqlite3, "connect", counted)
    _road(gaz, "试验二路")
    assert opened == [str(demo_path)]
    gaz.check("试验三路", "transport_facility", "331004001")
    assert opened == [str(demo_path)] * 2
