"""Merge a county's store into a store that already holds others (a city's database growing county by
county): every layer's features with their versions and stamps, the changesets and the history, the naming
applications and their documents, accounts on request — in one transaction of the target.

Ids are a store's own. Where the target already holds rows of a layer or table, the source's ids are shifted
past the target's largest (the same shift for the whole layer, so references follow: a history row's feature,
an application's name, a document's application); the shifts are kept in the target's notes under the
source's identity (``merged:<uuid>``), so a list exported from the county's file later still finds its names
(see ``io.names``). A county the target already holds (any of its townships, villages, names or facilities)
is refused by name; the county's own row the target holds as a neighbour's outline is kept (the source's
outline fills it in when the target has none). Afterwards the rows brought are read back and compared with
the source (count and SHA-256 per layer and table), and the target's own rows with what they were before."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mzgis.errors import Conflict, InvalidStore
from mzgis.layers import LAYERS, get_layer
from mzgis.store.base import SYSTEM_TABLES, Backend, Feature, Store, utc_now
from mzgis.store.copy import _feature_digest, _pages_of_features, _pages_of_rows, _row_digest, total_checksum

__all__ = ["MERGED_PREFIX", "MergeReport", "merge_store", "merged_offsets"]

MERGED_PREFIX = "merged:"
_TABLES = ("changesets", "audit", "documents")  # the system tables whose ids are shifted (by "id")


@dataclass
class MergeReport:
    """What a merge brought: the counties, rows per layer and table, the id shifts, what it kept of the
    target's own, and the digest the source and the target agree on for the rows brought."""

    counties: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    checksum: str = ""


def merged_offsets(store: Store, origin: str) -> dict[str, int] | None:
    """The id shifts of the store of identity ``origin`` merged into ``store``, or None if it never was."""
    note = store.meta(MERGED_PREFIX + origin)
    return None if note is None else {str(k): int(v) for k, v in json.loads(note)["offsets"].items()}


def merge_store(source: Backend, target: Backend, *, accounts: bool = False) -> MergeReport:
    """Merge ``source`` (a county's store) into ``target`` (see the module); nothing is written when a
    county of the source is already in the target, an account name is taken (with ``accounts``) or a key
    is held by both. Raises :class:`InvalidStore` when what was written reads back different."""
    report = MergeReport()
    origin = source.identity()
    if target.identity() == origin:
        raise Conflict("源和目标是同一个库(或其副本),无需合并", "source and target are the same store")
    if target.meta(MERGED_PREFIX + origin) is not None:
        raise Conflict("这个库已经合并进目标,不能再次合并", "this store was merged into the target already")
    with source.snapshot():
        units = list(source.iter_features("admin_units"))
        report.counties = _home_counties(units)
        if not report.counties:
            raise Conflict("源数据中没有带乡镇(街道)的区县,不知道要合并哪个区县", "no county with townships")
        kept = _check_conflicts(source, target, [c for c, _ in report.counties], accounts)
        report.offsets = {name: _largest(target, name) for name in (*LAYERS, *_TABLES)}
        shift = _Shift(report.offsets, {fid for fid, _ in kept.values()})
        source_sums: dict[str, tuple[int, str]] = {}  # of the rows as written, summed in the same pass
        with target.bulk_load(merge=True) as load:
            for layer in LAYERS:
                h, n = hashlib.sha256(), 0
                for page in _pages_of_features(source, layer):
                    rows = [shift.feature(f) for f in page if not (layer == "admin_units" and f.id in kept)]
                    load.features(layer, rows)
                    for f in rows:
                        h.update(_feature_digest(f))
                    n += len(rows)
                report.counts[layer], source_sums[layer] = n, (n, h.hexdigest())
            for table in SYSTEM_TABLES:
                if table == "meta" or (table == "accounts" and not accounts):
                    continue
                h, n = hashlib.sha256(), 0
                for batch in _pages_of_rows(source, table):
                    shifted = [r for r in (shift.row(table, row) for row in batch) if r is not None]
                    load.rows(table, shifted)
                    for r in shifted:
                        h.update(_row_digest(r))
                    n += len(shifted)
                report.counts[table] = n
                if table in _TABLES:  # accounts keep their names: checked by the load's own constraints
                    source_sums[table] = (n, h.hexdigest())
            note = {"at": utc_now(), "offsets": report.offsets, "counties": [c for c, _ in report.counties]}
            load.rows("meta", [{"key": MERGED_PREFIX + origin, "value": json.dumps(note)}])
        merged_sums = _brought(target, report.offsets)
        differ = [t for t in source_sums if source_sums[t] != merged_sums.get(t)]
        if differ:
            raise InvalidStore(
                f"合并后核对不一致:{'、'.join(differ)}(目标 {target.location} 请勿使用,检查后从备份恢复)",
                f"the merge reads back different in {', '.join(differ)}",
            )
        for fid, (target_id, outline) in kept.items():
            report.kept.append(_keep(source, target, fid, target_id, outline))
    report.checksum = total_checksum({t: source_sums[t][1] for t in source_sums})
    return report


class _Shift:
    """The source's rows with their ids shifted past the target's (and their references with them)."""

    def __init__(self, offsets: dict[str, int], dropped: set[int]) -> None:
        self.offsets = offsets
        self.dropped = dropped  # ids of the source's admin units the target already holds (their history stays)

    def feature(self, f: Feature) -> Feature:
        props = dict(f.properties)
        if f.layer == "name_procedures" and props.get("name_id") is not None:
            props["name_id"] = int(props["name_id"]) + self.offsets["place_names"]
        return Feature(f.layer, f.id + self.offsets[f.layer], f.version, props, f.geometry, f.updated_at, f.updated_by)

    def row(self, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
        out = dict(row)
        if table == "changesets":
            out["id"] += self.offsets["changesets"]
        elif table == "audit":
            if row["layer"] == "admin_units" and row["feature_id"] in self.dropped:
                return None  # the target's own row of that unit stands; its history is the target's
            out["id"] += self.offsets["audit"]
            if out.get("changeset_id") is not None:
                out["changeset_id"] += self.offsets["changesets"]
            out["feature_id"] += self.offsets.get(row["layer"], 0)
            if row["layer"] == "name_procedures":
                for side in ("before", "after"):
                    value = out.get(side)
                    if isinstance(value, dict) and value.get("name_id") is not None:
                        out[side] = value | {"name_id": int(value["name_id"]) + self.offsets["place_names"]}
        elif table == "documents":
            out["id"] += self.offsets["documents"]
            out["procedure_id"] += self.offsets["name_procedures"]
        return out


def _home_counties(units: list[Feature]) -> list[tuple[str, str]]:
    """The counties a store keeps: county-level units with townships below them in the store."""
    parents = {str(u.properties.get("parent_code")) for u in units if u.properties.get("level") == "township"}
    return sorted(
        (str(u.properties["code"]), str(u.properties["name"]))
        for u in units
        if u.properties.get("level") == "county" and str(u.properties["code"]) in parents
    )


def _check_conflicts(
    source: Backend, target: Backend, counties: list[str], accounts: bool
) -> dict[int, tuple[int, bool]]:
    """Refuse (Conflict) a merge whose counties the target already holds, or whose keys or accounts are
    taken; returns the source's admin units whose row the target keeps (a county's own row held as a
    neighbour's outline): source id → (target id, whether the target lacks an outline the source has)."""
    problems: list[str] = []
    kept: dict[int, tuple[int, bool]] = {}
    for code in counties:
        held = [
            f"{get_layer(layer).label_zh} {n} 条"
            for layer in ("admin_units", "place_names", "population", *_FACILITIES)
            if (n := sum(1 for f in _under(target, layer, code) if f.properties.get("code") != code))
        ]
        if held:
            problems.append(f"目标中已有区县 {code} 的数据({'、'.join(held)})")
    for layer, lay in LAYERS.items():
        if not lay.natural_key:
            continue
        theirs = {tuple(f.properties.get(k) for k in lay.natural_key): f for f in target.iter_features(layer)}
        for f in source.iter_features(layer):
            key = tuple(f.properties.get(k) for k in lay.natural_key)
            if key not in theirs:
                continue
            mine = theirs[key]
            if layer == "admin_units" and f.properties.get("level") == "county" and str(key[0]) in counties:
                kept[f.id] = (mine.id, mine.geometry is None and f.geometry is not None)
                continue
            problems.append(f"{lay.label_zh}“{'、'.join(str(k) for k in key)}”两边都有")
    if accounts:
        taken = {a["name"] for a in target.accounts()} & {a["name"] for a in source.accounts()}
        problems += [f"账号“{name}”两边都有" for name in sorted(taken)]
    if problems:
        shown = ";".join(problems[:8]) + (f" 等 {len(problems)} 处" if len(problems) > 8 else "")
        raise Conflict(f"不能合并:{shown};未写入任何数据", f"{len(problems)} conflicts; nothing written")
    return kept


_FACILITIES = ("eldercare_facilities", "community_complexes", "burial_sites")


def _under(store: Backend, layer: str, code: str) -> Iterable[Feature]:
    return store.features(layer, scope=code, geometry=False)


def _keep(source: Backend, target: Backend, source_id: int, target_id: int, fill_outline: bool) -> str:
    """The target's own row of a county the source brings stands; an outline only the source has fills it
    in (one more change of that row, after the merge, in the history as made by the merge)."""
    unit = target.get("admin_units", target_id)
    what = f"{unit.properties['name']}({unit.properties['code']})"
    if not fill_outline:
        return f"{what}在目标中已有记录,保留目标的记录"
    outline = source.get("admin_units", source_id).geometry
    target.update(
        "admin_units",
        target_id,
        expected_version=unit.version,
        geometry=outline,
        user="mzgis merge",
        reason="合并补上区划面",
    )
    return f"{what}在目标中已有记录,保留目标的记录,区划面取自源"


def _largest(store: Backend, name: str) -> int:
    """The largest id of a layer or a system table (0 when empty)."""
    largest = 0
    if name in LAYERS:
        for page in _pages_of_features(store, name):
            largest = max(largest, page[-1].id)
    else:
        for rows in _pages_of_rows(store, name):
            largest = max(largest, int(rows[-1]["id"]))
    return largest


def _brought(store: Backend, offsets: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Per layer and shifted table: the rows past the merge's shift (what it wrote), counted, and a SHA-256
    over them in id order — read from there on, not from the start."""
    out: dict[str, tuple[int, str]] = {}
    for layer in LAYERS:
        h, n = hashlib.sha256(), 0
        for page in _pages_of_features(store, layer, after=offsets[layer]):
            for f in page:
                h.update(_feature_digest(f))
            n += len(page)
        out[layer] = (n, h.hexdigest())
    for table in _TABLES:
        h, n = hashlib.sha256(), 0
        for rows in _pages_of_rows(store, table, after=offsets[table]):
            for row in rows:
                h.update(_row_digest(row))
            n += len(rows)
        out[table] = (n, h.hexdigest())
    return out
