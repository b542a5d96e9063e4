"""What is particular to the PostGIS backend: URLs everywhere a path works, the schema made in an existing
database, copying whole stores both ways, revisions in commit order, and many writers at once (row locks,
scope locks, no lost acknowledged write)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pyogrio
import pytest
from shapely.geometry import Point
from typer.testing import CliRunner

from mzgis.cli import app
from mzgis.errors import Conflict, InvalidStore, StaleVersion
from mzgis.gazetteer.service import Gazetteer
from mzgis.settings import default_demo_path
from mzgis.store import Feature, GeoPackageStore, create_store, open_store
from mzgis.store.copy import copy_store, store_checksums
from mzgis.store.postgis import PostGISStore
from mzgis.users import Users
from tests.needs import need
from tests.pg_server import PgServer

runner = CliRunner()


@pytest.fixture
def fresh_db(pg: PgServer) -> Iterator[str]:
    """A database with PostGIS and nothing of mzgis."""
    url = pg.database()
    yield url
    pg.drop(url)


def _cn(i: int) -> str:
    """A number in Chinese digits (names may not hold Arabic numerals)."""
    return "".join("零一二三四五六七八九"[int(d)] for d in str(i))


def _name(i: int, town: str = "331004106") -> dict[str, str]:
    return {"name": f"测试{_cn(i)}号桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": town}


# ---------------------------------------------------------------- URLs and the CLI


def test_init_makes_the_schema_in_the_database_and_never_a_file(fresh_db: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    made = runner.invoke(app, ["init", fresh_db])
    assert made.exit_code == 0, made.output
    assert "已新建" in made.output and "(空)" in made.output
    assert list(tmp_path.iterdir()) == []  # no "postgresql:" folder, no file
    again = runner.invoke(app, ["init", fresh_db])
    assert again.exit_code == 4 and "已有 mzgis 数据;如要清空重建请加 --force" in again.output
    info = runner.invoke(app, ["info", "--db", fresh_db])
    assert info.exit_code == 0 and "place_names" in info.output, info.output
    demo = runner.invoke(app, ["init", fresh_db, "--demo", "--force"])
    assert demo.exit_code == 0, demo.output
    store = open_store(fresh_db)
    assert store.count("place_names") == GeoPackageStore(default_demo_path()).count("place_names") == 250
    store.close()


def test_names_commands_work_on_the_database(demo_pg: PostGISStore) -> None:
    url = demo_pg.url
    added = runner.invoke(
        app,
        ["names", "add", "金清大桥", "--category", "transport_facility", "--subcategory", "bridge",
         "--admin", "331004106", "--lon", "121.49", "--lat", "28.525", "--db", url, "--reason", "新建"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    found = demo_pg.features("place_names", where={"name": "金清大桥"})
    assert [(f.properties["romanized"], f.version) for f in found] == [("Jinqing Daqiao", 1)]
    searched = runner.invoke(app, ["names", "search", "jqdq", "--db", url])
    assert searched.exit_code == 0 and "金清大桥" in searched.output, searched.output
    history = runner.invoke(app, ["names", "history", str(found[0].id), "--db", url])
    assert history.exit_code == 0 and "新建" in history.output


def test_a_database_that_cannot_be_reached_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://mz:s3cret@{str(tmp_path / 'nosock').replace('/', '%2F')}/nowhere"
    result = runner.invoke(app, ["info", "--db", url])
    assert result.exit_code == 6, result.output
    assert "无法连接数据库" in result.output and "s3cret" not in result.output
    assert "Traceback" not in result.output


def test_a_database_without_mzgis_says_how_to_make_it(fresh_db: str) -> None:
    with pytest.raises(InvalidStore, match=r"中没有 mzgis 数据\(可用 mzgis init .* 新建\)"):
        PostGISStore(fresh_db)


# ---------------------------------------------------------------- copying


def test_copy_both_ways_keeps_ids_versions_and_history(demo_pg: PostGISStore, pg: PgServer, tmp_path: Path) -> None:
    gaz = Gazetteer(demo_pg)
    made = gaz.create(_name(1), Point(121.49, 28.525), user="地名科", reason="新建")
    gaz.rename(made.id, "测试甲号桥", expected_version=1, user="地名科", reason="更名")
    users = Users(demo_pg)  # accounts travel with the password's state and the second factor
    users.add("新人", "viewer", "Long-enough-1", by="管理员")  # to change at the first sign-in
    users.add("管理员", "admin", "Long-enough-2", by="setup", temporary=False)
    users.set_second_factor("管理员", "JBSWY3DPEHPK3PXP", by="管理员")
    accounts = {a["name"]: a for a in demo_pg.accounts()}
    identity = demo_pg.identity()  # the database got one when first asked (its demo source had none)
    back = tmp_path / "back.gpkg"
    out = runner.invoke(app, ["copy", demo_pg.url, str(back)])
    assert out.exit_code == 0, out.output
    assert "place_names 251" in out.output and "已逐表核对条数和校验和" in out.output
    copied = GeoPackageStore(back)
    assert copied.get("place_names", made.id).version == 2
    assert [e.reason for e in copied.audit(layer="place_names", feature_id=made.id)] == ["新建", "更名"]
    assert store_checksums(copied) == store_checksums(demo_pg)
    frame = pyogrio.read_dataframe(back, layer="place_names", where="name = '测试甲号桥'")  # GDAL opens the copy
    assert list(frame["version"]) == [2]
    # and into another database: a county's file joining the city's
    other = pg.database("empty")
    again = runner.invoke(app, ["copy", str(back), other])
    assert again.exit_code == 0, again.output
    joined = open_store(other)
    assert store_checksums(joined) == store_checksums(copied)
    # a copy is the same store moved: it keeps the identity its exports carry
    assert joined.identity() == copied.identity() == identity
    for store in (copied, joined):
        assert {a["name"]: a for a in store.accounts()} == accounts
        assert Users(store).get("新人").password_change == "initial" and Users(store).get("管理员").second_factor
    # the copy goes on as a store of its own: the next id follows, the index sees the copied names
    nxt = Gazetteer(joined).create(_name(2), Point(121.49, 28.526), user="地名科")
    assert nxt.id == made.id + 1
    assert joined.changed_since("place_names", joined.revision("place_names") - 1) == [nxt.id]
    joined.close()
    pg.drop(other)


def test_each_new_store_has_an_identity_of_its_own(pg: PgServer, tmp_path: Path) -> None:
    import uuid

    url = pg.database("empty")
    made = [create_store(tmp_path / "a.gpkg"), create_store(tmp_path / "b.gpkg"), open_store(url)]
    ids = [s.identity() for s in made]
    assert len(set(ids)) == 3 and all(str(uuid.UUID(i)) == i for i in ids)
    assert [s.identity() for s in made] == ids  # asked again: the same
    made[2].close()
    pg.drop(url)


def test_a_store_made_before_identities_gets_one_once(tmp_path: Path) -> None:
    import shutil

    from mzgis.settings import default_demo_path

    shutil.copyfile(default_demo_path(), tmp_path / "old.gpkg")
    first, second = GeoPackageStore(tmp_path / "old.gpkg"), GeoPackageStore(tmp_path / "old.gpkg")
    assert first.meta("store_id") is None
    assert first.identity() == second.identity() == first.meta("store_id")
    second.set_meta("store_id", "later", keep=True)  # the first to claim it decides
    assert first.identity() != "later"


def test_copy_refuses_a_target_that_holds_data_and_writes_nothing(demo_pg: PostGISStore, tmp_path: Path) -> None:
    target = create_store(tmp_path / "t.gpkg")
    target.insert("boundary_markers", {"marker_id": "X-1", "line_name": "甲乙线", "kind": "single",
                                       "condition": "intact"}, Point(121.4, 28.5), user="甲")  # fmt: skip
    with pytest.raises(Conflict, match="只能复制到空的"):
        copy_store(demo_pg, target)
    assert target.count("place_names") == 0 and target.count("boundary_markers") == 1


# ---------------------------------------------------------------- revisions and concurrency


def test_a_change_committed_later_with_an_earlier_audit_id_is_not_missed(demo_pg: PostGISStore) -> None:
    """Audit ids are handed out when rows are written, not when they commit: a cache that kept the largest id
    it saw would miss the slower transaction. The revision is raised at commit, so it does not."""
    gaz = Gazetteer(demo_pg)
    slow_started, fast_done = threading.Event(), threading.Event()

    def slow() -> list[Feature]:
        def wait(tx, saved):  # type: ignore[no-untyped-def]
            slow_started.set()
            assert fast_done.wait(10)

        return gaz.apply([_edit(_name(1))], user="甲", comment="慢", then=wait)

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(slow)
        assert slow_started.wait(10)
        fast = Gazetteer(demo_pg).create(_name(2, "331004001"), _inside(demo_pg, "331004001"), user="乙")
        seen = demo_pg.revision("place_names")  # what a cache keyed by revision now holds
        fast_done.set()
        (slow_saved,) = future.result(timeout=10)
    assert slow_saved.id < fast.id  # the slow one wrote (and got its ids) first
    assert slow_saved.id in demo_pg.changed_since("place_names", seen)


JINQING = Point(121.49, 28.525)  # in 金清镇


def _edit(props: dict[str, str], geometry: Point = JINQING):  # type: ignore[no-untyped-def]
    from mzgis.gazetteer.edits import Edit

    return Edit("create", properties=props, geometry=geometry)


def _inside(store: PostGISStore, code: str) -> Point:
    """A point in the admin unit ``code``."""
    (unit,) = store.features("admin_units", where={"code": code})
    assert unit.geometry is not None
    return unit.geometry.representative_point()


def test_twenty_editors_on_one_version_one_saves_nineteen_conflict(demo_pg: PostGISStore) -> None:
    name = demo_pg.features("place_names", where={"name": "方林村"})[0]
    barrier = threading.Barrier(20)

    def edit(i: int) -> str:
        gaz = Gazetteer(PostGISStore(demo_pg.url))
        barrier.wait()
        try:
            gaz.update(name.id, {"origin": f"编辑{i}"}, expected_version=name.version, user=f"编辑{i}", reason="改来历")
        except StaleVersion:
            return "conflict"
        finally:
            gaz.store.close()
        return "saved"

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(edit, range(20)))
    assert sorted(results) == ["conflict"] * 19 + ["saved"]
    after = demo_pg.get("place_names", name.id)
    assert after.version == name.version + 1
    assert len([e for e in demo_pg.audit(layer="place_names", feature_id=name.id) if e.reason == "改来历"]) == 1


def test_editors_in_other_townships_do_not_wait_for_a_held_scope(demo_pg: PostGISStore) -> None:
    """One save holds township A's scope until the test releases it; saves in the other townships all finish
    meanwhile; a second save in A waits until A's first is done, then is checked against it (a duplicate)."""
    towns = [f.properties["code"] for f in demo_pg.features("admin_units", where={"parent_code": "331004"})]
    held, other_towns = towns[0], towns[1:]
    spots = {t: _inside(demo_pg, t) for t in towns}
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        def wait(tx, saved):  # type: ignore[no-untyped-def]
            holding.set()
            assert release.wait(60)  # held until the test lets go, however slow the machine is

        edit = _edit(_name(0, held), _inside(demo_pg, held))
        Gazetteer(PostGISStore(demo_pg.url)).apply([edit], user="甲", comment="占用", then=wait)

    def save(town: str, number: int = 1) -> None:
        gaz = Gazetteer(PostGISStore(demo_pg.url))
        gaz.create(_name(number, town), spots[town], user=f"编辑{town}", reason="新建")
        gaz.store.close()

    with ThreadPoolExecutor(22) as pool:
        holder = pool.submit(hold)
        assert holding.wait(10), holder.exception()
        # by order, not by time: every other township's save finishes while A is still held (a save that
        # waited for A could not finish before the release below)
        list(pool.map(save, other_towns))
        assert len(other_towns) >= 10 and not holder.done()
        same = pool.submit(save, held, 0)  # the name the held save is adding
        time.sleep(0.3)
        assert not same.done()  # waits for the held scope
        release.set()
        holder.result(timeout=10)
        with pytest.raises(Exception, match="同一范围内已有同名"):
            same.result(timeout=10)
    saved = demo_pg.features("place_names", where={"name": "测试一号桥"})
    assert sorted(f.properties["admin_code"] for f in saved) == sorted(other_towns)


WRITER = """
import sys
from shapely.geometry import Point
from mzgis.gazetteer.service import Gazetteer
from mzgis.store import open_store
gaz = Gazetteer(open_store(sys.argv[1]))
for i in range(10_000):
    n = "".join("零一二三四五六七八九"[int(d)] for d in str(i))
    f = gaz.create({"name": f"写入{n}号桥", "category": "transport_facility", "subcategory": "bridge",
                    "admin_code": "331004106"}, Point(121.49, 28.525), user="写入")
    print(f.id, flush=True)  # acknowledged: the save returned
"""


def test_a_killed_writer_loses_no_acknowledged_write(demo_pg: PostGISStore) -> None:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, demo_pg.url], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    acknowledged = []
    for line in proc.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) == 30:
            proc.kill()  # SIGKILL: no clean-up of any kind
            break
    proc.wait(timeout=10)
    proc.stdout.close()
    stored = {f.id for f in demo_pg.iter_features("place_names") if f.updated_by == "写入"}
    assert set(acknowledged) <= stored
    assert len(stored) - len(acknowledged) <= 1  # at most the one committed as it was killed
    with psycopg.connect(demo_pg.url) as conn:  # nothing left half-done: every stored name has its audit row
        (orphans,) = conn.execute(
            "SELECT count(*) FROM place_names p WHERE updated_by = '写入' AND NOT EXISTS"
            " (SELECT 1 FROM mzgis_audit a WHERE a.layer = 'place_names' AND a.feature_id = p.id)"
        ).fetchone()  # type: ignore[misc]
    assert orphans == 0


class _Workers:
    """``mzgis serve --workers N`` on a database, in its own process, with an editor's token."""

    def __init__(self, url: str, workers: int) -> None:
        import socket

        from tests.conftest import add_accounts

        token = add_accounts(url)["地名科"]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        args = ["serve", "--db", url, "--port", str(port), "--workers", str(workers)]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from mzgis.cli import main; main()", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.base = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.workers_expected = workers
        for _ in range(600):  # a loaded machine starts the workers slowly
            try:
                urllib.request.urlopen(self.base + "/api/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        self.all_answering()

    def all_answering(self) -> None:
        """Wait until every worker has answered a request (each has started and logged so)."""
        seen: set[int] = set()
        for _ in range(600):
            seen.add(int(self.call("GET", "/api/health")["worker"]))
            workers = set(self.workers())
            if len(workers) == self.workers_expected and workers <= seen:
                return
            time.sleep(0.05)
        raise AssertionError(f"not every worker answered: {sorted(seen)} of {sorted(self.workers())}")

    def children(self) -> list[int]:
        return [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]

    def workers(self) -> list[int]:
        """The worker processes (uvicorn spawns them; a helper such as a resource tracker is not one)."""
        return [p for p in self.children() if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]

    def call(self, method: str, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data, self.headers, method=method)
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read())

    def found(self, q: str) -> bool:
        return any(h["name"] == q for h in self.call("GET", "/api/names?q=" + urllib.parse.quote(q)))

    def stop(self) -> tuple[str, str]:
        self.proc.terminate()
        return self.proc.communicate(timeout=30)


@pytest.mark.slow  # server processes of their own
def test_several_server_workers_share_the_database(demo_pg: PostGISStore) -> None:
    """``mzgis serve --workers 2``: a name saved through one worker is found by every search after it,
    whichever worker answers (the search asks the database)."""
    server = _Workers(demo_pg.url, 2)
    try:
        assert len(server.workers()) == 2
        assert not any(server.found("金清大桥") for _ in range(10))
        body = {"name": "金清大桥", "category": "transport_facility", "subcategory": "bridge",
                "admin_code": "331004106", "geometry": {"type": "Point", "coordinates": [121.49, 28.525]}}  # fmt: skip
        server.call("POST", "/api/names", body)
        assert all(server.found("金清大桥") for _ in range(20))
        with psycopg.connect(demo_pg.url, autocommit=True) as conn:  # and a rename in psql, seen by all
            conn.execute(
                "UPDATE place_names SET name = '金清一桥', specific = '金清一', generic = '桥' WHERE name = '金清大桥'"
            )
        assert all(server.found("金清一桥") for _ in range(20))
    finally:
        out, err = server.stop()
    assert "2 个服务进程" in out, err[-2000:]


@pytest.mark.slow  # server processes of their own
def test_a_server_worker_killed_during_writes_loses_no_acknowledged_write(demo_pg: PostGISStore) -> None:
    """Two editors save names through ``serve --workers 2``; one worker is killed with SIGKILL mid-stream.
    Every save the server acknowledged is stored with its audit row; the server goes on answering."""
    server = _Workers(demo_pg.url, 2)
    acknowledged: list[int] = []
    failed: list[str] = []
    stop = threading.Event()

    def editor(k: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            body = {"name": f"测试{_cn(k * 1000 + i)}号桥", "category": "transport_facility",
                    "subcategory": "bridge", "admin_code": "331004106",
                    "geometry": {"type": "Point", "coordinates": [121.49, 28.525]}}  # fmt: skip
            try:
                acknowledged.append(int(server.call("POST", "/api/names", body)["id"]))
            except OSError as exc:  # the killed worker's request: not acknowledged
                failed.append(str(exc))

    try:
        threads = [threading.Thread(target=editor, args=(k,)) for k in (1, 2)]
        for t in threads:
            t.start()
        while len(acknowledged) < 20:
            time.sleep(0.02)
        first = server.workers()
        victim = first[0]
        os.kill(victim, 9)  # SIGKILL to one worker, whatever it is doing
        before = len(acknowledged)
        while len(acknowledged) < before + 20:  # the server goes on saving
            time.sleep(0.02)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert victim not in server.workers()
        for _ in range(100):  # the supervisor notices within a second or so and starts another worker
            if len(server.workers()) == 2:
                break
            time.sleep(0.1)
        health = server.call("GET", "/api/health")
        assert (health["backend"], health["workers"], health["layers"]) == ("postgis", 2, 9)
        assert health["worker"] in server.workers()
    finally:
        _, err = server.stop()
    # the server's log says which worker died and that another took its place, with the time
    died = [line for line in err.splitlines() if f"Child process [{victim}] died" in line]
    assert len(died) == 1 and "WARNING" in died[0] and "a new worker is started in its place" in died[0], err[-2000:]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", died[0])
    assert [line.split("INFO:")[-1].strip() for line in err.splitlines() if "Started server process" in line][:2] == [
        f"Started server process [{pid}]" for pid in sorted(set(first), key=lambda p: err.index(f"[{p}]"))
    ]  # the two workers' starts, then (if it came up before the stop) the replacement's
    stored = {f.id for f in demo_pg.iter_features("place_names") if str(f.properties["name"]).startswith("测试")}
    assert set(acknowledged) <= stored and len(acknowledged) >= 40
    assert len(stored) - len(acknowledged) <= 2  # at most one per editor committed as the worker died
    with psycopg.connect(demo_pg.url) as conn:  # every stored name has its audit row
        (orphans,) = conn.execute(
            "SELECT count(*) FROM place_names p WHERE name LIKE '测试%' AND NOT EXISTS"
            " (SELECT 1 FROM mzgis_audit a WHERE a.layer = 'place_names' AND a.feature_id = p.id)"
        ).fetchone()  # type: ignore[misc]
    assert orphans == 0


def test_init_without_the_right_to_create_postgis_says_what_to_ask_for(pg: PgServer) -> None:
    role = pg.role("bureau_app")
    url = pg.url_as(pg.database(postgis=False, owner=role), role)
    made = runner.invoke(app, ["init", url])
    assert made.exit_code == 6, made.output
    assert "没有 PostGIS 扩展,且无权创建" in made.output and "CREATE EXTENSION postgis" in made.output
    with psycopg.connect(pg.url_as(url, "postgres"), autocommit=True) as conn:  # the administrator does it once
        conn.execute("CREATE EXTENSION postgis")
    again = runner.invoke(app, ["init", url, "--demo"])
    assert again.exit_code == 0, again.output  # the owner makes everything else
    store = open_store(url)
    assert store.count("place_names") == 250
    store.close()
    pg.drop(url)


def test_a_save_that_waits_too_long_for_a_lock_is_busy_and_changes_nothing(demo_pg: PostGISStore) -> None:
    """Another tool holds a name's row (an open psql transaction); a save of it waits ``write_wait_s``, then
    is refused as busy (503 / exit 9 at the edges), nothing written."""
    from mzgis.errors import Busy

    name = demo_pg.features("place_names", where={"name": "方林村"})[0]
    impatient = PostGISStore(demo_pg.url, write_wait_s=0.5)
    with psycopg.connect(demo_pg.url) as holder:
        holder.execute("SELECT 1 FROM place_names WHERE id = %s FOR UPDATE", (name.id,))
        start = time.monotonic()
        with pytest.raises(Busy, match="正被另一位用户修改,等待超时;本次修改未保存"):
            Gazetteer(impatient).update(name.id, {"origin": "改"}, expected_version=name.version, user="甲")
        assert 0.4 < time.monotonic() - start < 60  # it waited its 0.5 s (a bound no load can break)
        holder.rollback()
    impatient.close()
    assert demo_pg.get("place_names", name.id) == name


def test_ogr2ogr_appends_to_the_database_like_any_other_tool(demo_pg: PostGISStore, tmp_path: Path) -> None:
    """GDAL's own PostgreSQL driver (Debian's ogr2ogr, as a bureau's scripts use it): an appended facility is
    versioned and audited by the database, one of a kind the layer model does not know is refused."""
    import json
    import shutil

    from psycopg.conninfo import conninfo_to_dict

    need(shutil.which("ogr2ogr"), "Debian's ogr2ogr (apt-get install gdal-bin)")
    conninfo = " ".join(f"{k}='{v}'" for k, v in conninfo_to_dict(demo_pg.url).items())

    def append(kind: str) -> subprocess.CompletedProcess[str]:
        feature = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.40, 28.58]},
                   "properties": {"name": "测试敬老院", "kind": kind, "admin_code": "331004002", "beds": 20}}  # fmt: skip
        path = tmp_path / f"{kind}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
        args = ["ogr2ogr", "-append", "-f", "PostgreSQL", f"PG:{conninfo}", str(path), "-nln", "eldercare_facilities"]
        return subprocess.run(args, capture_output=True, text=True, timeout=120)

    done = append("institution")
    assert done.returncode == 0, done.stderr
    (added,) = demo_pg.features("eldercare_facilities", where={"name": "测试敬老院"})
    assert (added.version, added.updated_by) == (1, "external")
    history = demo_pg.audit(layer="eldercare_facilities", feature_id=added.id)
    # the tool named as its session named itself (GDAL gives its version: 在 mzgis 之外修改(GDAL 3.6.2))
    assert [(e.action, e.reason.split("(")[0], e.reason.split("(")[1][:5]) for e in history] == [
        ("insert", "在 mzgis 之外修改", "GDAL ")
    ]
    refused = append("hotel")
    assert "类型(kind)只能取" in refused.stderr  # the database's CHECK, by its Chinese name
    assert len(demo_pg.features("eldercare_facilities", where={"name": "测试敬老院"})) == 1
