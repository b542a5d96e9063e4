"""Reading the files offices exchange into a GeoDataFrame: GeoJSON, GeoPackage, Shapefile (UTF-8 or GBK,
detected when there is no .cpg), CSV and XLSX with longitude/latitude columns (or a WKT column).

Text columns are read as text (codes keep their leading digits). Nothing here converts coordinates or
validates against the layer model: that is the importer's job.
"""

from __future__ import annotations

import struct
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from mzgis.errors import BadInput, NotFound

__all__ = ["LAT_COLUMNS", "LON_COLUMNS", "SourceTable", "detect_dbf_encoding", "parse_column_map", "read_table"]

NO_COORDINATES = "无坐标列"  # the note of a table without positions

LON_COLUMNS = ("lon", "lng", "long", "longitude", "x", "经度", "东经")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度", "北纬")
WKT_COLUMNS = ("wkt", "geometry", "geom", "几何")
_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".fgb", ".kml"}
_TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm"}
MAX_TABLE_BYTES = 200 * 2**20  # CSV and XLSX are read whole into memory
MAX_UNPACKED_BYTES = 500 * 2**20  # what an XLSX may unpack to


@dataclass
class SourceTable:
    """What a file held: rows with a geometry column (None where a row has none) and how it was read."""

    frame: gpd.GeoDataFrame
    crs: CRS | None  # as declared by the file; None when it declares nothing
    encoding: str | None
    note: str = ""
    # each record's row in the sheet (header, title and blank rows counted); None: features, numbered from 1
    row_numbers: list[int] | None = None
    notes: list[str] = field(default_factory=list)  # what the reading decided that the officer should know

    def row_number(self, index: int) -> int:
        """The number of record ``index`` (0-based) as the file shows it: Excel's row, or the feature's number."""
        return self.row_numbers[index] if self.row_numbers is not None else index + 1


def detect_dbf_encoding(dbf: Path) -> str:
    """Encoding of a .dbf's text: UTF-8 when its records decode as UTF-8, else GB18030 (a superset of GBK)."""
    data = dbf.read_bytes()
    if len(data) < 32:
        raise BadInput(f"{dbf.name} 不是有效的 dBASE 文件", f"{dbf.name} is not a dBASE file")
    header_len = struct.unpack("<H", data[8:10])[0]
    records = data[header_len:]
    try:
        records.decode("utf-8")
    except UnicodeDecodeError:
        return "GB18030"
    return "UTF-8"


def _read_vector(path: Path, source_layer: str | None) -> SourceTable:
    encoding: str | None = None
    note = ""
    kwargs: dict[str, object] = {}
    if path.suffix.lower() == ".shp":
        dbf = next((p for p in (path.with_suffix(".dbf"), path.with_suffix(".DBF")) if p.exists()), None)
        cpg = next((p for p in (path.with_suffix(".cpg"), path.with_suffix(".CPG")) if p.exists()), None)
        if dbf is None:
            raise BadInput(f"Shapefile 缺少 .dbf 文件:{path.with_suffix('.dbf').name}", "shapefile without .dbf")
        if cpg is None:
            encoding = detect_dbf_encoding(dbf)
            kwargs["encoding"] = encoding
            note = f"无 .cpg 文件,按内容判定编码为 {encoding}"
        else:
            encoding = cpg.read_text(encoding="ascii", errors="replace").strip() or None
    if source_layer is None and path.suffix.lower() == ".gpkg":
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # GDAL's own note on a damaged file: the error below says it
                names = [str(n) for n, _ in pyogrio.list_layers(path)]
        except pyogrio.errors.DataSourceError as exc:
            raise BadInput(_unreadable(path, exc), f"cannot read {path.name}: {exc}") from None
        if len(names) != 1:
            raise BadInput(
                f"{path.name} 有多个图层({'、'.join(names)}),请用 --source-layer 指定",
                f"{path.name} has several layers; pick one with --source-layer",
                layers=names,
            )
    try:
        frame = pyogrio.read_dataframe(path, layer=source_layer, **kwargs)
    except pyogrio.errors.DataLayerError as exc:
        raise BadInput(f"{path.name} 中没有图层 {source_layer}:{exc}", f"no layer {source_layer}") from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.FieldError, pyogrio.errors.GeometryError) as exc:
        raise BadInput(_unreadable(path, exc), f"cannot read {path.name}: {exc}") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame, geometry=[None] * len(frame))
    crs = CRS.from_user_input(frame.crs) if frame.crs is not None else None
    return SourceTable(frame, crs, encoding, note)


def _read_text_table(path: Path) -> tuple[pd.DataFrame, str | None, int, list[int]]:
    """The table, its encoding (CSV), how many title rows stood above its header (skipped) and each record's
    row in the sheet."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        _check_zip(path)
        try:
            raw_frame = pd.read_excel(path, dtype=str, engine="openpyxl", header=None)
        except Exception as exc:  # openpyxl raises many kinds for damaged files
            raise BadInput(f"无法读取 Excel 文件 {path.name}:{exc}", f"cannot read {path.name}: {exc}") from None
        frame, titles, numbers = _headed(raw_frame, path)
        return frame, None, titles, numbers
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        from io import StringIO

        try:
            rows = pd.read_csv(
                StringIO(raw.decode(encoding)), dtype=str, keep_default_na=False, header=None, skip_blank_lines=False
            )
        except pd.errors.EmptyDataError:
            raise BadInput(f"CSV 文件 {path.name} 没有表头和数据", f"{path.name} has no columns") from None
        except pd.errors.ParserError as exc:
            raise BadInput(f"CSV 文件 {path.name} 格式错误:{exc}", f"bad CSV {path.name}: {exc}") from None
        frame, titles, numbers = _headed(rows, path)
        return frame, encoding, titles, numbers
    raise BadInput(f"{path.name} 的编码无法识别(应为 UTF-8 或 GBK)", f"unknown encoding of {path.name}")


_TITLE_ROWS_AT_MOST = 5


def _headed(rows: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, int, list[int]]:
    """The table under its header row: rows above the header that hold one cell at most (a title such as
    “路桥区 2024 年新增地名表”, a blank row) are skipped, up to five; the count skipped; and the sheet row of each
    record (blank rows between records are dropped, the rows after them keep their numbers)."""
    filled = [int((rows.iloc[i].fillna("").astype(str).str.strip() != "").sum()) for i in range(len(rows))]
    titles = 0
    limit = min(_TITLE_ROWS_AT_MOST, len(rows) - 1)
    while titles < limit and filled[titles] <= 1 and max(filled[titles + 1 : titles + 1 + _TITLE_ROWS_AT_MOST]) >= 2:
        titles += 1  # a title or blank row above a header of two columns or more
    if not len(rows) or filled[titles] == 0:
        raise BadInput(f"{path.name} 没有表头和数据", f"{path.name} has no columns")
    header = [
        str(v).strip() if pd.notna(v) and str(v).strip() else f"第{j + 1}列" for j, v in enumerate(rows.iloc[titles])
    ]
    body = rows.iloc[titles + 1 :]
    body.columns = header
    body = body[~(body.fillna("").astype(str).apply(lambda c: c.str.strip()) == "").all(axis=1)]  # blank rows
    return body.reset_index(drop=True), titles, [int(i) + 1 for i in body.index]  # read without a header: row - 1


def _unreadable(path: Path, exc: Exception) -> str:
    text = str(exc).split(";")[0]
    return f"无法读取 {path.name}:不是受支持的格式,或文件已损坏({text})"


def _check_zip(path: Path) -> None:
    """An XLSX is a ZIP: refuse one that is not, or that would unpack to more than the bound (a ZIP bomb)."""
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise BadInput(f"无法读取 Excel 文件 {path.name}:不是有效的 XLSX", f"{path.name} is not an XLSX") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise BadInput(
            f"{path.name} 解压后过大({unpacked // 2**20} MB,上限 {MAX_UNPACKED_BYTES // 2**20} MB),未读取",
            f"{path.name} unpacks to {unpacked} bytes",
        )


def _renamed(frame: pd.DataFrame, rename: Mapping[str, str], path: Path) -> Any:
    missing = [c for c in rename if c not in frame.columns]
    if missing:
        raise BadInput(
            f"{path.name} 没有列 {'、'.join(missing)}(--map 中的源列);"
            f"文件的列:{'、'.join(map(str, frame.columns))[:300]}",
            f"--map names columns the file lacks: {missing}",
        )
    return frame.rename(columns=dict(rename))


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {str(c).strip().lower(): str(c) for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _number_text(value: object) -> object:
    """A number as offices type it, as Python reads it: full-width digits, signs and points (１２１．４７),
    spaces and thousands separators taken out; an empty cell is None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).replace(" ", "").replace(",", "").replace("。", ".")
    return text or None


def _table_geometry(frame: pd.DataFrame, path: Path) -> tuple[gpd.GeoDataFrame, str]:
    """Geometries from longitude/latitude columns, a WKT column, or both (as mzgis exports: then a line or
    polygon comes from its WKT, and a point from the coordinates, which is what an officer edits)."""
    lon_col, lat_col = _find(list(frame.columns), LON_COLUMNS), _find(list(frame.columns), LAT_COLUMNS)
    wkt_col = _find(list(frame.columns), WKT_COLUMNS)
    points: list[BaseGeometry | None] = [None] * len(frame)
    if lon_col and lat_col:
        lon = pd.to_numeric(frame[lon_col].map(_number_text), errors="coerce")
        lat = pd.to_numeric(frame[lat_col].map(_number_text), errors="coerce")
        points = [
            None if pd.isna(x) or pd.isna(y) else shapely.Point(float(x), float(y))
            for x, y in zip(lon, lat, strict=True)
        ]
    shapes: list[BaseGeometry | None] = [None] * len(frame)
    if wkt_col:
        for i, text in enumerate(frame[wkt_col]):
            if pd.isna(text) or str(text).strip() == "":
                continue
            try:
                shapes[i] = shapely.from_wkt(str(text))
            except shapely.errors.GEOSException:
                raise BadInput(
                    f"{path.name} 第 {i + 1} 行的 WKT 几何无法解析", f"row {i + 1}: bad WKT geometry"
                ) from None
    if lon_col and lat_col and wkt_col:
        geoms = [s if s is not None and s.geom_type != "Point" else p or s for p, s in zip(points, shapes, strict=True)]
        rest = frame.drop(columns=[lon_col, lat_col, wkt_col])
        return gpd.GeoDataFrame(rest, geometry=geoms), f"坐标取自列 {lon_col}/{lat_col},线和面取自列 {wkt_col}"
    if lon_col and lat_col:
        rest = frame.drop(columns=[lon_col, lat_col])
        return gpd.GeoDataFrame(rest, geometry=points), f"坐标取自列 {lon_col}/{lat_col}"
    if wkt_col:
        return gpd.GeoDataFrame(frame.drop(columns=[wkt_col]), geometry=shapes), f"几何取自列 {wkt_col}"
    return gpd.GeoDataFrame(frame, geometry=[None] * len(frame)), NO_COORDINATES


def parse_column_map(text: str | None) -> dict[str, str]:
    """``--map`` as given on the command line: ``adcode=code,名称=name`` (a source column = the name mzgis
    reads it as: a field, its Chinese label, or lon/lat/wkt). Refused with a Chinese message when malformed."""
    out: dict[str, str] = {}
    for part in (text or "").replace(",", ",").split(","):
        if not part.strip():
            continue
        source, sep, target = part.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise BadInput(f"列对应“{part.strip()}”应写成 源列=字段,如 adcode=code", f"bad --map entry {part!r}")
        if source.strip() in out:
            raise BadInput(f"列对应中“{source.strip()}”出现两次", f"--map names {source!r} twice")
        out[source.strip()] = target.strip()
    return out


def read_table(path: Path, *, source_layer: str | None = None, rename: Mapping[str, str] | None = None) -> SourceTable:
    """Read ``path`` by its suffix, its columns renamed by ``rename`` (source → name, see
    :func:`parse_column_map`). Unknown formats, unreadable files and renames of columns the file does not
    have raise :class:`BadInput`."""
    path = Path(path)
    if not path.exists():
        raise NotFound(f"找不到文件 {path}", f"no such file: {path}", path=str(path))
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise BadInput(f"{path.name} 是目录,不是文件", f"{path.name} is a directory")
    size = path.stat().st_size
    if size == 0:
        raise BadInput(f"{path.name} 是空文件(0 字节)", f"{path.name} is empty")
    suffix = path.suffix.lower()
    if suffix in _TABLE_SUFFIXES and size > MAX_TABLE_BYTES:
        raise BadInput(
            f"{path.name} 过大({size // 2**20} MB;CSV/Excel 上限 {MAX_TABLE_BYTES // 2**20} MB),请改用 GeoPackage",
            f"{path.name} is over {MAX_TABLE_BYTES} bytes",
        )
    if suffix in _VECTOR_SUFFIXES:
        table = _read_vector(path, source_layer)
        if rename:
            table.frame = _renamed(table.frame, rename, path)
        return table
    if suffix in _TABLE_SUFFIXES:
        frame, encoding, titles, numbers = _read_text_table(path)
        gdf, note = _table_geometry(_renamed(frame, rename or {}, path), path)
        table = SourceTable(gdf, None, encoding, note, row_numbers=numbers)
        if titles:
            table.notes.append(f"表头在第 {titles + 1} 行,其上 {titles} 行是标题,已跳过")
        return table
    raise BadInput(
        f"不支持的文件格式“{path.suffix}”;支持 GeoJSON、GeoPackage、Shapefile、CSV、XLSX",
        f"unsupported format {path.suffix!r}",
    )
