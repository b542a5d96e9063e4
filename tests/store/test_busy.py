"""A writer that waits out another process's write lock gets one clear answer, never a 500 or a traceback,
and learns what the file is busy with."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mzgis.api import create_app
from mzgis.api.models import ErrorOut
from mzgis.cli import app
from mzgis.errors import Busy
from mzgis.settings import Settings
from mzgis.store import GeoPackageStore
from tests.conftest import PASSWORD, bearer


@contextmanager
def held_by_an_import(path: Path) -> Iterator[None]:
    """Another process's long import: mzgis's own transaction, held open in a thread."""
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        with GeoPackageStore(path).transaction(user="dimingke", reason="导入 names.csv"):
            started.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    started.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()


def test_store_writes_give_up_after_the_wait_and_name_the_holder(demo_path: Path) -> None:
    store = GeoPackageStore(demo_path, write_wait_s=0.2)
    name = store.features("eldercare_facilities")[0]
    with held_by_an_import(demo_path), pytest.raises(Busy) as busy:
        store.update(
            "eldercare_facilities", name.id, expected_version=name.version, user="王五", properties={"operator": "x"}
        )
    assert "数据文件正被另一个程序写入(dimingke:导入 names.csv," in busy.value.message_zh
    assert "已等待 0.2 秒仍未轮到;本次修改未保存" in busy.value.message_zh and busy.value.retry_after == 5
    assert store.get("eldercare_facilities", name.id).version == name.version  # nothing changed
    assert not demo_path.with_name(demo_path.name + ".writer").exists()  # the note goes with the lock
    store.update(
        "eldercare_facilities", name.id, expected_version=name.version, user="王五", properties={"operator": "x"}
    )


def test_api_answers_503_with_retry_after_in_the_error_shape(demo_path: Path, tokens: dict[str, str]) -> None:
    settings = Settings(db=demo_path, write_wait_s=0.2, _env_file=None)
    with TestClient(create_app(settings), headers=bearer(tokens["地名科"])) as client:
        with held_by_an_import(demo_path):
            patched = client.patch("/api/names/1", json={"version": 1, "origin": "新的来历"})
            created = client.post(
                "/api/names",
                json={"name": "金清大桥", "category": "transport_facility", "admin_code": "331004106",
                      "geometry": {"type": "Point", "coordinates": [121.49, 28.525]}},
            )  # fmt: skip
            signed = client.post("/api/auth/token", json={"name": "地名科", "password": PASSWORD})
        for resp in (patched, created, signed):
            assert resp.status_code == 503 and resp.headers["Retry-After"] == "5", resp.text
            error = ErrorOut.model_validate(resp.json())
            assert error.error == "busy" and "导入 names.csv" in error.message, resp.request.url
        assert client.get("/api/names/1").json()["properties"]["version"] == 1


def test_cli_writers_print_one_line_and_exit_9(demo_path: Path, tokens: dict[str, str], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MZGIS_WRITE_WAIT_S", "0.2")
    runner = CliRunner()
    with held_by_an_import(demo_path):
        moved = runner.invoke(
            app, ["names", "move", "1", "--lon", "121.40", "--lat", "28.58", "--version", "1", "--db", str(demo_path)]
        )
        token = runner.invoke(app, ["users", "token", "地名科", "--db", str(demo_path)])
    for result in (moved, token):
        assert result.exit_code == 9, result.output
        assert result.output.startswith("错误:数据文件正被另一个程序写入") and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_readers_are_never_blocked_by_a_writer(demo_path: Path) -> None:
    with held_by_an_import(demo_path), closing(sqlite3.connect(demo_path, timeout=0.1)):
        assert GeoPackageStore(demo_path, write_wait_s=0.1).count("place_names") > 0
