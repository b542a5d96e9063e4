"""Units given by name in the tables offices send: a township's or village's name where a code is asked, or
columns of township and village names (所属乡镇, 村(社区)), resolved to codes within the register. Used by the
gazetteer's import and the generic import alike."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

import pandas as pd

from mzgis.admin import AdminLookup
from mzgis.errors import BadInput, MzgisError
from mzgis.layers import is_missing

__all__ = ["TOWNSHIP_HEADERS", "VILLAGE_HEADERS", "cell", "column_named", "row_unit"]


# headers offices give the township and the village a name belongs to (names, not codes)
TOWNSHIP_HEADERS = (
    "所属乡镇",
    "所在乡镇",
    "乡镇(街道)",
    "乡镇（街道）",
    "乡镇",
    "镇街",
    "所属镇街",
    "镇(街道)",
    "街道(乡镇)",
)
VILLAGE_HEADERS = ("村(社区)", "村（社区）", "所属村", "所在村", "村社区", "所属村(社区)", "所属村（社区）", "村居")


def row_unit(
    admin: AdminLookup, src: Mapping[str, Any], code_column: Any, town_column: Any, village_column: Any
) -> str | MzgisError | None:
    """The admin code of a row given by a name: a unit's name in the admin-code column, or the township
    (and village within it) named by their own columns; None when the row gives a code (or nothing)."""
    try:
        given = unicodedata.normalize("NFKC", cell(src, code_column)).strip()  # full-width digits read as digits
        if given and not given.isdigit():
            return admin.code_of(given)
        if given or town_column is None:
            return given or None
        town = cell(src, town_column)
        if not town:
            return BadInput("缺少所属乡镇(街道)", "no township given")
        code = admin.code_of(town, level="township")
        village = cell(src, village_column)
        return admin.code_of(village, within=code, level="village") if village else code
    except MzgisError as exc:
        return exc


def column_named(frame: pd.DataFrame, *names: str) -> Any:
    """The first column whose header (trimmed, any case) is one of ``names``."""
    wanted = {n.lower() for n in names}
    return next((c for c in frame.columns if str(c).strip().lower() in wanted), None)


def cell(src: Mapping[str, Any], column: Any) -> str:
    """A cell's text, trimmed; "" for no column or an empty cell (None, NaN, NaT, blanks)."""
    value = None if column is None else src[column]
    return "" if is_missing(value) else str(value).strip()
