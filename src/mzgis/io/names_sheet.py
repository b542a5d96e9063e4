"""A place-name list as township offices write it, read for the import (:mod:`mzgis.io.names`): a title
above the header skipped, Chinese headers, units by name (所属乡镇, 村(社区), or names in the code column),
the national class code (地名类别代码) or a census class named as the category, each row's fields and
problems, rows repeated within the file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mzgis.admin import AdminLookup
from mzgis.errors import BadInput, MzgisError
from mzgis.gazetteer.census import (
    CensusClass,
    class_named,
    nearest_classes,
    read_class_code,
)
from mzgis.gazetteer.edits import USER_FIELDS
from mzgis.gazetteer.rules import NameRecord, scope_key
from mzgis.io.importer import column_map
from mzgis.io.names_export import CATEGORY_ZH, CLASS_CODE_COLUMN, STORE_COLUMN, STORE_COLUMN_ZH
from mzgis.io.readers import read_table
from mzgis.io.units import TOWNSHIP_HEADERS, VILLAGE_HEADERS
from mzgis.io.units import cell as _cell
from mzgis.io.units import column_named as _column_named
from mzgis.io.units import row_unit as _row_unit
from mzgis.layers import LAYERS, coerce_value

__all__ = ["NamesSheet"]


def _row_class(src: Mapping[str, Any], column: Any, name: str) -> tuple[CensusClass, str | None] | MzgisError | None:
    """The GB/T 18521 class of a row by its class code, with the subcategory it gives; None without a code;
    the error of a bad one."""
    value = None if column is None else src[column]
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return None
    try:
        return read_class_code(value, name)
    except MzgisError as exc:
        return exc


@dataclass
class NamesSheet:
    """A names file as read: its rows, the column of each field and those mzgis reads itself (units by
    name, the class code, id, version, source store), each row's unit and class, and notes on the reading."""

    table: Any
    rows: list[dict[str, Any]]
    mapping: dict[str, str]  # column → field
    column: dict[str, str]  # field → column
    class_column: Any
    id_column: Any
    version_column: Any
    origin_column: Any
    units: list[str | MzgisError | None]
    classed: list[tuple[CensusClass, str | None] | MzgisError | None]
    named: list[Any]
    given: list[Any]
    notes: list[str]
    seen: dict[tuple[str, ...], int] = field(default_factory=dict)  # the rows read so far, by their cells
    subcategory_words: dict[str, str] = field(default_factory=dict)  # a subcategory's Chinese name → its code

    @classmethod
    def read(
        cls,
        path: Path,
        *,
        source_layer: str | None,
        rename: Mapping[str, str] | None,
        admin: AdminLookup,
        subcategory_labels: Mapping[str, str] | None = None,
    ) -> NamesSheet:
        """The file at ``path`` read; ``subcategory_labels`` (code → Chinese name, the rules'): a subcategory
        may be given by either."""
        layer = LAYERS["place_names"]
        table = read_table(path, source_layer=source_layer, rename=rename)
        frame = table.frame
        mapping, unused = column_map(layer, [c for c in frame.columns if c != frame.geometry.name])
        class_column = next((c for c in frame.columns if str(c).strip() in (CLASS_CODE_COLUMN, "类别代码")), None)
        town_column = _column_named(frame, *TOWNSHIP_HEADERS)
        village_column = _column_named(frame, *VILLAGE_HEADERS)
        id_column = _column_named(frame, "id", "编号", "编号 id")
        version_column = _column_named(frame, "version", "版本", "版本 version")
        origin_column = _column_named(frame, STORE_COLUMN, "来源库", STORE_COLUMN_ZH)
        read_here = {town_column, village_column, class_column, id_column, version_column, origin_column} - {None}
        unused = [c for c in unused if c not in {str(c).strip() for c in read_here}]
        required = ["name", "admin_code"] if class_column is not None else ["name", "category", "admin_code"]
        if town_column is not None:
            required.remove("admin_code")  # the unit comes from the township (and village) names
        missing = [f for f in required if f not in mapping.values()]
        if missing:
            labels = "、".join(f"{layer.field(f).label_zh}({f})" for f in missing)
            hint = ";如表头上方有标题行,请确认表头是否在标题之下的第一行" if not mapping else ""
            raise BadInput(f"{Path(path).name} 缺少必填列:{labels}{hint}", f"missing columns: {missing}")
        column = {target: col for col, target in mapping.items()}
        rows = frame.to_dict("records")  # plain dicts: a pandas row per name costs more than the checks
        # the unit of each row: its admin code, or the unit its township (and village) names, resolved once
        units = [_row_unit(admin, src, column.get("admin_code"), town_column, village_column) for src in rows]
        for i, unit in enumerate(units):
            rows[i] = dict(rows[i]) | {"__unit": unit if isinstance(unit, str) else None}
        column.setdefault("admin_code", "__unit")
        if "admin_code" not in mapping.values():
            mapping["__unit"] = "admin_code"
        else:  # a name in the admin-code column: its resolved code stands in its place
            for i, unit in enumerate(units):
                if isinstance(unit, str):
                    rows[i][column["admin_code"]] = unit
        notes = [n for n in (table.note, *table.notes) if n]
        if unused:
            notes.append(f"未使用的列:{'、'.join(unused)}")
        # classes by the class code, and by 类别名称 when it names a census class (农村居民点) rather than a
        # category; without a subcategory column the code's class (else the named one) gives the subcategory
        classed = [_row_class(src, class_column, _cell(src, column.get("name"))) for src in rows]
        named = [class_named(_cell(src, column.get("category")), _cell(src, column.get("name"))) for src in rows]
        given = [
            None if "subcategory" in column else by_code if isinstance(by_code, tuple) else by_name
            for by_code, by_name in zip(classed, named, strict=True)
        ]
        words = {label: code for code, label in (subcategory_labels or {}).items()}
        return cls(table, rows, mapping, column, class_column, id_column, version_column, origin_column,
                   units, classed, named, given, notes, subcategory_words=words)  # fmt: skip

    @property
    def key_columns(self) -> tuple[Any, Any, Any]:
        return self.id_column, self.version_column, self.origin_column

    def cell(self, src: Mapping[str, Any], target: str) -> str:
        return _cell(src, self.column.get(target))

    def category_of(self, i: int, src: Mapping[str, Any]) -> str:
        for found in (self.named[i], self.classed[i]):
            if isinstance(found, tuple):
                return str(found[0].category)
        return self.cell(src, "category")

    def subcategory_of(self, i: int, src: Mapping[str, Any]) -> str | None:
        if "subcategory" in self.column:  # by its code, or by its Chinese name as mzgis's export writes it
            text = self.cell(src, "subcategory")
            return self.subcategory_words.get(text, text) or None
        found = self.given[i]
        return found[1] if found else None

    def scope_keys(self) -> list[str]:
        return [
            scope_key(
                NameRecord(
                    self.cell(src, "name"),
                    self.category_of(i, src),
                    self.cell(src, "admin_code"),
                    self.subcategory_of(i, src),
                )
            )
            for i, src in enumerate(self.rows)
        ]

    def twin(self, src: Mapping[str, Any], shown_row: int) -> str:
        """The problem of a row repeated within the file (every cell the same as an earlier row's), or ""."""
        frame = self.table.frame
        same = tuple(_cell(src, c) for c in frame.columns if c != frame.geometry.name)
        first = self.seen.setdefault(same, shown_row)
        return f"与第 {first} 行重复(如确需保留,请加 --allow-duplicates)" if first != shown_row else ""

    def props(self, i: int, src: Mapping[str, Any], *, twins: bool) -> tuple[dict[str, Any], list[str]]:
        """Row ``i``'s fields as the layer model takes them (category and subcategory from its class where the
        file gives one) and its problems; ``twins``: a row repeated within the file is one."""
        layer = LAYERS["place_names"]
        props: dict[str, Any] = {}
        problems: list[str] = []
        unit = self.units[i]
        if isinstance(unit, MzgisError):
            problems.append(unit.message_zh)
        if twins and (twin := self.twin(src, self.table.row_number(i))):
            problems.append(twin)
        for col, target in self.mapping.items():
            if target == "admin_code" and isinstance(unit, MzgisError):
                continue
            if target in USER_FIELDS:
                try:
                    by_name = self.named[i] if target == "category" else None
                    props[target] = by_name[0].category if by_name else coerce_value(layer.field(target), src[col])
                except ValueError as exc:
                    problems.append(f"{layer.field(target).label_zh}{exc}")
        category = props.get("category")
        if category is not None and category not in CATEGORY_ZH:  # the nearest few, not all twelve
            near = nearest_classes(str(category))
            problems.append(
                f"类别“{category}”不是地名类别"
                + (f";相近的有:{'、'.join(near)}" if near else "")
                + "(全部类别见 mzgis layers)"
            )
        klass = self.classed[i]
        if isinstance(klass, MzgisError):
            problems.append(klass.message_zh)
        elif klass is not None:
            census_class = klass[0]
            if props.get("category") is None:
                props["category"] = census_class.category
            elif props["category"] != census_class.category:
                problems.append(
                    f"类别名称“{CATEGORY_ZH.get(str(props['category']), props['category'])}”与地名类别代码"
                    f" {census_class.padded}({census_class.name},属{CATEGORY_ZH[census_class.category]})不符"
                )
        if isinstance(props.get("subcategory"), str):  # its Chinese name, as mzgis's export writes it
            props["subcategory"] = self.subcategory_words.get(props["subcategory"], props["subcategory"])
        if (found := self.given[i]) is not None and found[1]:
            props["subcategory"] = found[1]
        return props, problems
