#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster with PostGIS for benchmarks (and, later, tests): initdb into a temporary
folder, the server on a Unix socket there (no TCP port), stopped and removed at the end. Uses Debian's
PostgreSQL 15 binaries and postgresql-15-postgis-3; run as root, the server runs as the postgres user.

    from pg_temp import temporary_cluster
    with temporary_cluster() as dsn:       # "host=/tmp/…/socket dbname=mzgis user=postgres"
        ...

Run directly, it starts a cluster, prints the PostGIS version and stops it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run as the postgres user when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@contextmanager
def temporary_cluster(dbname: str = "mzgis", *, durable: bool = False) -> Iterator[str]:
    """A running cluster with database ``dbname`` and the PostGIS extension; its libpq DSN. ``durable``: a
    commit waits for the disk (fsync on, as a real server runs), for benchmarks that compare with a file
    store that syncs its commits; tests run without it."""
    if not (BIN / "initdb").exists():
        raise SystemExit("PostgreSQL 15 is not installed (apt-get install postgresql-15 postgresql-15-postgis-3)")
    root = Path(tempfile.mkdtemp(prefix="mzgis-pg-"))
    data, sock = root / "data", root / "socket"
    sock.mkdir()
    if os.geteuid() == 0:
        pg = pwd.getpwnam("postgres")
        for path in (root, sock):
            os.chown(path, pg.pw_uid, pg.pw_gid)
    started = False
    try:
        subprocess.run(
            _as_postgres([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
            check=True,
            capture_output=True,
        )
        sync = "on" if durable else "off"
        options = f"-k {sock} -c listen_addresses='' -c fsync={sync} -c shared_buffers=256MB -c work_mem=64MB"
        subprocess.run(
            _as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]),
            check=True,
            capture_output=True,
        )
        started = True
        subprocess.run(
            _as_postgres([str(BIN / "createdb"), "-h", str(sock), "-U", "postgres", dbname]),
            check=True,
            capture_output=True,
        )
        dsn = f"host={sock} dbname={dbname} user=postgres"
        subprocess.run(
            [
                *_as_postgres(["psql", "-h", str(sock), "-U", "postgres", "-d", dbname, "-qAtc"]),
                "CREATE EXTENSION postgis",
            ],
            check=True,
            capture_output=True,
        )
        yield dsn
    finally:
        if started:
            subprocess.run(
                _as_postgres([str(BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]), capture_output=True
            )
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    import psycopg

    with temporary_cluster() as dsn, psycopg.connect(dsn) as conn:
        print(conn.execute("SELECT postgis_full_version()").fetchone()[0])  # type: ignore[index]
