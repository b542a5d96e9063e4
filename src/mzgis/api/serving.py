"""How the server logs: warnings and errors, and the life of its processes — each worker started, each
worker that died and the one started in its place — with the time, so an operator reading the log of
``mzgis serve --workers N`` sees a worker's death and its replacement. Requests are not logged here."""

from __future__ import annotations

import copy
import logging
import ssl
from pathlib import Path
from typing import Any

__all__ = ["LOOPBACK", "WorkerEvents", "check_transport", "log_config"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")

# what the supervisor and each worker say of their lives (uvicorn logs them at INFO)
_LIFE = ("Started parent process", "Started server process", "Child process", "Uvicorn running on", "Shutting down")


class WorkerEvents(logging.Filter):
    """Warnings and above, and the processes' starts and deaths; a death is raised to a warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        message = record.getMessage()
        if not message.startswith(_LIFE):
            return False
        if message.startswith("Child process") and message.endswith("died"):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = f"{message}; a new worker is started in its place", None
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with the server log kept to warnings and the processes' lives (in every worker)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"life": {"()": "mzgis.api.serving.WorkerEvents"}}
    config["formatters"]["default"]["fmt"] = "%(asctime)s %(levelprefix)s %(message)s"
    config["handlers"]["default"]["filters"] = ["life"]
    config["loggers"]["uvicorn.access"]["level"] = "WARNING"
    return config


def check_transport(host: str, certfile: Path | None, keyfile: Path | None, *, insecure_http: bool) -> str:
    """Whether the server may listen on ``host`` as asked, and the warning to print (or ""): HTTPS with the
    certificate and key given (both, readable, a matching pair), else plain HTTP on this machine only, or beyond
    it when ``insecure_http`` says so (passwords and tokens then cross the network in clear). A refusal is
    :class:`~mzgis.errors.BadInput` saying what to do."""
    from mzgis.errors import BadInput

    if (certfile is None) != (keyfile is None):
        raise BadInput("--certfile 和 --keyfile 须同时给出", "a certificate needs its key")
    if certfile is not None and keyfile is not None:
        for path in (certfile, keyfile):
            if not path.is_file():
                raise BadInput(f"找不到证书文件 {path}", "no such certificate file")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(certfile, keyfile)
        except (ssl.SSLError, ValueError) as exc:
            raise BadInput(f"证书与私钥无法使用(不是 PEM 格式,或不是一对):{exc}", "unusable certificate") from None
        return ""
    if host in LOOPBACK:
        return ""
    if not insecure_http:
        raise BadInput(
            f"不加密(HTTP)时只能在本机监听;要在 {host} 上为其他电脑提供服务,请用 --certfile 和 --keyfile 启用 HTTPS"
            "(见 README“加密传输”),或确知风险时加 --insecure-http",
            "plain HTTP beyond this machine needs --insecure-http",
        )
    return f"警告:以不加密的 HTTP 在 {host} 上监听,密码和令牌将以明文在网络上传输;请尽快启用 HTTPS"
