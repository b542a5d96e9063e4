"""What every request and response passes through, before any route: a bound on the request body,
JSON text that Python could not encode refused (a lone surrogate ``"\\ud800"``), and the security
headers of every response (Content-Security-Policy without inline script, no sniffing, no framing, no
referrer beyond this server).

A plain ASGI middleware, so it sees the body as it streams and stops reading at the bound."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from mzgis.api.errors import error_response

__all__ = ["RequestGuard", "content_security_policy"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def content_security_policy(tile_url: str | None = None) -> str:
    """The page's policy: scripts, styles, fonts and data only from this server (no inline script; Leaflet
    and the page set inline styles), images also as data URLs and from the base tiles' server when set."""
    images = "'self' data: blob:"
    if tile_url:
        parts = urlsplit(tile_url.replace("{s}", "a"))
        if parts.scheme in ("http", "https") and parts.hostname:
            host = tile_url.split("//", 1)[1].split("/", 1)[0].replace("{s}", "*")
            images += f" {parts.scheme}://{host}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def _headers(csp: str, *, https: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", csp.encode("latin-1")),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if https:  # browsers that saw it once never fall back to plain HTTP for a year
        headers.append((b"strict-transport-security", b"max-age=31536000"))
    return headers


def _unencodable(body: bytes) -> bool:
    """Whether a JSON body holds a string Python cannot encode as UTF-8 (a lone surrogate escape)."""
    if not _SURROGATE_ESCAPE.search(body):
        return False
    try:
        json.dumps(json.loads(body), ensure_ascii=False).encode("utf-8")
    except UnicodeError:
        return True
    except ValueError:
        return False  # malformed JSON: the route's validation says so
    return False


class RequestGuard:
    """Bound request bodies to ``max_body`` bytes (413), refuse unencodable JSON text (400), and add the
    security headers to every response."""

    def __init__(self, app: ASGIApp, *, max_body: int, csp: str, https: bool = False) -> None:
        self.app = app
        self.max_body = max_body
        self.extra = _headers(csp, https=https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in self.extra if h[0] not in have)]
            await send(message)

        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await self._too_large(scope, send_with_headers)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and length in (None, b"0"):
            await self.app(scope, receive, send_with_headers)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await self._too_large(scope, send_with_headers)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if b"json" in headers.get(b"content-type", b"") and _unencodable(body):
            response = error_response(
                400,
                "bad_input",
                "请求体含无法编码的文字(单独的代理码位,如 \\ud800)",
                "the JSON body holds a lone surrogate",
            )
            await response(scope, receive, send_with_headers)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send_with_headers)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        response = error_response(
            413,
            "too_large",
            f"请求体过大(上限 {self.max_body // 1024} KB)",
            f"request body over {self.max_body} bytes",
            {"max_bytes": self.max_body},
        )

        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, no_body, send)
