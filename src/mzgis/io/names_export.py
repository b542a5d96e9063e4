"""The gazetteer going out: the whole register as a table or a GIS file (``names export``), in the census
exchange form (the registration form's columns, with the national class code), and the clean-up report of
names that break the rules (``names report``, with a remedy and a deadline for each)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from mzgis.admin import register_area
from mzgis.clock import beijing_today
from mzgis.errors import BadInput, RuleViolation
from mzgis.gazetteer.census import class_code
from mzgis.gazetteer.rules import RULE_BASIS_ZH, RULE_NAMES_ZH, RULE_REMEDIES_ZH
from mzgis.gazetteer.service import Gazetteer
from mzgis.io.document import Document, Heading, Para, Table, date_zh, to_docx
from mzgis.io.tables import Form, write_form, write_table
from mzgis.layers import LAYERS, choice_labels

__all__ = [
    "CENSUS_COLUMNS",
    "CENSUS_FORMATS",
    "EXPORT_FORMATS",
    "cleanup_report",
    "export_census",
    "export_names",
    "write_cleanup_report",
]

# what the gazetteer exports to (the page's choice), and which of them carry the census exchange
EXPORT_FORMATS = {"xlsx": "Excel(XLSX)", "csv": "CSV", "geojson": "GeoJSON", "gpkg": "GeoPackage"}
CENSUS_FORMATS = ("xlsx", "csv")

CATEGORY_ZH = choice_labels(LAYERS["place_names"], "category")
# The census exchange: the fields of the second national place-name census' registration form (第二次全国地名
# 普查登记表) that the register holds, by the form's names, in its order; coordinates in decimal degrees
CENSUS_COLUMNS = {
    "地名代码": "census_code",
    "标准名称": "name",
    "罗马字母拼写": "romanized",
    "类别名称": "category",
    "行政区划代码": "admin_code",
    "地名含义": "origin",
    "历史沿革": "history",
    "地理实体描述": "description",
}
# each exported row carries the identity of the store it came from: an update matches ids only at home
STORE_COLUMN = "store_id"
STORE_COLUMN_ZH = "来源库 store_id"
# the class code of GB/T 18521 (the national place-name database's five digits), written after 类别名称
CLASS_CODE_COLUMN = "地名类别代码"


def export_names(gazetteer: Gazetteer, path: Path) -> int:
    """Write the whole gazetteer to ``path`` (format by suffix); returns the number of names."""
    suffix = path.suffix.lower()
    if suffix.lstrip(".") not in EXPORT_FORMATS:
        known = "、".join(f".{f}" for f in EXPORT_FORMATS)
        raise BadInput(f"不支持导出为“{path.suffix}”;可用:{known}", "unsupported format")
    frame: gpd.GeoDataFrame = gazetteer.store.read_frame("place_names").reset_index()
    frame[STORE_COLUMN] = gazetteer.store.identity()
    if suffix in (".geojson", ".gpkg"):
        out = frame.copy()
        out["is_example"] = out["is_example"].map(lambda v: None if v is None else bool(v)).astype("boolean")
        if path.exists():
            path.unlink()
        pyogrio.write_dataframe(out, path, layer="place_names", driver="GeoJSON" if suffix == ".geojson" else "GPKG")
        return len(frame)
    table = pd.DataFrame(frame.drop(columns="geometry"))
    for f in LAYERS["place_names"].fields:  # allowed values by their Chinese names, as officers read them
        if f.choices and f.choice_labels_zh:  # (names import takes them back)
            names = dict(zip(f.choices, f.choice_labels_zh, strict=True))
            table[f.name] = table[f.name].map(lambda v, n=names: n.get(v, v))
    labels = gazetteer.rules.subcategory_labels  # the subcategory too (the rules' names, read back by import)
    table["subcategory"] = table["subcategory"].map(lambda v: labels.get(v, v) if isinstance(v, str) else v)
    points = frame.geometry.representative_point()
    table["lon"] = [None if g is None or g.is_empty else round(g.x, 8) for g in points]
    table["lat"] = [None if g is None or g.is_empty else round(g.y, 8) for g in points]
    table["wkt"] = [None if g is None else shapely.to_wkt(g, rounding_precision=8) for g in frame.geometry]
    labels = {f.name: f"{f.label_zh} {f.name}" for f in LAYERS["place_names"].fields} | {STORE_COLUMN: STORE_COLUMN_ZH}
    table = table.rename(columns=labels)
    write_table(table, path, sheet="标准地名")
    return len(frame)


# how long the bureau allows to remedy a finding, from the day of the report (--deadline overrides both)
REMEDY_DAYS = {"error": 90, "warning": 180}


def export_census(gazetteer: Gazetteer, path: Path) -> int:
    """The gazetteer in the census exchange form (CSV or XLSX): the registration form's columns
    (:data:`CENSUS_COLUMNS`), categories by their Chinese names followed by their GB/T 18521 class codes
    (地名类别代码), 东经/北纬 in decimal degrees (CGCS2000) and
    the coordinate system; retired names are left out (they are history, not standing names)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise RuleViolation(  # a rule of the exchange (the API's format alone may be any of the four)
            f"普查交换格式只能导出为 CSV 或 XLSX,不是“{path.suffix}”", "census exchange is CSV or XLSX"
        )
    frame: gpd.GeoDataFrame = gazetteer.store.read_frame("place_names").reset_index()
    frame = frame[frame["status"] != "retired"]
    columns: dict[str, Any] = {}
    for zh, name in CENSUS_COLUMNS.items():
        columns[zh] = frame[name]
        if name == "category":
            columns[zh] = frame[name].map(lambda c: CATEGORY_ZH.get(str(c), c))
            columns[CLASS_CODE_COLUMN] = [
                class_code(str(c), None if pd.isna(s) or s == "" else str(s))
                for c, s in zip(frame["category"], frame["subcategory"], strict=True)
            ]
    table = pd.DataFrame(columns, index=frame.index)
    points = frame.geometry.representative_point()
    table["东经"] = [None if g is None or g.is_empty else round(g.x, 8) for g in points]
    table["北纬"] = [None if g is None or g.is_empty else round(g.y, 8) for g in points]
    table["坐标系"] = "CGCS2000"
    write_table(table, path, sheet="地名普查")
    return len(table)


def write_cleanup_report(
    gazetteer: Gazetteer, path: Path, *, deadline: dt.date | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """The clean-up report written as the form offices hand in (XLSX: title, 填报单位, date, the table with
    its header on every page, signature lines; A4 landscape fitted to the width; or the same as Word, .docx);
    returns the table."""
    today = today or beijing_today()
    table = cleanup_report(gazetteer, deadline=deadline, today=today)
    area = register_area(gazetteer.store)
    form = Form(f"{area}不规范地名清理整治工作台账", f"{area}民政局", date_zh(today))
    if path.suffix.lower() == ".docx":
        doc = Document(form.title, landscape=True).add(
            Heading(form.title, 1),
            Para(f"填报单位:{form.unit}    填报日期:{form.day}"),
            Table(table.drop(columns=["罗马字母拼写", "相关地名", "编号"]), font_pt=8),
            Para("    ".join(f"{s}:__________" for s in form.signatures)),
        )
        path.write_bytes(to_docx(doc))
        return table
    write_form(table, path, form, sheet="不规范地名清理")
    return table


def cleanup_report(
    gazetteer: Gazetteer, *, deadline: dt.date | None = None, today: dt.date | None = None
) -> pd.DataFrame:
    """The clean-up report in the form of the 不规范地名清理整治 table: one row per finding, in Chinese:
    class (大、洋、怪、重), name, location (unit and coordinates), problem, proposed remedy and deadline
    (``deadline``, else 90 days from ``today`` for errors and 180 for warnings), then the details."""
    admin = gazetteer.admin()
    today = today or beijing_today()
    rows: list[dict[str, Any]] = []
    for feature, findings in gazetteer.check_all():
        p = feature.properties
        where = feature.geometry.representative_point() if feature.geometry is not None else None
        for f in findings:
            name_zh, klass = RULE_NAMES_ZH.get(f.rule, (f.rule, ""))
            due = deadline or today + dt.timedelta(days=REMEDY_DAYS[f.severity])
            rows.append(
                {
                    "序号": len(rows) + 1,
                    "类别(大洋怪重)": klass or "其他",
                    "标准名称": p["name"],
                    "所在区划": f"{admin.name(str(p['admin_code']))} {p['admin_code']}",
                    "位置(经度,纬度)": "" if where is None else f"{where.x:.6f}, {where.y:.6f}",
                    "存在问题": f"{name_zh}:{f.message}",
                    "整治建议": RULE_REMEDIES_ZH.get(f.rule, "核实后处理"),
                    "认定依据": RULE_BASIS_ZH.get(f.rule, ""),
                    "完成时限": due.isoformat(),
                    "整治进展": "",  # the office writes it in as the work goes
                    "严重程度": "错误" if f.severity == "error" else "提示",
                    "地名类别": CATEGORY_ZH.get(str(p["category"]), p["category"]),
                    "罗马字母拼写": p.get("romanized"),
                    "相关地名": "、".join(str(r["name"]) for r in f.related),
                    "编号": feature.id,
                }
            )
    columns = [
        "序号",
        "类别(大洋怪重)",
        "标准名称",
        "所在区划",
        "位置(经度,纬度)",
        "存在问题",
        "整治建议",
        "认定依据",
        "完成时限",
        "整治进展",
        "严重程度",
        "地名类别",
        "罗马字母拼写",
        "相关地名",
        "编号",
    ]
    return pd.DataFrame(rows, columns=columns)
