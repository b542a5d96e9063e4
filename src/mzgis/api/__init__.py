"""The web API (FastAPI): ``create_app(settings)``, dependencies, one router per area, error mapping.

Routes are thin: they parse the request, call the store or a service, and shape the response. No domain
logic lives here. Importing :mod:`mzgis` does not import this package.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse

from mzgis import __version__
from mzgis.api.deps import StoreDep, read_access
from mzgis.api.errors import install_error_handlers
from mzgis.api.guard import RequestGuard, content_security_policy
from mzgis.api.models import COMMON_ERRORS, HealthOut
from mzgis.api.routes import analysis, auth, layers, names, ogc, procedures
from mzgis.gazetteer.romanize import prepare
from mzgis.gazetteer.service import Gazetteer
from mzgis.settings import Settings
from mzgis.store import is_database_url, open_store
from mzgis.users import Users

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application on ``settings`` (read from the environment when not given)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.store = open_store(settings.db, write_wait_s=settings.write_wait_s)
        app.state.gazetteer = Gazetteer(app.state.store)
        app.state.users = Users(app.state.store, policy=settings.account_policy(), secret_key=settings.secret_key())
        await anyio.to_thread.run_sync(prepare)  # the spelling's tables, once, before the first request
        try:
            yield
        finally:
            app.state.store.close()

    app = FastAPI(
        docs_url=None,  # served below from local files: bureau networks often have no internet
        redoc_url=None,
        title="mzgis API",
        version=__version__,
        description=(
            "区县民政局 GIS 工作台接口:图层、标准地名、界线、覆盖分析。坐标一律为 EPSG:4490 (CGCS2000) 经纬度。"
        ),
        lifespan=lifespan,
        responses=COMMON_ERRORS,
    )
    install_error_handlers(app)
    app.add_middleware(
        RequestGuard,
        max_body=settings.max_body_bytes,
        csp=content_security_policy(settings.tile_url),
        https=settings.certfile is not None,
    )
    _offline_docs(app)
    app.include_router(auth.router)
    # every data route needs a signed-in viewer unless reads are open (writes check their own role)
    reads = [Depends(read_access)]
    app.include_router(layers.router, dependencies=reads)
    app.include_router(names.router, dependencies=reads)
    app.include_router(procedures.router, dependencies=reads)
    app.include_router(ogc.router, dependencies=reads)
    app.include_router(analysis.router)  # planners and above

    @app.get("/api/health", response_model=HealthOut, tags=["系统 system"], summary="健康检查")
    def health(store: StoreDep) -> HealthOut:
        # open to everyone (the page asks before sign-in): the data file's name, not where it lives
        database = is_database_url(store.location)
        name = store.location.rsplit("/", 1)[-1] if database else Path(store.location).name
        return HealthOut(
            status="ok",
            version=__version__,
            database=name,
            layers=len(store.layer_infos()),  # read from the store: the answer says the data can be read
            backend="postgis" if database else "geopackage",
            workers=int(os.environ.get("MZGIS_WORKERS", "1")),
            worker=os.getpid(),
        )

    _page(app)
    return app


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the page's node_modules (swagger-ui-dist, pinned in its package.json), no CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    from mzgis.settings import WEB_ROOT

    swagger = WEB_ROOT / "node_modules" / "swagger-ui-dist"
    if swagger.exists():
        app.mount("/static/swagger-ui", StaticFiles(directory=swagger), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if not swagger.exists():
            return HTMLResponse(
                "<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>mzgis API</title>"
                "<p>接口文档页面缺少 Swagger UI 文件:"
                "请运行 python3 scripts/dev.py setup(在 src/mzgis/web/ 下执行 npm ci)。"
                "接口说明见 <a href='/openapi.json'>/openapi.json</a>。</p></html>",
                status_code=503,
            )
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="mzgis API 接口文档",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )
        # Swagger UI starts from one inline script: allowed by a nonce for this response only
        nonce = secrets.token_urlsafe(16)
        html = bytes(page.body).decode("utf-8").replace("<script>", f'<script nonce="{nonce}">')
        policy = content_security_policy().replace("script-src 'self'", f"script-src 'self' 'nonce-{nonce}'")
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def _page(app: FastAPI) -> None:
    """The map page (``mzgis/web``) and Leaflet from its node_modules (npm ci at set-up), no CDN."""
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    from mzgis.settings import WEB_ROOT

    web = WEB_ROOT
    leaflet = web / "node_modules" / "leaflet" / "dist"
    if leaflet.exists():
        app.mount("/static/leaflet", StaticFiles(directory=leaflet), name="leaflet")
    geoman = web / "node_modules" / "@geoman-io" / "leaflet-geoman-free" / "dist"  # drawing and editing shapes
    if geoman.exists():
        app.mount("/static/geoman", StaticFiles(directory=geoman), name="geoman")
    app.mount("/web", StaticFiles(directory=web, html=False), name="web")

    @app.get("/", include_in_schema=False, response_model=None)
    def index() -> FileResponse | HTMLResponse:
        if not leaflet.exists():
            return HTMLResponse(
                "<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>mzgis</title>"
                "<p>地图页面缺少 Leaflet 文件:请运行 python3 scripts/dev.py setup(在 src/mzgis/web/ 下执行 npm ci)。"
                "<a href='/docs'>接口文档</a></p></html>",
                status_code=503,
            )
        return FileResponse(web / "index.html", media_type="text/html; charset=utf-8")
