#!/usr/bin/env python3
"""Set up and run mzgis on a fresh machine with only Python (and, later, Node.js).

    python3 scripts/dev.py run    set up, create var/demo.gpkg from the demo county with demo accounts, start the app
    python3 scripts/dev.py test   set up, then lint (ruff), type-check (mypy) and run every test (pytest)
    python3 scripts/dev.py setup  only set up: .venv with the pinned packages, mzgis installed editable

Set-up is skipped when requirements.lock and pyproject.toml have not changed since the last one.
Uses only the standard library, so it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".mzgis-setup"
DEMO_DB = REPO / "var" / "demo.gpkg"
# Accounts of the local demo copy only (var/ is not committed; real files get their own with mzgis users add).
DEMO_PASSWORD = "Luqiao-2026"
DEMO_USERS = {"admin": "admin", "shenpi": "approver", "dimingke": "editor", "guihuake": "planner", "viewer": "viewer"}


def _run(*cmd: str | Path) -> None:
    print("$", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=REPO, check=True)


def _fingerprint() -> str:
    h = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml", "src/mzgis/web/package-lock.json"):
        h.update((REPO / name).read_bytes())
    return h.hexdigest()


def setup() -> None:
    """Create .venv and install the pinned packages and mzgis (editable)."""
    if STAMP.exists() and STAMP.read_text() == _fingerprint() and PY.exists():
        return
    if not PY.exists():
        print(f"creating {VENV.name}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PY, "-m", "pip", "install", "--quiet", "-r", "requirements.lock")
    _run(PY, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ".")
    npm = shutil.which("npm")
    if npm is None:  # the page, its API docs and every exported map need Leaflet: no half set-up
        raise SystemExit(
            "set-up needs npm (Node.js) to install the page's libraries (Leaflet, Swagger UI);"
            " install Node.js and run again"
        )
    _run(npm, "ci", "--no-audit", "--no-fund", "--prefix", "src/mzgis/web")
    STAMP.write_text(_fingerprint())


# the demo's accounts sign in with the password above at once (a bureau's own are changed at first sign-in)
DEMO_FLAGS = ("--password-stdin", "--no-change-required")


def run(host: str, port: int) -> None:
    setup()
    if not DEMO_DB.exists():
        _run(BIN / "mzgis", "init", DEMO_DB, "--demo")
        for name, role in DEMO_USERS.items():
            print(f"$ mzgis users add {name} --role {role} {' '.join(DEMO_FLAGS)}", flush=True)
            subprocess.run(
                [str(BIN / "mzgis"), "users", "add", name, "--role", role, *DEMO_FLAGS, "--db", str(DEMO_DB)],
                input=DEMO_PASSWORD + "\n",
                text=True,
                check=True,
                cwd=REPO,
            )
    else:  # a copy made by an earlier version: bring it to the current layer model, keeping its edits
        _run(BIN / "mzgis", "upgrade", "--db", DEMO_DB)
    print(
        f"demo accounts: {', '.join(f'{n} ({r})' for n, r in DEMO_USERS.items())}; password {DEMO_PASSWORD}", flush=True
    )
    os.execv(
        str(BIN / "mzgis"), [str(BIN / "mzgis"), "serve", "--db", str(DEMO_DB), "--host", host, "--port", str(port)]
    )


def test(pytest_args: list[str], *, quick: bool = False) -> None:
    """Lint, type-check and run every test; ``quick``: leave out the tests marked slow (a browser, a server
    in its own process, the API fuzzing), for the loop of editing and testing; CI runs them all."""
    setup()
    _run(BIN / "ruff", "check", "src", "tests", "scripts")
    _run(BIN / "ruff", "format", "--check", "src", "tests", "scripts")
    _run(BIN / "mypy")
    chosen = ["-m", "not slow"] if quick else []
    _run(PY, "-m", "pytest", *_parallel(pytest_args), *chosen, *pytest_args)


def _parallel(pytest_args: list[str]) -> list[str]:
    """pytest-xdist's options unless given: two processes per core (the tests wait on servers, browsers and
    databases as much as they compute), at most 8, the idle ones taking work from the busy."""
    if any(a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist" for a in pytest_args):
        return []
    return ["-n", str(min(8, 2 * (os.cpu_count() or 1))), "--dist", "worksteal"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="set up and start the app on the demo county")
    p_run.add_argument("--host", default="127.0.0.1")
    p_run.add_argument("--port", type=int, default=8000)
    p_test = sub.add_parser("test", help="set up, lint, type-check and run the tests")
    p_test.add_argument("--quick", action="store_true", help="leave out the tests marked slow (CI runs them)")
    p_test.add_argument("pytest_args", nargs=argparse.REMAINDER, help="passed to pytest")
    sub.add_parser("setup", help="only set up the environment")
    args, extra = parser.parse_known_args()  # pytest's own options (-q, -k …) go to pytest
    if extra and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "run":
            run(args.host, args.port)
        elif args.command == "test":
            test([*extra, *args.pytest_args], quick=args.quick)
        else:
            setup()
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
