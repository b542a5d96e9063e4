"""The package's public surface: importing mzgis loads no web stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.needs import need


def test_import_mzgis_does_not_import_the_web_stack() -> None:
    code = (
        "import sys, mzgis, mzgis.layers, mzgis.crs, mzgis.store, mzgis.io.importer, mzgis.gazetteer.romanize\n"
        "heavy = sorted(m for m in ('fastapi', 'uvicorn', 'folium', 'starlette') if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_every_module_declares_all() -> None:
    import importlib
    import pkgutil

    import mzgis

    missing = []
    for info in pkgutil.walk_packages(mzgis.__path__, "mzgis."):
        if info.ispkg:
            continue
        module = importlib.import_module(info.name)
        if not hasattr(module, "__all__"):
            missing.append(info.name)
    assert missing == []


def test_packages_import_only_downwards() -> None:
    """No import cycles between packages: the analyses and the store never import io, the API or the CLI
    (io reads and writes files for them; the coverage ↔ io cycle is gone), and io never imports the
    print-map views, the API or the CLI that use it."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "mzgis"
    forbidden = {
        "io": {"api", "cli", "mapviews"},  # files for the others: never what composes them
        "coverage": {"io", "api", "cli"},
        "boundary": {"io", "api", "cli"},
        "gazetteer": {"io", "api", "cli", "coverage", "boundary"},
        "store": {"io", "api", "cli", "coverage", "boundary", "gazetteer"},
    }
    found = []
    for package, banned in forbidden.items():
        for path in (src / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mzgis."):
                    top = node.module.split(".")[1]
                    if top in banned:
                        found.append(f"{path.relative_to(src)} imports {node.module}")
    assert found == []


INSTALLED_PAGE = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])  # the installed copy, ahead of the checkout's editable one
import mzgis
assert mzgis.__file__.startswith(sys.argv[1]), mzgis.__file__
from fastapi.testclient import TestClient
from mzgis.api import create_app
from mzgis.settings import Settings, default_db_path
client = TestClient(create_app(Settings(db=sys.argv[2])))
for path in ("/", "/web/app.js", "/static/leaflet/leaflet.js", "/static/leaflet/images/layers.png", "/docs",
             "/static/swagger-ui/swagger-ui-bundle.js"):
    print(path, client.get(path).status_code)
print("default", default_db_path().name, default_db_path().parent == __import__("pathlib").Path.cwd())
"""


@pytest.mark.slow  # server processes of their own
def test_an_installed_mzgis_serves_the_page_and_its_libraries(tmp_path: Path, demo_path: Path) -> None:
    """``pip install .`` (not editable): the page, Leaflet and Swagger UI are package data, and the data
    file defaults to the current folder, not to a checkout that is not there."""
    from mzgis.settings import WEB_ROOT

    need((WEB_ROOT / "node_modules" / "leaflet").exists(), "the page's libraries (npm ci in src/mzgis/web)")
    root = Path(__file__).resolve().parents[1]
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(root)], check=True, capture_output=True)
    [wheel] = wheels.glob("mzgis-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    shipped = sorted(p.relative_to(site / "mzgis" / "web").as_posix() for p in (site / "mzgis" / "web").rglob("*.*"))
    assert "index.html" in shipped and "node_modules/leaflet/dist/leaflet.js" in shipped
    assert not [p for p in shipped if p.endswith((".map", "-src.js", "package-lock.json"))]  # only what is served
    run = subprocess.run(
        [sys.executable, "-c", INSTALLED_PAGE, str(site), str(demo_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines() == [
        "/ 200",
        "/web/app.js 200",
        "/static/leaflet/leaflet.js 200",
        "/static/leaflet/images/layers.png 200",
        "/docs 200",
        "/static/swagger-ui/swagger-ui-bundle.js 200",
        "default mzgis.gpkg True",
    ]


def test_every_skip_goes_through_need() -> None:
    """A test that cannot run here is skipped only through tests/needs.py, which fails it in CI: no bare
    skip can hide a package CI forgot to install."""
    tests = Path(__file__).resolve().parent
    bare = [
        f"{path.relative_to(tests)}:{n}"
        for path in sorted(tests.rglob("*.py"))
        if path.name != "needs.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if path != Path(__file__).resolve()
        and any(word in line for word in ("pytest.skip(", "skipif(", "importorskip(", "mark.skip("))
    ]
    assert bare == []
