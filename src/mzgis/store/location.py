"""Where a store lives: a GeoPackage path or a PostgreSQL URL (``postgresql://user@host/db``; a socket
folder as host, percent-encoded, included). A URL is never taken for a file name."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

__all__ = ["database_url", "is_database_url", "public_url"]


def is_database_url(location: Path | str) -> bool:
    """Whether ``location`` names a PostgreSQL database (``postgresql:…`` or ``postgres:…``)."""
    return str(location).lower().startswith(("postgresql:", "postgres:"))


def database_url(location: Path | str) -> str:
    """The URL as typed, also when it passed through a path (which folds ``//`` into ``/``)."""
    return re.sub(r"^(postgres(?:ql)?):/(?!/)", r"\1://", str(location), flags=re.IGNORECASE)


def public_url(url: str) -> str:
    """The URL without its password (what messages and logs may show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))
