"""Errors → HTTP, in one table. Every error body, also of malformed requests, unknown routes and the
unexpected, is ``{"error", "message", "message_en", "details"}`` with a Chinese message."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mzgis.clock import beijing_time
from mzgis.errors import (
    BadInput,
    Busy,
    Conflict,
    Forbidden,
    InvalidStore,
    MzgisError,
    NotFound,
    NotSignedIn,
    PreconditionRequired,
    RuleViolation,
    StaleVersion,
    TooLarge,
)

__all__ = ["STATUS", "error_response", "install_error_handlers"]

log = logging.getLogger("mzgis.api")

STATUS: dict[type[MzgisError], int] = {
    NotFound: 404,
    Conflict: 409,
    RuleViolation: 422,
    PreconditionRequired: 428,
    TooLarge: 413,
    BadInput: 400,
    NotSignedIn: 401,
    Forbidden: 403,
    Busy: 503,
    InvalidStore: 503,
    MzgisError: 500,
}

_HTTP_ZH = {
    400: ("bad_input", "请求体无法解析(不是有效的 JSON,或嵌套过深)", "the request body cannot be parsed"),
    404: ("not_found", "没有这个地址", "no such route"),
    405: ("bad_input", "该地址不支持这种请求方法", "method not allowed"),
    413: ("too_large", "请求过大", "request too large"),
}

# pydantic's error types → a Chinese reason ({…} filled from the error's context)
_VALIDATION_ZH = {
    "missing": "缺少此项",
    "string_too_long": "过长(最多 {max_length} 个字符)",
    "string_too_short": "过短(至少 {min_length} 个字符)",
    "too_long": "过多(最多 {max_length} 项)",
    "too_short": "过少(至少 {min_length} 项)",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数值",
    "float_type": "应为数值",
    "finite_number": "应为有限数值",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "less_than_equal": "不能大于 {le}",
    "less_than": "应小于 {lt}",
    "greater_than_equal": "不能小于 {ge}",
    "greater_than": "应大于 {gt}",
    "literal_error": "应为以下之一:{expected}",
    "enum": "应为以下之一:{expected}",
    "json_invalid": "请求体不是有效的 JSON",
    "json_type": "应为 JSON",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "model_type": "应为对象",
    "list_type": "应为列表",
    "extra_forbidden": "不认识此项",
    "date_type": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "value_error": "{error}",  # a validator's own words (in Chinese)
}


def _status(exc: MzgisError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(
    status: int,
    kind: str,
    message: str,
    message_en: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The documented error body with ``status`` (also used by the middleware that bounds requests)."""
    body = {"error": kind, "message": message, "message_en": message_en, "details": details or {}}
    return JSONResponse(body, status_code=status, headers=headers)


def _where(loc: tuple[Any, ...]) -> str:
    # not the request's parts, nor the inner names of a validator (function-after[check(), str])
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header") and "[" not in str(p)]
    return ".".join(parts) or "请求体"


def validation_reason(err: Mapping[str, Any]) -> str:
    """What is wrong with one value pydantic refused, in Chinese (its English words when not translated)."""
    template = _VALIDATION_ZH.get(str(err.get("type", "")))
    ctx = err.get("ctx") or {}
    try:
        return template.format(**ctx) if template else str(err.get("msg", ""))
    except (KeyError, IndexError):
        return str(err.get("msg", ""))


def _problem(err: dict[str, Any]) -> str:
    return f"{_where(tuple(err.get('loc', ())))}:{validation_reason(err)}"


def _log_refusal(request: Request, status: int, message: str) -> None:
    """A refusal in the security log: a signed-in user's (403) each time, a stranger's (401) as strangers'
    events are (at most once per address per quarter hour)."""
    from mzgis.api.deps import client_of, credentials, signed_in

    users = getattr(request.app.state, "users", None)
    if users is None:  # the app is not serving yet
        return
    detail = f"{request.method} {request.url.path}({status}):{message}"
    client = client_of(request)
    if status == 401:
        users.security.stranger("refused", client=client, detail=detail)
        return
    try:
        user = signed_in(request, credentials(request.headers.get("authorization")))
    except MzgisError:
        user = None
    users.security.record("refused", account=user.name if user else "", success=False, client=client, detail=detail)


def allowed_methods(request: Request) -> list[str]:
    """Every method the request's path answers to, each tried on the router: Starlette's 405 names those of
    the first route matching the path alone, though a path is often served by several (GET and POST
    /api/names)."""
    from starlette.routing import Match

    routes = request.app.router.routes
    return [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MzgisError)
        if isinstance(exc, StaleVersion):
            exc = exc.in_time(beijing_time)  # users read Beijing time; the store keeps UTC
        status = _status(exc)
        headers: dict[str, str] = {}
        if status == 401:
            # Basic is offered to OGC API clients (QGIS can send nothing else) but not to the page, where a
            # browser would answer it with its own password dialog
            ogc = request.url.path.startswith("/ogc")
            headers["WWW-Authenticate"] = 'Basic realm="mzgis", charset="UTF-8"' if ogc else "Bearer"
        if isinstance(exc, Busy):
            headers["Retry-After"] = str(exc.retry_after)
        if status in (401, 403):
            await anyio.to_thread.run_sync(_log_refusal, request, status, exc.message_zh)
        return error_response(status, exc.kind, exc.message_zh, exc.message_en, exc.details, headers or None)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        from mzgis.api.deps import authorize_first

        try:  # authorization before validation: a stranger learns nothing of what a route takes
            authorize_first(request)
        except MzgisError as refused:
            return await domain(request, refused)
        errors = exc.errors()
        # a value that may be left out is refused for what it is, not also for not being null
        errors = [e for e in errors if e.get("type") != "none_required"] or errors
        problems = [_problem(err) for err in errors]
        return error_response(
            422, "bad_input", "请求参数不合法:" + ";".join(problems), "invalid request", {"problems": problems}
        )

    async def http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kind, zh, en = _HTTP_ZH.get(exc.status_code, ("error", f"请求未能处理({exc.status_code})", str(exc.detail)))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return error_response(exc.status_code, kind, zh, en, headers=headers or None)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "error", "服务器内部错误,已记录;请稍后再试或联系管理员", "internal server error")

    app.add_exception_handler(MzgisError, domain)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(Exception, unexpected)
