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
