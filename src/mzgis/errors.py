"""Domain errors. Domain code raises these; the API and the CLI map them once each.

Every error carries a Chinese message (shown to users first) and an English one (for logs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "BadInput",
    "Busy",
    "Conflict",
    "Forbidden",
    "InvalidStore",
    "MzgisError",
    "NotFound",
    "NotSignedIn",
    "PreconditionRequired",
    "RuleViolation",
    "StaleVersion",
    "TooLarge",
]


class MzgisError(Exception):
    """Base of all domain errors: a Chinese message, an English message and optional details."""

    kind = "error"

    def __init__(self, message_zh: str, message_en: str = "", **details: Any) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.details = details

    def __str__(self) -> str:
        return self.message_zh if self.message_en == self.message_zh else f"{self.message_zh} ({self.message_en})"


class NotFound(MzgisError):
    """A layer, feature or file that does not exist."""

    kind = "not_found"


class Conflict(MzgisError):
    """A stale edit (version mismatch) or a uniqueness clash; nothing was changed."""

    kind = "conflict"


class RuleViolation(MzgisError):
    """Data that breaks a domain rule (layer constraints, naming rules)."""

    kind = "rule_violation"


class BadInput(MzgisError):
    """Input the user can fix: malformed coordinates, unknown options, unreadable files."""

    kind = "bad_input"


class PreconditionRequired(MzgisError):
    """A change that must say which version it edits (If-Match or ``version``) and said none (HTTP 428): a
    change made blind could overwrite another officer's."""

    kind = "version_required"


class InvalidStore(MzgisError):
    """A file that is not a usable mzgis GeoPackage (not a GeoPackage, or layers missing)."""

    kind = "invalid_store"


class NotSignedIn(MzgisError):
    """No valid sign-in: missing, unknown or expired token, or a wrong name or password."""

    kind = "not_signed_in"


class Forbidden(MzgisError):
    """Signed in, but the user's role does not allow this."""

    kind = "forbidden"


class TooLarge(BadInput):
    """A request or value over a documented size limit (body bytes, edits per changeset)."""

    kind = "too_large"


class Busy(MzgisError):
    """The data file is being written by another process for longer than a writer waits; nothing changed.
    ``retry_after`` says in how many seconds to try again."""

    kind = "busy"

    def __init__(self, message_zh: str, message_en: str = "", *, retry_after: int = 5, **details: Any) -> None:
        super().__init__(message_zh, message_en, retry_after=retry_after, **details)
        self.retry_after = retry_after


class StaleVersion(Conflict):
    """An edit of a version that is no longer current: who changed the feature, the current version and
    content. The store says who; the edges (API, CLI) say when, in the time users read (:meth:`in_time`)."""

    def __init__(
        self,
        what: str,
        *,
        expected: int,
        current_version: int,
        updated_by: str,
        updated_at: str,
        current: dict[str, Any],
        when: str | None = None,
    ) -> None:
        at = f" 于 {when}" if when else ""
        super().__init__(
            f"{what}已被 {updated_by}{at} 修改(当前版本 {current_version},你的版本 {expected}),本次修改未保存",
            f"{what} is at version {current_version}, not {expected}; nothing changed",
            current_version=current_version,
            updated_by=updated_by,
            updated_at=updated_at,
            current=current,
        )
        self.what, self.expected = what, expected

    def in_time(self, show: Callable[[str], str]) -> StaleVersion:
        """The same error saying when, with ``show`` turning the stored time into the one users read."""
        d = self.details
        return StaleVersion(
            self.what,
            expected=self.expected,
            current_version=d["current_version"],
            updated_by=d["updated_by"],
            updated_at=d["updated_at"],
            current=d["current"],
            when=show(d["updated_at"]),
        )
