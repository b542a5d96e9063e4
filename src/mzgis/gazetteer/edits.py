"""What an edit of a place name is and who makes it, checked the same wherever it comes from: the
:class:`Edit` value, the :class:`Actor` (name and jurisdiction, built once per request or command), the
jurisdiction check (:func:`guard`, the only one), the reasons and dates edits carry, and a revert worked out
into the update that brings an earlier version's content back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from shapely.geometry import shape as shapely_shape
from shapely.geometry.base import BaseGeometry

from mzgis.admin import AdminLookup
from mzgis.errors import BadInput, Conflict, Forbidden, NotFound, RuleViolation, TooLarge
from mzgis.layers import LIMITS
from mzgis.store import AuditEntry, Feature
from mzgis.store.base import check_version
from mzgis.text import text_problem

__all__ = ["USER_FIELDS", "Acting", "Actor", "Edit", "check_reason", "edit_date", "guard", "reverted"]

# the fields of a name an officer sets (an import reads them, a revert takes them back from an earlier
# version); the parts and romanization follow the name, former names follow a rename
USER_FIELDS = (
    "name",
    "category",
    "subcategory",
    "admin_code",
    "status",
    "origin",
    "approval_ref",
    "approved_on",
    "census_code",
    "history",
    "description",
)
# how far outside a scope's polygon a scoped officer may still place a name: about a metre (digitising)
_SCOPE_TOLERANCE_DEG = 1e-5


class Acting(Protocol):
    """Anything that says who acts and where: an :class:`Actor`, a signed-in account."""

    @property
    def name(self) -> str: ...

    @property
    def scope(self) -> str | None: ...


@dataclass(frozen=True)
class Actor:
    """Who makes an edit: the name recorded with it and the jurisdiction (an admin code prefix) the
    account's writes are confined to (None: anywhere). A signed-in :class:`~mzgis.users.User` is one too."""

    name: str
    scope: str | None = None


@dataclass(frozen=True)
class Edit:
    """One edit of a changeset: what the CLI, the API, an import or a procedure asks of :meth:`Gazetteer.apply`."""

    action: Literal["create", "update", "rename", "move", "retire", "restore", "revert"]
    id: int | None = None
    expected_version: int | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None
    on: str | None = None  # date of a rename or retirement (default: today)
    override_reason: str | None = None
    to_version: int | None = None  # a revert: the version whose content comes back


def check_reason(text: str, what: str) -> None:
    """A reason, override reason or comment: at most ``LIMITS.reason_chars``, no control characters."""
    if len(text) > LIMITS.reason_chars:
        raise TooLarge(f"{what}过长(最多 {LIMITS.reason_chars} 个字符)", f"{what} over {LIMITS.reason_chars} chars")
    problem = text_problem(text, multiline=True)
    if problem:
        raise BadInput(f"{what}{problem}", "control or invisible characters in a reason")


def edit_date(on: str | None, today: dt.date) -> str:
    """The date of a rename or retirement: ``on`` as YYYY-MM-DD (not after today), or today."""
    if on is None or not str(on).strip():
        return today.isoformat()
    try:
        day = dt.date.fromisoformat(str(on).strip())
    except ValueError:
        raise BadInput(f"日期“{on}”不对,应为 YYYY-MM-DD", f"date {on!r} is not YYYY-MM-DD") from None
    if day > today:
        raise RuleViolation(f"日期 {day} 晚于今天({today})", f"date {day} is after today") from None
    return day.isoformat()


def guard(
    actor: Actor,
    admin: AdminLookup,
    code: Any,
    name: str,
    *,
    geometry: BaseGeometry | None = None,
) -> None:
    """The jurisdiction check, for every write of a name (an edit, an import's row, a procedure's step):
    refuse (Forbidden) a write of the name ``name`` in unit ``code`` by an actor confined to a scope;
    ``geometry``: a new position (a create or a move), which must lie in the scope's polygon where the
    scope has one (within a metre or so: a point on the boundary is inside)."""
    scope, user = actor.scope, actor.name
    if scope is None:
        return

    def shown(c: str) -> str:
        unit = admin.units.get(c)
        return f"{unit.properties['name']}（{c}）" if unit is not None else c

    if not str(code or "").startswith(scope):
        raise Forbidden(
            f"“{user}”的管辖范围是{shown(scope)},不能修改属于{shown(str(code or '?'))}的地名“{name}”;未作任何修改",
            f"{user} may write only within {scope}; {name} belongs to {code}",
        )
    home = admin.units.get(scope)
    if geometry is None or geometry.is_empty or home is None or home.geometry is None:
        return
    if admin.contains(scope, geometry, tolerance_deg=_SCOPE_TOLERANCE_DEG):
        return
    at = geometry.representative_point()
    held = [str(u.properties["code"]) for u in admin.at(at.x, at.y)]
    held = [c for c in held if not scope.startswith(c)]  # not the county the scope belongs to
    peer = next((c for c in held if len(c) == len(scope)), held[0] if held else None)  # a unit like the scope
    where = f"{shown(peer)}内" if peer else "管辖范围之外"
    raise Forbidden(
        f"“{user}”的管辖范围是{shown(scope)},地名“{name}”的位置({at.x:.6f}, {at.y:.6f})在{where},"
        "不能放到那里;未作任何修改",
        f"{user} may place names only within {scope}; the position of {name} is outside it",
    )


def reverted(current: Feature, history: Iterable[AuditEntry], edit: Edit, reason: str) -> Edit:
    """The update that gives ``current`` the content of version ``edit.to_version`` (its fields and
    position, from the history): a reason is required; a stale version, a version whose retirement differs
    from today's (retire or restore instead), one whose position was changed outside mzgis (the history notes
    only that it changed) and one equal to today's content are refused."""
    to_version = edit.to_version or 0
    if not reason.strip():
        raise BadInput("恢复到旧版本必须说明原因", "reverting needs a reason")
    check_version(current, edit.expected_version)  # a stale revert is refused before anything else
    state: dict[str, Any] = {}
    for entry in history:
        if entry.version > to_version:
            break
        state |= entry.after or {}
    if to_version < 1 or to_version >= current.version or not state:
        raise NotFound(
            f"没有可恢复的版本 {to_version}:版本应在 1–{current.version - 1} 之间(当前版本 {current.version})",
            f"no version {to_version} to revert to",
        )
    if (state.get("status") == "retired") != (current.properties["status"] == "retired"):
        raise Conflict("版本的废止状态与现在不同;废止和恢复请用 retire / restore", "use retire or restore")
    shape = state.get("geometry")
    if isinstance(shape, str):  # an edit made outside mzgis: the history says only that it moved
        raise RuleViolation(
            f"版本 {to_version} 的位置是在 mzgis 之外修改的,历史中没有坐标,无法还原", "position unknown"
        )
    geometry = None if shape is None else shapely_shape(shape)
    changes: dict[str, Any] = {
        k: state.get(k) for k in USER_FIELDS if k in state and state.get(k) != current.properties.get(k)
    }
    moved = geometry is not None and current.geometry is not None and not geometry.equals(current.geometry)
    if not changes and not moved:
        raise Conflict(f"版本 {to_version} 与当前内容相同,无需恢复", "nothing to revert")
    return Edit(
        "update",
        current.id,
        edit.expected_version,
        changes,
        geometry if moved else None,
        override_reason=edit.override_reason,
    )
