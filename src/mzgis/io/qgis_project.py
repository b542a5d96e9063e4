"""A QGIS project for a data file (``mzgis qgis-project``): every layer with the layer model's Chinese
field names as aliases, its allowed values as drop-downs (value maps) with their Chinese names, the
system and derived fields read-only, the page's colours and the township labels.

The project is QGIS XML written here (no QGIS needed to make it), in the form QGIS 3.22 writes and every
later version reads; a ``.qgz`` is that XML zipped. The data source is written relative to the project
file, so the project and the GeoPackage move together. The rules stay in the file (CHECKs and triggers):
the project only makes QGIS's forms say what the rules allow."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pyproj

from mzgis.crs import STORAGE_EPSG
from mzgis.io.qgis_layers import Look, ProjectLayer, layer_id, project_layers
from mzgis.layers import (
    SYSTEM_FIELDS,
    Field,
    Layer,
    choice_labels,
)
from mzgis.store.base import Bounds, Feature
from mzgis.store.tables import GEOM
from mzgis.styles import STYLES

__all__ = [
    "Look",
    "ProjectLayer",
    "county_view",
    "data_source",
    "layer_id",
    "project_layers",
    "qgis_project_xml",
    "qgz_bytes",
    "write_qgis_project",
]

QGIS_VERSION = "3.22.0-Białowieża"  # the oldest QGIS we support reads it; newer ones upgrade it on save
LABEL_FONT = "Noto Sans CJK SC"  # Debian's fonts-noto-cjk; QGIS falls back to a CJK font where it is missing
VALUE_MAP_NULL = "{2839923C-8B7D-419E-B84B-CA2FE9B80EC7}"  # QGIS's key for "no value" in a value map
FID_LABEL = "编号"


def county_view(counties: Sequence[Feature], township_codes: set[str]) -> tuple[str, Bounds | None]:
    """The project's title and first view: the county whose townships the file holds (a file also holds
    its neighbours' outlines), else every county in it."""
    ours = [c for c in counties if c.properties["code"] in {code[:6] for code in township_codes}] or list(counties)
    names = "、".join(sorted(c.properties["name"] for c in ours))
    geometries = [c.geometry for c in ours if c.geometry is not None]
    if not geometries:
        return names, None
    bounds = [g.bounds for g in geometries]
    extent = (
        min(b[0] for b in bounds),
        min(b[1] for b in bounds),
        max(b[2] for b in bounds),
        max(b[3] for b in bounds),
    )
    return names, extent


def data_source(db: Path, project: Path) -> str:
    """The file as the project names it: relative to the project's folder (``./luqiao.gpkg``), so the two
    can be moved together; absolute only where no relative path exists (another drive)."""
    try:
        relative = os.path.relpath(db.resolve(), project.resolve().parent)
    except ValueError:
        return db.resolve().as_posix()
    relative = Path(relative).as_posix()
    return relative if relative.startswith("../") else f"./{relative}"


def database_source(url: str) -> str:
    """A database as the project names it: QGIS's PostgreSQL connection string from a ``postgresql://`` URL,
    never with its password (QGIS asks for it, or takes it from the officer's ``.pgpass`` or service file)."""
    from psycopg.conninfo import conninfo_to_dict

    params = {k: v for k, v in conninfo_to_dict(url).items() if k != "password" and v is not None}
    return " ".join(f"{k}='{_quote(str(v))}'" for k, v in params.items())


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def qgis_project_xml(source: str, *, title: str, extent: Bounds | None, schema: str | None = None) -> bytes:
    """The project (QGIS XML, UTF-8) for the data file at ``source`` (as :func:`data_source` gives it), or,
    with the ``schema`` of its tables, for the database :func:`database_source` names (QGIS's PostgreSQL
    provider)."""
    provider = "ogr" if schema is None else "postgres"
    root = ET.Element("qgis", {"projectname": title, "version": QGIS_VERSION})
    ET.SubElement(root, "homePath", {"path": ""})
    ET.SubElement(root, "title").text = title
    _crs(ET.SubElement(root, "projectCrs"))
    tree = ET.SubElement(root, "layer-tree-group")
    layers_el = ET.SubElement(root, "projectlayers")
    order: list[str] = []
    for group_title, members in project_layers():
        group = ET.SubElement(
            tree, "layer-tree-group", {"name": group_title, "checked": "Qt::Checked", "expanded": "1"}
        )
        for pl in members:
            uri = _uri(source, pl) if schema is None else _pg_uri(source, schema, pl)
            checked = (
                "Qt::Unchecked" if pl.key in ("admin_units_village", "boundary_lines_neighbour") else "Qt::Checked"
            )
            ET.SubElement(
                group,
                "layer-tree-layer",
                {
                    "id": layer_id(pl),
                    "name": pl.title,
                    "source": uri,
                    "providerKey": provider,
                    "checked": checked,
                    "expanded": "0",
                },
            )
            layers_el.append(_map_layer(pl, uri, provider))
            order.append(layer_id(pl))
    order_el = ET.SubElement(root, "layerorder")
    for key in order:
        ET.SubElement(order_el, "layer", {"id": key})
    if extent is not None:
        canvas = ET.SubElement(root, "mapcanvas", {"name": "theMapCanvas", "annotationsVisible": "1"})
        ET.SubElement(canvas, "units").text = "degrees"
        _extent(ET.SubElement(canvas, "extent"), extent)
        ET.SubElement(canvas, "rotation").text = "0"
        _crs(ET.SubElement(canvas, "destinationsrs"))
        view = ET.SubElement(root, "ProjectViewSettings", {"UseProjectScales": "0"})
        corners = dict(zip(("xmin", "ymin", "xmax", "ymax"), (repr(float(v)) for v in extent), strict=True))
        _crs(ET.SubElement(view, "DefaultViewExtent", corners))
    props = ET.SubElement(root, "properties")
    _property(props, ["Paths", "Absolute"], "bool", "false")
    _property(props, ["SpatialRefSys", "ProjectionsEnabled"], "int", "1")  # else QGIS ignores projectCrs
    _property(props, ["Measure", "Ellipsoid"], "QString", "EPSG:1024")  # CGCS2000: lengths on its ellipsoid
    _property(props, ["Measurement", "DistanceUnits"], "QString", "meters")
    _property(props, ["Measurement", "AreaUnits"], "QString", "m2")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n").encode("utf-8")


def qgz_bytes(xml: bytes, *, name: str) -> bytes:
    """The project zipped as QGIS saves a ``.qgz``: one ``NAME.qgs`` inside."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{name}.qgs", xml)
    return buffer.getvalue()


def write_qgis_project(out: Path, db: Path | str, *, title: str, extent: Bounds | None, schema: str = "public") -> Path:
    """Write the project for ``db`` (a data file, or a database's URL with its tables in ``schema``) to
    ``out`` (``.qgz`` zipped, ``.qgs`` plain XML); returns ``out``."""
    if isinstance(db, str):
        xml = qgis_project_xml(database_source(db), title=title, extent=extent, schema=schema)
    else:
        xml = qgis_project_xml(data_source(db, out), title=title, extent=extent)
    data = xml if out.suffix.lower() == ".qgs" else qgz_bytes(xml, name=out.stem or "mzgis")
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out


# --- one map layer ----------------------------------------------------------------------------------


def _uri(source: str, pl: ProjectLayer) -> str:
    uri = f"{source}|layername={pl.layer.name}"
    if pl.geometry_type:
        uri += f"|geometrytype={pl.geometry_type}"
    if pl.subset:
        uri += f"|subset={pl.subset}"
    return uri


_PG_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "MULTILINESTRING": "MultiLineString",
             "POLYGON": "Polygon", "MULTIPOLYGON": "MultiPolygon", "MULTIPOINT": "MultiPoint"}  # fmt: skip


def _pg_uri(conninfo: str, schema: str, pl: ProjectLayer) -> str:
    """The layer through QGIS's PostgreSQL provider: its table, key and geometry column (one geometry type
    of a layer that holds several, multi-parts included), its subset as SQL."""
    lay = pl.layer
    parts = [conninfo, "key='id'", "checkPrimaryKeyUnicity='0'"]
    if lay.geometry:
        parts += [f"srid={STORAGE_EPSG}", f"type={pl.geometry_type or _PG_TYPES.get(lay.geometry, 'Geometry')}"]
    table = f'table="{schema}"."{lay.name}"' + (f" ({GEOM})" if lay.geometry else "")
    return " ".join([*parts, table, f"sql={pl.subset or ''}"])


_GEOMETRY = {"marker": ("Point", "Point"), "line": ("Line", "LineString"), "fill": ("Polygon", "MultiPolygon")}


def _map_layer(pl: ProjectLayer, uri: str, provider: str = "ogr") -> ET.Element:
    geometry, wkb = _GEOMETRY[pl.look.symbol] if pl.look else ("No geometry", "NoGeometry")
    if wkb == "MultiPolygon" and pl.layer.geometry != "MULTIPOLYGON":
        wkb = "Polygon"  # a layer of several types: its polygons, multi-parts included
    el = ET.Element(
        "maplayer",
        {
            "type": "vector",
            "geometry": geometry,
            "wkbType": wkb,
            "readOnly": "0",
            "labelsEnabled": "1" if pl.label_field else "0",
            "hasScaleBasedVisibilityFlag": "0",
            "minScale": "100000000",
            "maxScale": "0",
        },
    )
    ET.SubElement(el, "id").text = layer_id(pl)
    ET.SubElement(el, "datasource").text = uri
    ET.SubElement(el, "layername").text = pl.title
    _crs(ET.SubElement(el, "srs"))
    ET.SubElement(el, "provider", {"encoding": "UTF-8"}).text = provider
    if pl.look:
        el.append(_renderer(pl.layer, pl.look))
    if pl.label_field:
        el.append(_labeling(pl))
    fields = _all_fields(pl.layer)
    config = ET.SubElement(el, "fieldConfiguration")
    for f in fields:
        holder = ET.SubElement(config, "field", {"name": f.name, "configurationFlags": "None"})
        kind, options = _widget(f)
        widget = ET.SubElement(holder, "editWidget", {"type": kind})
        ET.SubElement(widget, "config").append(_option(options))
    aliases = ET.SubElement(el, "aliases")
    ET.SubElement(aliases, "alias", {"field": "id", "index": "0", "name": FID_LABEL})
    for i, f in enumerate(fields, start=1):
        ET.SubElement(aliases, "alias", {"field": f.name, "index": str(i), "name": f.label_zh})
    editable = ET.SubElement(el, "editable")
    ET.SubElement(editable, "field", {"name": "id", "editable": "0"})
    for f in fields:
        ET.SubElement(editable, "field", {"name": f.name, "editable": "0" if _read_only(f) else "1"})
    return el


def _all_fields(layer: Layer) -> list[Field]:
    return [*layer.fields, *SYSTEM_FIELDS]


def _read_only(f: Field) -> bool:
    return f.derived or f in SYSTEM_FIELDS


def _widget(f: Field) -> tuple[str, Any]:
    """The editor QGIS's form and attribute table use for a field."""
    if f.choices:
        entries = [{label: value} for value, label in zip(f.choices, f.choice_labels_zh or f.choices, strict=True)]
        if not f.required:
            entries.insert(0, {"(空)": VALUE_MAP_NULL})
        return "ValueMap", {"map": entries}
    if f.type == "boolean":
        return "CheckBox", {"CheckedState": "", "UncheckedState": "", "TextDisplayMethod": 0}
    if f.type == "date":
        return "DateTime", {
            "allow_null": True,
            "calendar_popup": True,
            "display_format": "yyyy-MM-dd",
            "field_format": "yyyy-MM-dd",
            "field_iso_format": False,
        }
    if f.type == "text":
        return "TextEdit", {"IsMultiline": f.multiline, "UseHtml": False}
    return "Range", {"AllowNull": not f.required, "Style": "SpinBox", **_range(f)}


def _range(f: Field) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    if f.minimum is not None:
        bounds["Min"] = int(f.minimum) if f.type == "integer" else float(f.minimum)
    if f.maximum is not None:
        bounds["Max"] = int(f.maximum) if f.type == "integer" else float(f.maximum)
    return bounds


# --- drawing ----------------------------------------------------------------------------------------


def _renderer(layer: Layer, look: Look) -> ET.Element:
    f = None if look.colour_field is None else layer.field(look.colour_field)
    colours = {} if f is None else dict(zip(f.choices, f.choice_colours, strict=True))
    if f is None or look.value:  # one colour, or a layer filtered to one value: one symbol
        el = ET.Element("renderer-v2", {"type": "singleSymbol", "symbollevels": "0", "forceraster": "0"})
        one = colours[look.value] if look.value else look.colour or STYLES["other"]
        ET.SubElement(el, "symbols").append(_symbol("0", look, one))
        return el
    labels = choice_labels(layer, f.name)
    el = ET.Element(
        "renderer-v2", {"type": "categorizedSymbol", "attr": f.name, "symbollevels": "0", "forceraster": "0"}
    )
    categories = ET.SubElement(el, "categories")
    symbols = ET.SubElement(el, "symbols")
    for i, value in enumerate(f.choices):
        ET.SubElement(
            categories, "category", {"value": value, "label": labels[value], "symbol": str(i), "render": "true"}
        )
        symbols.append(_symbol(str(i), look, colours[value]))
    return el


def _rgba(hex_colour: str, alpha: float = 1.0) -> str:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{round(alpha * 255)}"


def _symbol(name: str, look: Look, colour: str) -> ET.Element:
    kind = look.symbol
    el = ET.Element("symbol", {"type": kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"})
    stroke = {"line_style": "dash" if look.dashed else "solid"}
    if kind == "marker":
        cls, options = (
            "SimpleMarker",
            {
                "name": "circle",
                "color": _rgba(colour, 0.9),
                "outline_color": _rgba(STYLES["outline"]),
                "outline_width": "0.2",
                "size": str(look.size_mm),
                "size_unit": "MM",
            },
        )
    elif kind == "line":
        cls, options = (
            "SimpleLine",
            {
                "line_color": _rgba(colour),
                "line_width": str(look.width_mm),
                "line_width_unit": "MM",
                "capstyle": "round",
                "joinstyle": "round",
                **stroke,
            },
        )
    else:
        fill = look.fill_colour or colour
        cls, options = (
            "SimpleFill",
            {
                "color": _rgba(fill, look.fill_alpha),
                "style": "solid" if look.fill_alpha > 0 else "no",
                "outline_color": _rgba(colour),
                "outline_width": str(look.width_mm),
                "outline_width_unit": "MM",
                "outline_style": stroke["line_style"],
                "joinstyle": "round",
            },
        )
    layer = ET.SubElement(el, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    layer.append(_option(options))
    return el


def _labeling(pl: ProjectLayer) -> ET.Element:
    el = ET.Element("labeling", {"type": "simple"})
    settings = ET.SubElement(el, "settings", {"calloutType": "simple"})
    style = ET.SubElement(
        settings,
        "text-style",
        {
            "fieldName": pl.label_field or "",
            "isExpression": "0",
            "fontFamily": LABEL_FONT,
            "namedStyle": "Regular",
            "fontSize": str(pl.label_size),
            "fontSizeUnit": "Point",
            "fontWeight": "50",
            "textColor": _rgba("#1d3557"),
            "textOpacity": "1",
        },
    )
    ET.SubElement(
        style,
        "text-buffer",
        {
            "bufferDraw": "1",
            "bufferSize": "0.8",
            "bufferSizeUnits": "MM",
            "bufferColor": _rgba("#ffffff"),
            "bufferOpacity": "0.9",
            "bufferNoFill": "1",
            "bufferJoinStyle": "128",
        },
    )
    polygon = pl.look is not None and pl.look.symbol == "fill"
    # polygons: the label over the unit's centre (inside it); points: around the point
    ET.SubElement(
        settings,
        "placement",
        {
            "placement": "1" if polygon else "0",
            "centroidInside": "1",
            "dist": "0.8",
            "distUnits": "MM",
            "priority": "10" if pl.label_all else "5",
        },
    )
    rendering = {"drawLabels": "1", "obstacle": "1", "displayAll": "1" if pl.label_all else "0"}
    if pl.label_below_scale:
        rendering |= {"scaleVisibility": "1", "minimumScale": str(pl.label_below_scale), "maximumScale": "0"}
    ET.SubElement(settings, "rendering", rendering)
    return el


# --- XML pieces -------------------------------------------------------------------------------------


def _option(value: Any, name: str | None = None) -> ET.Element:
    """QGIS's ``<Option>`` encoding of a value (maps, lists, strings, numbers, booleans)."""
    attrs = {} if name is None else {"name": name}
    if isinstance(value, Mapping):
        el = ET.Element("Option", {"type": "Map", **attrs})
        for key, item in value.items():
            el.append(_option(item, str(key)))
        return el
    if isinstance(value, Sequence) and not isinstance(value, str):
        el = ET.Element("Option", {"type": "List", **attrs})
        for item in value:
            el.append(_option(item))
        return el
    if isinstance(value, bool):
        return ET.Element("Option", {"type": "bool", **attrs, "value": "true" if value else "false"})
    if isinstance(value, int):
        return ET.Element("Option", {"type": "int", **attrs, "value": str(value)})
    if isinstance(value, float):
        return ET.Element("Option", {"type": "double", **attrs, "value": repr(value)})
    return ET.Element("Option", {"type": "QString", **attrs, "value": str(value)})


def _crs(parent: ET.Element) -> None:
    srs = ET.SubElement(parent, "spatialrefsys")
    ET.SubElement(srs, "wkt").text = _storage_wkt()
    ET.SubElement(srs, "proj4").text = "+proj=longlat +ellps=GRS80 +no_defs"
    ET.SubElement(srs, "authid").text = "EPSG:4490"
    ET.SubElement(srs, "srid").text = "4490"
    ET.SubElement(srs, "description").text = "China Geodetic Coordinate System 2000"
    ET.SubElement(srs, "geographicflag").text = "true"


@cache
def _storage_wkt() -> str:
    return pyproj.CRS.from_epsg(STORAGE_EPSG).to_wkt()  # QGIS reads a CRS by its WKT first


def _extent(parent: ET.Element, extent: Bounds) -> None:
    for key, value in zip(("xmin", "ymin", "xmax", "ymax"), extent, strict=True):
        ET.SubElement(parent, key).text = repr(float(value))


def _property(props: ET.Element, path: list[str], kind: str, value: str) -> None:
    node = props
    for key in path:
        found = node.find(key)
        node = found if found is not None else ET.SubElement(node, key)
    node.set("type", kind)
    node.text = value
