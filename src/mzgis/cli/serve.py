"""`mzgis serve`: the map page and the API."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from mzgis.cli import app
from mzgis.cli.common import DbOption, settings_for

__all__ = ["serve"]


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option("--host", help="监听地址")] = None,
    port: Annotated[int | None, typer.Option("--port", help="端口")] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="服务进程数(多个进程共用一个数据库;PostGIS 时可多人同时写)")
    ] = 1,
) -> None:
    """启动网页与 API 服务。Start the web app and API."""
    import uvicorn

    from mzgis.api import create_app
    from mzgis.store import open_store

    settings = settings_for(db)
    if host:
        settings.host = host
    if port:
        settings.port = port
    store = open_store(
        settings.db, write_wait_s=settings.write_wait_s
    )  # one clear message now rather than at the first request
    if not settings.open_reads and not store.accounts():
        typer.secho(
            "提示:还没有任何用户,网页无法登录;请先运行 mzgis users add 用户名 --role admin", err=True, fg="yellow"
        )
    typer.echo(
        f"mzgis 已启动:http://{settings.host}:{settings.port}/  (数据 {store.location}"
        + (f",{workers} 个服务进程)" if workers > 1 else ")")
    )
    from mzgis.api.serving import log_config

    os.environ["MZGIS_WORKERS"] = str(workers)  # what /api/health reports
    if workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=log_config())
        return
    # each worker process builds its app from the environment: the settings go there first
    os.environ["MZGIS_DB"] = str(settings.db)
    os.environ["MZGIS_HOST"], os.environ["MZGIS_PORT"] = settings.host, str(settings.port)
    uvicorn.run(
        "mzgis.api:create_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_config=log_config(),
    )
