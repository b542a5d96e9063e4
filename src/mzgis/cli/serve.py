"""`mzgis serve`: the map page and the API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from mzgis.cli import app
from mzgis.cli.common import DbOption, settings_for
from mzgis.errors import BadInput

__all__ = ["serve"]


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option("--host", help="监听地址")] = None,
    port: Annotated[int | None, typer.Option("--port", help="端口")] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="服务进程数(多个进程共用一个数据库;PostGIS 时可多人同时写)")
    ] = 1,
    certfile: Annotated[Path | None, typer.Option("--certfile", help="HTTPS 证书(PEM)")] = None,
    keyfile: Annotated[Path | None, typer.Option("--keyfile", help="HTTPS 证书私钥(PEM)")] = None,
    insecure_http: Annotated[
        bool, typer.Option("--insecure-http", help="不加密也在本机以外监听(密码明文传输,不建议)")
    ] = False,
) -> None:
    """启动网页与 API 服务。Start the web app and API."""
    import uvicorn

    from mzgis.api import create_app
    from mzgis.api.serving import check_transport
    from mzgis.store import open_store

    settings = settings_for(db)
    if host:
        settings.host = host
    if port:
        settings.port = port
    settings.certfile, settings.keyfile = certfile or settings.certfile, keyfile or settings.keyfile
    warning = check_transport(settings.host, settings.certfile, settings.keyfile, insecure_http=insecure_http)
    if warning:
        typer.secho(warning, err=True, fg="yellow")
    if settings.secret_key() is None and settings.security_level >= 3:  # (a key file that is not one: refused)
        from mzgis.sealing import KEY_REQUIRED

        raise BadInput(*KEY_REQUIRED)
    scheme = "https" if settings.certfile else "http"
    certs = (str(settings.certfile), str(settings.keyfile)) if settings.certfile else (None, None)
    store = open_store(
        settings.db, write_wait_s=settings.write_wait_s
    )  # one clear message now rather than at the first request
    if not settings.open_reads and not store.accounts():
        typer.secho(
            "提示:还没有任何用户,网页无法登录;请先运行 mzgis users add 用户名 --role admin", err=True, fg="yellow"
        )
    typer.echo(
        f"mzgis 已启动:{scheme}://{settings.host}:{settings.port}/  (数据 {store.location}"
        + (f",{workers} 个服务进程)" if workers > 1 else ")")
    )
    from mzgis.api.serving import log_config

    os.environ["MZGIS_WORKERS"] = str(workers)  # what /api/health reports
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_config=log_config(),
            ssl_certfile=certs[0],
            ssl_keyfile=certs[1],
        )
        return
    # each worker process builds its app from the environment: the settings go there first
    os.environ["MZGIS_DB"] = str(settings.db)
    os.environ["MZGIS_HOST"], os.environ["MZGIS_PORT"] = settings.host, str(settings.port)
    if settings.certfile:  # each worker sends HSTS
        os.environ["MZGIS_CERTFILE"], os.environ["MZGIS_KEYFILE"] = str(settings.certfile), str(settings.keyfile)
    uvicorn.run(
        "mzgis.api:create_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_config=log_config(),
        ssl_certfile=certs[0],
        ssl_keyfile=certs[1],
    )
