"""The package's public surface: importing mzgis loads no web stack."""

from __future__ import annotations

import subprocess
import sys


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
    (io reads and writes files for them; the coverage ↔ io cycle is gone)."""
    import ast
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "mzgis"
    forbidden = {
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
