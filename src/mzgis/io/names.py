"""Import of place-name lists as one changeset, with a dry-run report of the rule findings per row: new
names checked against the rules and the rows before them, rows matched to stored names (by id at home, by
place-name code or name in unit from another store) updating them. Reading the file as offices write it:
:mod:`mzgis.io.names_sheet`; the gazetteer going out: :mod:`mzgis.io.names_export`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from mzgis.admin import AdminLookup
from mzgis.errors import BadInput, MzgisError, NotFound, StaleVersion
from mzgis.gazetteer.census import (
    CensusClass,
    census_class,
)
from mzgis.gazetteer.edits import Actor, Edit, guard
from mzgis.gazetteer.rules import Finding, NameRecord, has_errors
from mzgis.gazetteer.scopes import Scopes
from mzgis.gazetteer.service import CheckResult, Gazetteer, Precheck
from mzgis.io.importer import convert_geometries, source_system
from mzgis.io.names_export import CATEGORY_ZH
from mzgis.io.names_sheet import NamesSheet
from mzgis.io.units import cell as _cell
from mzgis.layers import LAYERS, choice_labels, coerce_value
from mzgis.store.base import check_version
from mzgis.store.merge import merged_offsets

__all__ = [
    "NameRow",
    "NamesImportReport",
    "import_names",
]


@dataclass(frozen=True)
class NameRow:
    """One row of an import: its number, the name, the romanization and the findings (or a refusal)."""

    row: int
    name: str
    romanized: str = ""
    findings: tuple[Finding, ...] = ()
    problem: str = ""  # input that cannot be checked at all (bad code, no location …)
    action: str = "create"  # with --update: "update" (a new version), "unchanged" (nothing written)
    note: str = ""  # how the row was matched, when not by its id (a file from another store)

    @property
    def blocked(self) -> bool:
        return bool(self.problem) or has_errors(self.findings)


@dataclass
class NamesImportReport:
    source: str
    rows: list[NameRow] = field(default_factory=list)
    dry_run: bool = True
    written: int = 0
    override_reason: str | None = None
    update: bool = False
    notes: list[str] = field(default_factory=list)  # how the file was read: title rows, columns not used …

    @property
    def blocked_rows(self) -> list[NameRow]:
        return [r for r in self.rows if r.blocked]

    @property
    def ok(self) -> bool:
        return not self.blocked_rows

    def summary_zh(self) -> str:
        n_err = len(self.blocked_rows)
        n_warn = sum(1 for r in self.rows if not r.blocked and r.findings)
        head = f"{self.source}:共 {len(self.rows)} 条地名,{n_err} 条有错误,{n_warn} 条有提示"
        if self.update:
            counts = {a: sum(1 for r in self.rows if r.action == a and not r.problem) for a in ("create", "update")}
            unchanged = sum(1 for r in self.rows if r.action == "unchanged")
            head += f"(新增 {counts['create']} 条,更新 {counts['update']} 条,未变 {unchanged} 条)"
        if self.written:
            return f"{head};已作为一个变更集写入 {self.written} 条"
        if self.rows and all(r.action == "unchanged" for r in self.rows):
            return f"{head};与库中一致,无需写入"
        if self.dry_run:
            return f"{head}(试运行,未写入)"
        return f"{head};未导入任何数据"


def import_names(
    gazetteer: Gazetteer,
    path: Path,
    *,
    user: str,
    from_crs: str | None = None,
    source_layer: str | None = None,
    dry_run: bool = False,
    override_reason: str | None = None,
    drop_z: bool = False,
    update: bool = False,
    rename: Mapping[str, str] | None = None,
    scope: str | None = None,
    status: str | None = None,
    allow_duplicates: bool = False,
) -> NamesImportReport:
    """Check every row against the naming rules (and the rows before it); when none is blocked (or errors
    are overridden with a reason) and not ``dry_run``, write all rows as one changeset.

    ``update``: a row whose ``id`` (编号) is a stored name updates it — only what differs from the stored
    name (fields the file has, the position), as a new version checked like any edit (a ``version`` column,
    as mzgis exports it, must still be current); a row like the stored name writes nothing; rows without an
    id are added. So a list exported by mzgis, corrected in Excel, comes back as the corrections.

    ``scope``: the importing officer's jurisdiction (an admin code prefix): a row adding or changing a name
    outside it is a problem of that row, and the import writes nothing.

    As township offices write their tables: a title above the header is skipped; rows are numbered as the
    sheet shows them; units may be given by name (a 所属乡镇 column, a 村(社区) column, or names in the
    admin-code column), resolved within the register; every column is used or named as unused; a row
    repeated within the file is refused (``allow_duplicates``: kept); new names get ``status`` where the
    file gives none (拟用 by default, said in the report)."""
    new_status = _new_status(status)
    revisions = gazetteer.revisions()  # what the checks below see; the write reuses them if still current
    admin = gazetteer.admin()
    labels = gazetteer.rules.subcategory_labels
    sheet = NamesSheet.read(path, source_layer=source_layer, rename=rename, admin=admin, subcategory_labels=labels)
    system, _ = source_system(sheet.table.crs, from_crs)
    scopes = gazetteer.scopes()  # each row is compared with its scope's stored names and the rows before it
    located = convert_geometries(sheet.table.frame.geometry.array, system, drop_z=drop_z)  # points: in one call
    scopes.preload(sheet.scope_keys())  # the scopes of all rows in a few queries, not one query per row
    report = _report(sheet, Path(path).name, dry_run, override_reason, update, status, new_status)
    home, keys = (gazetteer.store.identity(), _StableKeys(gazetteer)) if update else ("", None)
    edits, results = list[Edit](), list[CheckResult]()
    for i, src in enumerate(sheet.rows):
        shown_row = sheet.table.row_number(i)  # the row as the sheet shows it
        props, problems = sheet.props(i, src, twins=not allow_duplicates)
        if problems:
            report.rows.append(NameRow(shown_row, str(props.get("name") or ""), problem=";".join(problems)))
            continue
        name, geom = str(props.get("name") or ""), located[i]
        try:
            fid, version, note = None, None, ""
            if keys is not None:
                fid, version, note = _match_row(gazetteer, keys, src, props, home, *sheet.key_columns)
            _guard(gazetteer, scope, fid, props, geom, user, admin)
        except MzgisError as exc:
            report.rows.append(NameRow(shown_row, name, problem=exc.message_zh, note=note))
            continue
        if fid is not None:
            coded = None if sheet.given[i] is None else sheet.given[i][0]  # the class that gave the subcategory
            row, edit = _update_row(gazetteer, shown_row, fid, props, geom, version, override_reason, coded)
            report.rows.append(replace(row, note=note) if note else row)
            edits += [edit] if edit is not None else []
            continue
        try:
            result, placed = _checked_new(gazetteer, name, props, geom, scopes, admin)
        except MzgisError as exc:
            report.rows.append(NameRow(shown_row, name, problem=exc.message_zh, note=note))
            continue
        report.rows.append(NameRow(shown_row, name, result.romanized, tuple(result.findings), note=note))
        results.append(result)
        scopes.add(NameRecord(name, str(props["category"]), str(props["admin_code"]), props.get("subcategory")))
        created = {k: v for k, v in (props | {"status": props.get("status") or new_status}).items() if v is not None}
        edits.append(Edit("create", properties=created, geometry=placed, override_reason=override_reason))
    if not dry_run and edits and not any(r.problem for r in report.rows) and (override_reason or report.ok):
        checked = Precheck(revisions, results) if len(results) == len(edits) else None  # only creates are reused
        gazetteer.apply(edits, user=user, comment=f"导入地名 {Path(path).name}", precheck=checked, scope=scope)
        report.written = len(edits)
    return report


def _report(
    sheet: NamesSheet,
    source: str,
    dry_run: bool,
    override_reason: str | None,
    update: bool,
    status: str | None,
    new_status: str,
) -> NamesImportReport:
    """The report begun: how the file was read and the status new names get (where the file gives none);
    an update needs a column to match rows by."""
    report = NamesImportReport(source, dry_run=dry_run, override_reason=override_reason, update=update)
    report.notes = sheet.notes
    if "status" not in sheet.mapping.values():
        shown = choice_labels(LAYERS["place_names"], "status").get(new_status, new_status)
        report.notes.append(f"新增地名的状态:{shown}({new_status})" + ("" if status else ",可用 --status 指定"))
    if update and sheet.id_column is None and sheet.column.get("census_code") is None:
        raise BadInput(f"{source} 没有编号(id)或地名代码列,无法按编号更新", "--update needs an id column")
    return report


def _new_status(status: str | None) -> str:
    """The status of the names a file adds where it gives none: ``status`` (现行 / 拟用 as well), else 拟用."""
    if status is None:
        return "proposed"
    status = coerce_value(LAYERS["place_names"].field("status"), status)
    if status not in ("current", "proposed"):
        raise BadInput("--status 只能是 current(现行)或 proposed(拟用)", "--status is current or proposed")
    return str(status)


def _checked_new(
    gazetteer: Gazetteer,
    name: str,
    props: Mapping[str, Any],
    geom: BaseGeometry | MzgisError | None,
    scopes: Scopes,
    admin: AdminLookup,
) -> tuple[CheckResult, BaseGeometry]:
    """A new name checked against the rules, its scope's names and the rows before it; its position."""
    if geom is None:
        raise BadInput("缺少位置(经纬度或几何)", "no location")
    if isinstance(geom, MzgisError):
        raise geom
    result = gazetteer.check(
        name,
        str(props.get("category") or ""),
        str(props.get("admin_code") or ""),
        subcategory=props.get("subcategory"),
        geometry=geom,
        scopes=scopes,
        admin=admin,
    )
    return result, geom


class _StableKeys:
    """The stored names by the keys a register shares with other stores: the place-name code (地名代码), else
    the name within its unit (and its category where the unit has the name twice). Read once, when a row
    first needs it."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer
        self._by_code: dict[str, list[int]] | None = None
        self._by_name: dict[tuple[str, str], list[tuple[int, str]]] = {}
        self._shifts: dict[str, int | None] = {}

    def shift(self, origin: str) -> int | None:
        """How far the names of store ``origin`` were shifted when it was merged into this one (None: never)."""
        if origin not in self._shifts:
            offsets = merged_offsets(self._gazetteer.store, origin)
            self._shifts[origin] = None if offsets is None else offsets.get("place_names", 0)
        return self._shifts[origin]

    def _load(self) -> None:
        self._by_code = {}
        for f in self._gazetteer.store.iter_features("place_names"):
            p = f.properties
            if p.get("census_code"):
                self._by_code.setdefault(str(p["census_code"]), []).append(f.id)
            self._by_name.setdefault((str(p["name"]), str(p["admin_code"])), []).append((f.id, str(p["category"])))

    def find(self, props: Mapping[str, Any]) -> int | None:
        """The one stored name the row stands for, or None (a new name)."""
        if self._by_code is None:
            self._load()
        assert self._by_code is not None
        code = str(props.get("census_code") or "")
        if code and len(self._by_code.get(code, [])) == 1:
            return self._by_code[code][0]
        named = self._by_name.get((str(props.get("name") or ""), str(props.get("admin_code") or "")), [])
        if len(named) > 1:
            named = [n for n in named if n[1] == props.get("category")]
        return named[0][0] if len(named) == 1 else None


def _match_row(
    gazetteer: Gazetteer,
    keys: _StableKeys,
    src: Mapping[str, Any],
    props: Mapping[str, Any],
    home: str,
    id_column: Any,
    version_column: Any,
    origin_column: Any,
) -> tuple[int | None, int | None, str]:
    """The stored name an update row stands for, the version it was read at, and a note on how it was found.

    Ids and versions are a store's own: a row exported from this store (its 来源库 is this store's identity)
    is matched by its id. A row of a store merged into this one (or copied out of it with ``--unit``) is
    matched by its id as the merge shifted it, when that id still holds the same name. A row from another
    store is matched by the keys registers share (地名代码, else the name within its unit); its id and
    version, the other store's, are not used. A row whose origin is unknown
    (no 来源库 column: a file exported before stores had identities) is matched by its id only when the name
    under that id is the same name (same 地名代码, same name, or a rename within the same unit and category);
    otherwise the row is refused, naming both (:class:`BadInput`)."""
    fid = _row_id(src, id_column)
    origin = _cell(src, origin_column)
    if fid is None:  # no id: a new name, or (a census file) a stored name by its keys
        return (keys.find(props) if id_column is None else None), None, ""
    if origin == home:
        return fid, _row_id(src, version_column), ""
    shift = keys.shift(origin) if origin else None
    if shift is not None:  # a store merged into this one: its ids, shifted as the merge recorded
        clash = _other_name(gazetteer, fid + shift, props)
        if clash:
            raise BadInput(
                f"编号 {fid}(合并后为 {fid + shift})在本库是{clash},不是文件中的“{props.get('name') or ''}”;未导入",
                f"id {fid} of a merged store is another name here",
            )
        return fid + shift, None, f"来自已并入本库的库,编号 {fid} 即本库 #{fid + shift}"
    if origin:
        found = keys.find(props)
        clash = _other_name(gazetteer, fid, props, renamed=False)
        note = f"来自另一个库,不按编号 {fid} 匹配" + (f"(本库编号 {fid} 是{clash})" if clash else "")
        note += f",按地名代码或名称对应本库 #{found}" if found is not None else ",本库没有这个地名,作为新地名"
        return found, None, note
    clash = _other_name(gazetteer, fid, props)
    if clash:
        raise BadInput(
            f"编号 {fid} 在本库是{clash},不是文件中的“{props.get('name') or ''}”:这个文件不是从本库导出的,"
            "不能按编号更新;请从本库重新导出后修改,或删去编号列按名称导入",
            f"id {fid} is another name in this store; the file was not exported from it",
        )
    return fid, _row_id(src, version_column), ""


def _other_name(gazetteer: Gazetteer, fid: int, props: Mapping[str, Any], *, renamed: bool = True) -> str:
    """How the name stored under ``fid`` is shown when it is not the row's name ("" when it is, or none is).
    ``renamed``: a name of the same unit and category counts as the row's (renamed since)."""
    try:
        stored = gazetteer.store.get("place_names", fid).properties
    except NotFound:
        return ""
    code, row_code = str(stored.get("census_code") or ""), str(props.get("census_code") or "")
    if code and row_code:
        same = code == row_code
    else:
        same = props.get("name") == stored["name"] or (
            renamed
            and props.get("admin_code") in (None, stored["admin_code"])
            and props.get("category") in (None, stored["category"])
        )
    return "" if same else f"“{stored['name']}”({stored['admin_code']},{CATEGORY_ZH.get(str(stored['category']), '')})"


def _guard(
    gazetteer: Gazetteer,
    scope: str | None,
    fid: int | None,
    props: Mapping[str, Any],
    geom: Any,
    user: str,
    admin: AdminLookup,
) -> None:
    """Refuse (Forbidden) a row that adds a name outside ``scope`` (by its unit or its position), or changes
    one stored outside it or moves one out of it."""
    if scope is None:
        return
    actor = Actor(user, scope)
    name = str(props.get("name") or "")
    placed = geom if isinstance(geom, BaseGeometry) else None
    if fid is not None:
        try:
            stored = gazetteer.store.get("place_names", fid)
        except NotFound:
            return  # the row's own check says so
        guard(actor, admin, stored.properties.get("admin_code"), str(stored.properties["name"]))
        name = name or str(stored.properties["name"])
        if placed is not None and stored.geometry is not None and shapely.equals_exact(placed, stored.geometry, 1e-7):
            placed = None  # not moved: where it stands is not the row's doing
        code = props.get("admin_code") or stored.properties.get("admin_code")
        guard(actor, admin, code, name, geometry=placed)
        return
    guard(actor, admin, props.get("admin_code"), name, geometry=placed)


def _row_id(src: Mapping[str, Any], column: Any) -> int | None:
    """A whole number from ``column`` of the row (an id or a version), or None when the cell is empty."""
    value = None if column is None else src[column]
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise BadInput(f"编号“{value}”不是整数", f"id {value!r} is not a whole number") from None
    if not number.is_integer() or not 0 < number < 2**63:
        raise BadInput(f"编号“{value}”不是整数", f"id {value!r} is not a whole number")
    return int(number)


def _update_row(
    gazetteer: Gazetteer,
    row: int,
    fid: int,
    props: Mapping[str, Any],
    geom: Any,
    version: int | None,
    override_reason: str | None,
    coded: CensusClass | None = None,
) -> tuple[NameRow, Edit | None]:
    """The row as an update of name ``fid``: what differs from the stored name, checked as it would be
    after the update; (the row, None) when nothing differs or the row cannot be used. ``coded``: the class of
    the row's class code, when it gave the subcategory: a stored subcategory whose class is that class or
    under it is kept (a 十里长街 stored as a street stays one under 23510 道路、街巷, a river under 12000 陆地水系)."""
    name = str(props.get("name") or "")
    try:
        current = gazetteer.store.get("place_names", fid)
    except NotFound:
        return NameRow(row, name, problem=f"编号 {fid} 的地名不存在", action="update"), None
    if isinstance(geom, MzgisError):
        return NameRow(row, name, problem=geom.message_zh, action="update"), None
    stored = current.properties
    try:  # the write would refuse it: the dry run says so too
        check_version(current, version)
    except StaleVersion as exc:
        return NameRow(row, name or str(stored["name"]), problem=exc.message_zh, action="update"), None
    changes = {k: v for k, v in props.items() if k != "status" and v != stored.get(k)}
    if (
        coded is not None
        and coded.category == stored["category"]
        and census_class(coded.category, stored.get("subcategory")).code.startswith(coded.code)
    ):
        changes.pop("subcategory", None)
    if props.get("status") not in (None, stored["status"]):
        changes["status"] = props["status"]
    moved = geom is not None and not (
        current.geometry is not None and shapely.equals_exact(geom, current.geometry, tolerance=1e-7)
    )
    if not changes and not moved:
        return NameRow(row, name or str(stored["name"]), str(stored.get("romanized") or ""), action="unchanged"), None
    after = dict(stored) | changes
    try:
        result = gazetteer.check(
            str(after["name"]),
            str(after["category"]),
            str(after["admin_code"]),
            subcategory=after.get("subcategory"),
            generic=None if "name" in changes else after.get("generic"),
            geometry=geom if moved else current.geometry,
            exclude_id=fid,
        )
    except MzgisError as exc:
        return NameRow(row, str(after["name"]), problem=exc.message_zh, action="update"), None
    edit = Edit(
        "update",
        fid,
        version if version is not None else current.version,
        changes,
        geom if moved else None,
        override_reason=override_reason,
    )
    return NameRow(row, str(after["name"]), result.romanized, tuple(result.findings), action="update"), edit
