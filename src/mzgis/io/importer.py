"""Import a file into a layer: every row checked against the layer model, all-or-nothing.

Rows are read (:mod:`mzgis.io.readers`), their coordinates converted from the declared source system to
CGCS2000, then checked: required fields, enums, codes, geometry type and validity, inside the county,
unique keys within the file and against the store, codes that must exist. One rejected row rejects the
import and nothing is written; the report lists every rejected row and why. ``dry_run`` never writes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from mzgis.admin import load_admin
from mzgis.crs import STORAGE_EPSG, convert, parse_system
from mzgis.errors import BadInput, MzgisError
from mzgis.io.readers import NO_COORDINATES, read_table
from mzgis.io.units import TOWNSHIP_HEADERS, VILLAGE_HEADERS, column_named, row_unit
from mzgis.layers import Layer, check_geometry, check_record, get_layer, is_missing, promote_geometry
from mzgis.store import Feature, Store
from mzgis.store.base import UNCHANGED

__all__ = ["ImportReport", "RowProblem", "column_map", "convert_geometry", "import_file", "source_system"]

Progress = Callable[[int, int], None]
_EXTENT_MARGIN_DEG = 0.01  # about 1 km around the county's extent


@dataclass(frozen=True)
class RowProblem:
    """A rejected row: its number as the file shows it (Excel's row number, header and title rows counted;
    a feature's number), a label (name or code) and the reasons in Chinese."""

    row: int
    label: str
    problems: tuple[str, ...]


@dataclass
class ImportReport:
    """The outcome of an import (or a dry run)."""

    layer: str
    source: str
    rows: int
    source_crs: str
    encoding: str | None
    dry_run: bool
    rejected: list[RowProblem] = field(default_factory=list)
    written: int = 0
    notes: list[str] = field(default_factory=list)
    update: bool = False  # rows whose key exists update that feature instead of being refused
    inserts: int = 0  # the plan (also on a dry run): rows to add, to update, left as they are
    updates: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not self.rejected

    def summary_zh(self) -> str:
        head = f"{self.source} → {self.layer}:共 {self.rows} 行,坐标系 {self.source_crs}"
        if self.encoding:
            head += f",编码 {self.encoding}"
        if self.rejected:
            return f"{head};{len(self.rejected)} 行不合格,未导入任何数据"
        counts = f"新增 {self.inserts} 条,更新 {self.updates} 条,未变 {self.unchanged} 条" if self.update else ""
        if self.dry_run:
            return f"{head};全部合格(试运行,未写入" + (f";将{counts}" if counts else "") + ")"
        return f"{head};" + (f"已{counts}" if counts else f"已导入 {self.written} 条")


def column_map(layer: Layer, columns: list[str]) -> tuple[dict[str, str], list[str]]:
    """Source column → layer field, by field name (any case) or Chinese label; and the unused columns."""
    by_key = {f.name.lower(): f.name for f in layer.fields} | {f.label_zh: f.name for f in layer.fields}
    by_key |= {alias: f.name for f in layer.fields for alias in f.aliases}
    by_key |= {f"{f.label_zh} {f.name}".lower(): f.name for f in layer.fields}  # mzgis's own exports: 标准名称 name
    mapping: dict[str, str] = {}
    unused: list[str] = []
    for col in columns:
        key = str(col).strip()
        target = by_key.get(key.lower()) or by_key.get(key)
        if target and target not in mapping.values():
            mapping[str(col)] = target
        elif key not in ("geometry", "fid", "id", "version", "updated_at", "updated_by"):
            unused.append(key)
    return mapping, unused


def source_system(declared: CRS | None, from_crs: str | None) -> tuple[str, str]:
    """(system for :func:`convert`, how to describe it). ``from_crs`` overrides what the file declares."""
    if from_crs:
        system = parse_system(from_crs)
        return (system.to_string() if isinstance(system, CRS) else system), from_crs
    if declared is None:
        return "cgcs2000", "未声明,按 CGCS2000/WGS 84 经纬度处理"
    epsg = declared.to_epsg()
    if epsg in (4326, STORAGE_EPSG):
        return "cgcs2000", f"EPSG:{epsg}"
    return declared.to_string(), declared.to_string()


def convert_geometry(geom: BaseGeometry, system: str, *, drop_z: bool = False) -> BaseGeometry:
    """``geom`` converted from ``system`` to CGCS2000. Heights are not stored: a geometry with Z is refused
    unless ``drop_z`` (the importer's ``--drop-z``; analyses of a file pass it), then flattened."""
    if geom.has_z and not drop_z:
        raise BadInput("几何带 Z 坐标(高程);只保存平面位置,如确认去掉高程,请加 --drop-z", "3-D geometry; add --drop-z")
    geom = shapely.force_2d(geom)
    if system == "cgcs2000":
        # still reject non-finite and out-of-China coordinates with a row-level message
        coords = shapely.get_coordinates(geom)
        if len(coords):
            convert(coords[:, 0], coords[:, 1], "cgcs2000", "cgcs2000")
        return geom

    def _apply(c: Any) -> Any:
        import numpy as np

        if len(c) == 0:
            return c
        x, y = convert(c[:, 0], c[:, 1], system, "cgcs2000")
        return np.column_stack([x, y])

    return shapely.transform(geom, _apply)


def convert_geometries(
    geoms: Sequence[Any], system: str, *, drop_z: bool = False
) -> list[BaseGeometry | MzgisError | None]:
    """Every geometry as :func:`convert_geometry` gives it, or the error it raises (a missing one stays
    None). Flat points, the usual case of a list, are converted in one call; anything else, and every
    point of a batch with a bad coordinate, one by one (so each row gets its own message)."""
    shapes = [None if g is None or isinstance(g, float) else g for g in geoms]  # NaN from a spreadsheet
    present = [g for g in shapes if g is not None]
    if present and all(g.geom_type == "Point" and not g.has_z and not g.is_empty for g in present):
        xy = shapely.get_coordinates(present)
        try:
            x, y = convert(xy[:, 0], xy[:, 1], system, "cgcs2000")
        except MzgisError:
            pass  # one of them is bad: the loop below names it
        else:
            moved: Any = shapely.points(x, y)  # an array of points (shapely's stubs say a Point)
            points = iter(list(moved) if system != "cgcs2000" else present)
            return [None if g is None else next(points) for g in shapes]
    out: list[BaseGeometry | MzgisError | None] = []
    for g in shapes:
        try:
            out.append(None if g is None else convert_geometry(g, system, drop_z=drop_z))
        except MzgisError as exc:
            out.append(exc)
    return out


def import_file(
    store: Store,
    layer_name: str,
    path: Path,
    *,
    user: str,
    from_crs: str | None = None,
    source_layer: str | None = None,
    dry_run: bool = False,
    update: bool = False,
    drop_z: bool = False,
    progress: Progress | None = None,
    rename: Mapping[str, str] | None = None,
) -> ImportReport:
    """Check every row of ``path`` for ``layer_name`` and, when all pass and not ``dry_run``, write them
    in one transaction. With ``update``, a row whose key (the layer's natural key) is already stored
    updates that feature (a new version, in the audit) rather than being refused; identical rows are left
    alone. Returns the report; raises only for problems with the file as a whole."""
    layer = get_layer(layer_name)
    _check_importable(layer, update)
    table = read_table(path, source_layer=source_layer, rename=rename)
    frame = table.frame
    system, crs_text = source_system(table.crs, from_crs)
    report = ImportReport(layer.name, Path(path).name, len(frame), crs_text, table.encoding, dry_run, update=update)
    if table.note and (layer.geometry or table.note != NO_COORDINATES):  # a table of figures needs none
        report.notes.append(table.note)
    report.notes += table.notes
    mapping, unit_field, town_column, village_column = _columns(layer, frame, report)
    provided = set(mapping.values()) | ({str(unit_field)} if town_column is not None else set())
    # updating rows take the columns the file lacks from the stored feature; only the key must be there
    _check_required(layer, layer.natural_key if update else layer.required_fields, provided, Path(path).name)
    if len(frame) == 0:
        raise BadInput(f"{Path(path).name} 没有数据行", f"{Path(path).name} has no rows")

    admin = load_admin(store)
    extent = admin.extent(margin_deg=_EXTENT_MARGIN_DEG) if layer.geometry else None
    known_codes = {code: str(admin.level(code)) for code in admin.codes}
    rows: list[tuple[dict[str, Any], BaseGeometry | None]] = []
    # the stored features, read once, when keys are to be checked (update needs a key, so it reads them too)
    existing = list(store.iter_features(layer.name)) if update or _unique_keys(layer) else []
    # features by key; one without a key value (a facility without its code) is never updated by a row
    stored = {k: f for f in existing if None not in (k := _key(layer, f.properties))} if update else {}
    left_out: list[str] = []
    numbers: list[int] = []  # each kept row's number as the file shows it (Excel's row, the feature's number)
    unit_column = next((col for col, target in mapping.items() if target == unit_field), None)
    for i, (_, src) in enumerate(frame.iterrows(), start=1):
        unit = row_unit(admin, src, unit_column, town_column, village_column) if unit_field else None
        values, clean, problems = _row_values(layer, src, mapping, unit_field, unit)
        target = stored.get(_key(layer, clean))
        if target is None and update and layer.name == "admin_units":
            # attaching outlines: a file that covers more than this register gives this register's rows;
            # units are added by importing without --update (or by merge), never by a file of outlines
            left_out.append(f"{clean.get('name') or ''}({clean.get('code') or values.get('code') or '?'})")
            continue
        if target is not None:  # check the feature as it would be after the update; an empty cell keeps
            current = target.properties  # the stored value (a file that lacks a value does not clear it)
            given = {k: v for k, v in values.items() if not is_missing(v)}
            clean, problems = check_record(layer, {k: current.get(k) for k in layer.field_names} | given)
        geom, geom_problems = _row_geometry(layer, src[frame.geometry.name], system, drop_z, target, extent, clean)
        problems += geom_problems
        problems += _reference_problems(layer, clean, known_codes)
        label = str(clean.get("name") or clean.get("code") or clean.get("marker_id") or "")
        if problems:
            report.rejected.append(RowProblem(len(rows) + 1, label, tuple(problems)))
        rows.append((clean, geom))
        numbers.append(table.row_number(i - 1))
        if progress:
            progress(i, len(frame))
    if left_out:
        report.notes.append(f"未导入:{'、'.join(left_out)} 不在本数据中(--update 只更新已登记的区划单位)")
    if _rejected(layer, rows, existing, set(stored), set(known_codes), numbers, report):
        return report
    new, changed = _new_and_changed(layer, rows, stored, provided)
    report.inserts, report.updates = len(new), len(changed)
    report.unchanged = len(rows) - len(new) - len(changed)
    if dry_run:
        return report
    _write(store, layer, new, changed, user=user, reason=f"导入 {Path(path).name}", report=report)
    return report


def _rejected(
    layer: Layer,
    rows: list[tuple[dict[str, Any], BaseGeometry | None]],
    existing: list[Feature],
    updating: set[tuple[Any, ...]],
    known_codes: set[str],
    numbers: list[int],
    report: ImportReport,
) -> bool:
    """Whether any row is refused, after the checks across rows (keys used twice, in the file or with the
    stored features; a division unit's parent); refused rows numbered as the officer sees the file."""
    _key_problems(layer, rows, existing, report, updating=updating)
    if layer.name == "admin_units":
        _parent_problems(rows, known_codes, report)
    report.rejected = [replace(r, row=numbers[r.row - 1]) for r in report.rejected]
    return bool(report.rejected)


def _row_values(
    layer: Layer, src: Any, mapping: Mapping[str, str], unit_field: str | None, unit: str | MzgisError | None
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """A row's values by field, as checked, and its problems; ``unit``: the unit the row names (a
    township's or village's name) as its code, or why it has none (said once, as the name's problem, not
    again as a missing code)."""
    values = {target: src[col] for col, target in mapping.items()}
    if unit is not None:
        values[str(unit_field)] = unit if isinstance(unit, str) else None
    clean, problems = check_record(layer, values)
    if isinstance(unit, MzgisError):
        label = layer.field(str(unit_field)).label_zh
        problems = [unit.message_zh, *(p for p in problems if not p.startswith(f"缺少必填字段 {label}"))]
    return values, clean, problems


def _check_importable(layer: Layer, update: bool) -> None:
    """A layer with a service of its own (place names) is imported through it; an update needs a key."""
    if layer.gate:
        raise BadInput(
            f"{layer.label_zh}经{layer.gate}导入:请用 mzgis names import(或 mzgis import {layer.name},它转交地名服务)",
            f"{layer.name} is imported through its service (mzgis names import)",
        )
    if update and not layer.natural_key:
        raise BadInput(
            f"图层 {layer.name}({layer.label_zh})没有唯一键,无法按键更新;请只导入新增数据",
            f"{layer.name} has no key to update by",
        )


def _check_required(layer: Layer, needed: Sequence[str], provided: set[str], file_name: str) -> None:
    missing = [name for name in needed if name not in provided]
    if missing:
        labels = "、".join(f"{layer.field(n).label_zh}({n})" for n in missing)
        raise BadInput(f"{file_name} 缺少必填列:{labels}", f"missing columns: {', '.join(missing)}")


def _new_and_changed(
    layer: Layer,
    rows: list[tuple[dict[str, Any], BaseGeometry | None]],
    stored: Mapping[tuple[Any, ...], Feature],
    provided: set[str],
) -> tuple[list[tuple[dict[str, Any], BaseGeometry | None]], list[tuple[Feature, dict[str, Any], BaseGeometry | None]]]:
    """The rows to add (their key not stored) and the stored features they change (only the columns the
    file has; a row that changes nothing is neither)."""
    new = [(rec, geom) for rec, geom in rows if _key(layer, rec) not in stored]
    changed = [
        (stored[_key(layer, rec)], {k: v for k, v in rec.items() if k in provided}, geom)
        for rec, geom in rows
        if _key(layer, rec) in stored
    ]
    return new, [(f, rec, geom) for f, rec, geom in changed if not _same(layer, f, rec, geom)]


def _columns(layer: Layer, frame: Any, report: ImportReport) -> tuple[dict[str, str], str | None, Any, Any]:
    """The file's columns for the layer's fields; the field of the unit a row belongs to, which may be given
    by name (in its code column, or by township and village columns), and those columns; the columns left
    unused are noted in ``report``."""
    mapping, unused = column_map(layer, [c for c in frame.columns if c != frame.geometry.name])
    unit_field = layer.scope_fields[0] if layer.name != "admin_units" and len(layer.scope_fields) == 1 else None
    town_column = column_named(frame, *TOWNSHIP_HEADERS) if unit_field else None
    village_column = column_named(frame, *VILLAGE_HEADERS) if town_column is not None else None
    read_here = {str(c).strip() for c in (town_column, village_column) if c is not None}
    unused = [c for c in unused if c not in read_here]
    if unused:
        report.notes.append(f"未使用的列:{'、'.join(unused)}")
    return mapping, unit_field, town_column, village_column


def _row_geometry(
    layer: Layer,
    given: Any,
    system: str,
    drop_z: bool,
    target: Feature | None,
    extent: tuple[float, float, float, float] | None,
    clean: dict[str, Any],
) -> tuple[BaseGeometry | None, list[str]]:
    """A row's geometry in the storage CRS (an update without a position keeps the stored one) and its
    problems: not convertible, not the layer's kind, or outside the county (where the layer needs it inside)."""
    problems: list[str] = []
    geom: BaseGeometry | None
    if given is not None and not (isinstance(given, float) and math.isnan(given)):
        try:
            geom = promote_geometry(layer, convert_geometry(given, system, drop_z=drop_z))
        except MzgisError as exc:
            problems.append(exc.message_zh)
            geom = None
    else:
        geom = None if target is None else target.geometry
    if layer.geometry or geom is not None:
        problems += check_geometry(layer, geom)
    if geom is not None and extent is not None and not _outside_ok(layer, clean):
        minx, miny, maxx, maxy = geom.bounds
        if minx < extent[0] or miny < extent[1] or maxx > extent[2] or maxy > extent[3]:
            problems.append(
                f"位置超出本区县范围(经度 {extent[0]:.4f}–{extent[2]:.4f},纬度 {extent[1]:.4f}–{extent[3]:.4f})"
            )
    return geom, problems


def _write(
    store: Store,
    layer: Layer,
    new: list[tuple[dict[str, Any], BaseGeometry | None]],
    changed: list[tuple[Feature, dict[str, Any], BaseGeometry | None]],
    *,
    user: str,
    reason: str,
    report: ImportReport,
) -> None:
    """The new rows and the updates in one transaction; division units given polygons place the division
    names waiting for them."""
    with store.transaction(user=user, reason=reason) as tx:
        tx.insert_many(layer.name, new)
        for feature, rec, geom in changed:
            tx.update(
                layer.name,
                feature.id,
                expected_version=feature.version,
                properties=rec,
                geometry=geom if layer.geometry else UNCHANGED,
            )
    report.written = len(new) + len(changed)
    if layer.name == "admin_units":  # the division names waiting for their unit's polygon get its point
        from mzgis.gazetteer.divisions import place_division_names
        from mzgis.gazetteer.service import Gazetteer

        outlined = [str(rec["code"]) for rec, geom in new if geom is not None]
        outlined += [str(f.properties["code"]) for f, _, geom in changed if geom is not None]
        placed = place_division_names(Gazetteer(store), outlined, user=user)
        if placed:
            report.notes.append(f"区划名称 {placed} 个已取区划面内的代表点作为位置")


def _key(layer: Layer, rec: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(rec.get(k) for k in layer.natural_key)


def _same(layer: Layer, feature: Feature, rec: Mapping[str, Any], geom: BaseGeometry | None) -> bool:
    """Whether a row would change nothing in the stored feature."""
    if any(feature.properties.get(k) != v for k, v in rec.items()):
        return False
    if not layer.geometry:
        return True
    return (
        geom is not None and feature.geometry is not None and bool(shapely.equals_exact(feature.geometry, geom, 1e-9))
    )


def _outside_ok(layer: Layer, rec: dict[str, Any]) -> bool:
    """Neighbouring counties' outlines (context for boundary work) may lie outside the home county."""
    return layer.name == "admin_units" and rec.get("level") == "county"


def _reference_problems(layer: Layer, rec: dict[str, Any], known: dict[str, str]) -> list[str]:
    """Codes that must name an existing admin unit (once the store has admin units)."""
    if not known:
        return []
    out = []
    if layer.name == "population" and rec.get("code") and known.get(rec["code"]) not in ("village", "township"):
        out.append(f"区划代码 {rec['code']} 不是已有的村级或乡镇级单位")
    if "admin_code" in layer.field_names and rec.get("admin_code") and rec["admin_code"] not in known:
        out.append(f"所在区划代码 {rec['admin_code']} 不存在于行政区划图层")
    return out


def _add_problems(
    report: ImportReport, rows: list[tuple[dict[str, Any], BaseGeometry | None]], extra: dict[int, list[str]]
) -> None:
    """Merge row-level problems found after the first pass into the report."""
    by_row = {r.row: r for r in report.rejected}
    for i, problems in extra.items():
        old = by_row.get(i)
        label = old.label if old else str(rows[i - 1][0].get("name") or rows[i - 1][0].get("code") or "")
        if old:
            report.rejected.remove(old)
        report.rejected.append(RowProblem(i, label, (*(old.problems if old else ()), *problems)))
    report.rejected.sort(key=lambda r: r.row)


def _parent_problems(
    rows: list[tuple[dict[str, Any], BaseGeometry | None]], known: set[str], report: ImportReport
) -> None:
    """Townships and villages need a parent that exists, in the store or in the same file."""
    in_file = {rec.get("code") for rec, _ in rows}
    extra: dict[int, list[str]] = {}
    for i, (rec, _) in enumerate(rows, start=1):
        parent = rec.get("parent_code")
        if rec.get("level") in ("township", "village") and parent and parent not in known | in_file:
            extra.setdefault(i, []).append(f"上级区划 {parent} 不存在(数据库和本文件中都没有)")
    _add_problems(report, rows, extra)


def _unique_keys(layer: Layer) -> list[tuple[str, ...]]:
    """The field combinations that must be unique: each unique field, and a natural key of several fields."""
    keys: list[tuple[str, ...]] = [(f.name,) for f in layer.fields if f.unique]
    if len(layer.natural_key) > 1:
        keys.append(layer.natural_key)
    return keys


def _key_problems(
    layer: Layer,
    rows: list[tuple[dict[str, Any], BaseGeometry | None]],
    stored: list[Feature],
    report: ImportReport,
    *,
    updating: set[tuple[Any, ...]],
) -> None:
    """Unique fields and natural keys: duplicates within the file and clashes with the ``stored`` features
    (except those ``updating`` names by natural key, which the rows update)."""
    keys = _unique_keys(layer)
    if not keys:
        return
    extra: dict[int, list[str]] = {}
    existing_rows = [f.properties for f in stored]
    row_keys = [_key(layer, rec) for rec, _ in rows]
    for key in keys:
        values = [tuple(rec.get(k) for k in key) for rec, _ in rows]
        counts = Counter(v for v in values if None not in v)
        existing = {tuple(p.get(k) for k in key) for p in existing_rows}
        label = "+".join(layer.field(k).label_zh for k in key)
        for i, v in enumerate(values, start=1):
            if None in v:
                continue
            shown = "/".join(str(x) for x in v)
            if counts[v] > 1:
                extra.setdefault(i, []).append(f"{label} {shown} 在文件中重复")
            if v in existing and row_keys[i - 1] not in updating:
                hint = "(如要更新已有数据,请加 --update)" if layer.natural_key and not report.update else ""
                extra.setdefault(i, []).append(f"{label} {shown} 已存在于数据库{hint}")
    _add_problems(report, rows, extra)
