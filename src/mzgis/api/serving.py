"""How the server logs: warnings and errors, and the life of its processes — each worker started, each
worker that died and the one started in its place — with the time, so an operator reading the log of
``mzgis serve --workers N`` sees a worker's death and its replacement. Requests are not logged here."""

from __future__ import annotations

import copy
import logging
from typing import Any

__all__ = ["WorkerEvents", "log_config"]

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
