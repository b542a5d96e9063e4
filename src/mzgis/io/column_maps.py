"""Saved column mappings (``--save-map`` / ``--use-map``): the bureau names a source once (民政统计导出,
某街道报表) with its ``源列=字段`` mapping, and every later import of that source uses it. Kept in the data
file (``mzgis_meta``), so every officer and tool working on the file shares them."""

from __future__ import annotations

import json
from typing import Any

from mzgis.errors import BadInput, NotFound
from mzgis.layers import get_layer
from mzgis.store import Store
from mzgis.store.base import utc_now
from mzgis.text import clean_text

__all__ = ["delete_map", "resolve_map", "save_map", "saved_maps"]

PREFIX = "column_map:"


def saved_maps(store: Store) -> dict[str, dict[str, Any]]:
    """Every saved mapping: source name → ``{"layer", "map", "saved_by", "saved_at"}``."""
    out = {}
    for key, value in store.metas(PREFIX).items():
        try:
            record = json.loads(value)
        except ValueError:
            continue  # a damaged note is not a mapping
        if isinstance(record, dict) and isinstance(record.get("map"), dict):
            out[key[len(PREFIX) :]] = record
    return out


def _unknown(name: str, maps: dict[str, Any]) -> NotFound:
    known = "、".join(sorted(maps)) or "无"
    return NotFound(f"没有保存的列对应“{name}”;已保存:{known}", f"no saved column map {name!r}")


def delete_map(store: Store, name: str) -> None:
    """Forget the mapping saved under ``name``."""
    maps = saved_maps(store)
    if name not in maps:
        raise _unknown(name, maps)
    store.set_meta(PREFIX + name, None)


def resolve_map(store: Store, layer: str, given: dict[str, str], use: str | None) -> dict[str, str]:
    """The mapping an import uses: the saved one named ``use`` (for this layer), with ``given`` (``--map``)
    added over it."""
    if use is None:
        return given
    maps = saved_maps(store)
    record = maps.get(use)
    if record is None:
        raise _unknown(use, maps)
    if record.get("layer") != layer:
        raise BadInput(
            f"列对应“{use}”是为图层 {record.get('layer')} 保存的,不能用于 {layer}",
            f"column map {use!r} is for another layer",
        )
    return {**{str(k): str(v) for k, v in record["map"].items()}, **given}


def save_map(store: Store, name: str, layer: str, mapping: dict[str, str], *, user: str) -> None:
    """Keep ``mapping`` under ``name`` for ``layer`` (replacing an earlier one of that name)."""
    get_layer(layer)
    try:
        name = clean_text(name)
    except ValueError as exc:
        raise BadInput(f"列对应名称{exc}", "bad column map name") from None
    if not name or len(name) > 40:
        raise BadInput("列对应名称应为 1–40 个字符", "column map name must be 1..40 characters")
    if not mapping:
        raise BadInput("没有列对应可保存(请同时给出 --map)", "nothing to save: give --map")
    record = {"layer": layer, "map": mapping, "saved_by": user, "saved_at": utc_now()}
    store.set_meta(PREFIX + name, json.dumps(record, ensure_ascii=False))
