"""Domain errors → HTTP, in one table. Every error body is ``{"error", "message", "message_en", "details"}``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from mzgis.errors import (
    BadInput,
    Conflict,
    Forbidden,
    InvalidStore,
    MzgisError,
    NotFound,
    NotSignedIn,
    RuleViolation,
)

__all__ = ["STATUS", "install_error_handlers"]

STATUS: dict[type[MzgisError], int] = {
    NotFound: 404,
    Conflict: 409,
    RuleViolation: 422,
    BadInput: 400,
    NotSignedIn: 401,
    Forbidden: 403,
    InvalidStore: 503,
    MzgisError: 500,
}


def _status(exc: MzgisError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def _body(kind: str, message: str, message_en: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"error": kind, "message": message, "message_en": message_en, "details": details}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def domain(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MzgisError)
        status = _status(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            _body(exc.kind, exc.message_zh, exc.message_en, exc.details), status_code=status, headers=headers
        )

    async def validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', '')}" for err in exc.errors()]
        return JSONResponse(
            _body("bad_input", "请求参数不合法:" + ";".join(problems), "invalid request", {"problems": problems}),
            status_code=422,
        )

    app.add_exception_handler(MzgisError, domain)
    app.add_exception_handler(RequestValidationError, validation)
