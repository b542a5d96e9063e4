"""mzgis: the GIS workbench of a county civil affairs bureau (民政局).

Importing the package loads only the domain core; the web app (fastapi, uvicorn) is imported by
``mzgis.api`` and the CLI on demand.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
