"""Spellings an officer keeps on purpose (拼写例外): a name whose romanization differs from the standard one
for a recorded reason (an official spelling of long standing, a name the ministry spells otherwise). The
exception is the store's note ``spelling_exception:<id>`` (the spelling, the reason, who and when); the
change of spelling itself is an edit of the name, in its history with the reason. While the stored spelling
is the recorded one, saves keep it and the clean-up report does not flag it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mzgis.errors import BadInput
from mzgis.store import Feature, Store
from mzgis.store.base import utc_now
from mzgis.text import text_problem

if TYPE_CHECKING:
    from mzgis.gazetteer.edits import Edit
    from mzgis.gazetteer.service import Gazetteer

__all__ = ["PREFIX", "exception_of", "exceptions", "keep_spelling", "parse_spelling", "standard_spelling"]

PREFIX = "spelling_exception:"


def parse_spelling(text: str) -> str:
    """A romanization as an officer types it: Latin letters, spaces, apostrophes and hyphens, up to 100."""
    value = " ".join(str(text).split())
    if not value or len(value) > 100 or text_problem(value):
        raise BadInput("拼写应为 1–100 个字符的拉丁字母", "a spelling is 1-100 Latin characters")
    if any(not (c.isascii() and (c.isalpha() or c in " '-")) for c in value):
        raise BadInput(f"拼写“{value}”只能含拉丁字母、空格、撇号和连字符", "a spelling holds Latin letters only")
    return value


def exceptions(store: Store) -> dict[int, Mapping[str, Any]]:
    """Every recorded exception, by name id."""
    out: dict[int, Mapping[str, Any]] = {}
    for key, value in store.metas(PREFIX).items():
        try:
            out[int(key[len(PREFIX) :])] = json.loads(value)
        except (ValueError, TypeError):
            continue  # a note another tool garbled: as if none
    return out


def exception_of(store: Store, fid: int | None) -> Mapping[str, Any] | None:
    if fid is None:
        return None
    value = store.meta(f"{PREFIX}{fid}")
    try:
        return None if value is None else dict(json.loads(value))
    except (ValueError, TypeError):
        return None


def _apply_noted(
    gaz: Gazetteer, fid: int, note: str | None, edit: Edit, *, comment: str, user: str, scope: str | None
) -> Feature:
    """Apply ``edit`` with name ``fid``'s exception note set to ``note`` (None: removed) while it is checked and
    saved; the note as it was when the edit is refused."""
    key = f"{PREFIX}{fid}"
    before = gaz.store.meta(key)
    gaz.store.set_meta(key, note)
    try:
        return gaz.apply([edit], user=user, comment=comment, scope=scope)[0]
    except BaseException:
        gaz.store.set_meta(key, before)
        raise


def keep_spelling(
    gaz: Gazetteer, fid: int, spelling: str, *, reason: str, expected_version: int | None, user: str,
    scope: str | None = None,
) -> Feature:  # fmt: skip
    """Give name ``fid`` the spelling ``spelling`` on purpose, for ``reason`` (required): the exception is
    recorded, the name saved with it (an edit, in its history with the reason); refused as any edit is (a stale
    version, outside the jurisdiction), then nothing is recorded."""
    from mzgis.gazetteer.edits import Edit

    spelling = parse_spelling(spelling)
    if not reason.strip():
        raise BadInput("保留拼写例外必须说明理由", "keeping a spelling needs a reason")
    note = {"romanized": spelling, "reason": reason.strip(), "by": user, "at": utc_now()}
    edit = Edit("update", fid, expected_version, {"romanized": spelling})
    return _apply_noted(gaz, fid, json.dumps(note, ensure_ascii=False), edit, comment=f"拼写例外:{reason.strip()}",
                        user=user, scope=scope)  # fmt: skip


def standard_spelling(
    gaz: Gazetteer, fid: int, *, reason: str, expected_version: int | None, user: str, scope: str | None = None
) -> Feature:
    """Withdraw a kept spelling: the name is spelt by the rules again (an edit, in its history)."""
    from mzgis.gazetteer.edits import Edit

    edit = Edit("update", fid, expected_version, {"romanized": ""})
    return _apply_noted(gaz, fid, None, edit, comment=f"恢复标准拼写:{reason}".rstrip(":"), user=user, scope=scope)
