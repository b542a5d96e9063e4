"""The layer tree of the QGIS project (:mod:`mzgis.io.qgis_project`): which layers of the file it shows, in
which groups and order, each one's look (symbol, the field whose value picks the colour, stroke) and labels."""

from __future__ import annotations

from dataclasses import dataclass

from mzgis.layers import (
    ADMIN_UNITS,
    BOUNDARY_LINES,
    BOUNDARY_MARKERS,
    BURIAL_SITES,
    COMMUNITY_COMPLEXES,
    ELDERCARE_FACILITIES,
    NAME_PROCEDURES,
    PLACE_NAMES,
    POPULATION,
    Layer,
)
from mzgis.styles import STYLES

__all__ = ["Look", "ProjectLayer", "layer_id", "project_layers"]


@dataclass(frozen=True)
class Look:
    """How one project layer is drawn: the symbol kind, the field whose value picks the colour (the layer
    model's ``choice_colours``) or one colour, and the stroke."""

    symbol: str  # marker, line or fill
    colour_field: str | None = None
    value: str | None = None  # draw only this value's colour (a layer filtered to it)
    colour: str | None = None  # one colour; None: the page's for values without their own (styles.py)
    width_mm: float = 0.26
    fill_alpha: float = 0.4  # fills only; 0 draws no fill
    fill_colour: str | None = None  # a fill other than the stroke's colour
    dashed: bool = False
    size_mm: float = 2.4  # markers


@dataclass(frozen=True)
class ProjectLayer:
    """One layer of the project: a layer of the file, maybe filtered (``subset``, in OGR SQL) or one
    geometry type of a layer that holds several."""

    key: str  # its id in the project (QGIS ignores ids of 10 characters or fewer: ``layer_id`` prefixes it)
    title: str
    layer: Layer
    look: Look | None  # None: an attribute table
    subset: str | None = None
    geometry_type: str | None = None  # Point, LineString, Polygon (multi-parts included)
    label_field: str | None = None
    label_size: float = 9.0
    label_below_scale: int = 0  # labels only when zoomed in closer than 1:N (0: always)
    label_all: bool = False  # draw every label, also where they collide (the townships')


def _name_layers() -> list[ProjectLayer]:
    """The place names, one layer per kind of geometry, labelled when zoomed in."""
    return [
        ProjectLayer(
            f"place_names_{g.lower()}",
            f"标准地名({zh})",
            PLACE_NAMES,
            Look(s, size_mm=1.6),
            None,
            g,
            "name",
            8.0,
            label_below_scale=50_000,
        )
        for g, zh, s in (("Point", "点", "marker"), ("LineString", "线", "line"), ("Polygon", "面", "fill"))
    ]


def _boundary_layers() -> list[ProjectLayer]:
    """The boundary markers and the lines, ours drawn firmer than the neighbour's."""
    return [
        ProjectLayer(
            "boundary_markers", "界桩", BOUNDARY_MARKERS, Look("marker", "condition"), label_field="marker_id"
        ),
        ProjectLayer(
            "boundary_lines_ours",
            "界线(本方)",
            BOUNDARY_LINES,
            Look("line", "side", "ours", width_mm=0.8),
            subset="\"side\" = 'ours'",
        ),
        ProjectLayer(
            "boundary_lines_neighbour",
            "界线(对方)",
            BOUNDARY_LINES,
            Look("line", "side", "neighbour", width_mm=0.5, dashed=True),
            subset="\"side\" = 'neighbour'",
        ),
    ]


def _facility_layers() -> list[ProjectLayer]:
    """The civil-affairs facilities, coloured by kind (burial sites as points and as areas)."""
    return [
        ProjectLayer(
            "eldercare_facilities", ELDERCARE_FACILITIES.label_zh, ELDERCARE_FACILITIES, Look("marker", "kind")
        ),
        ProjectLayer("community_complexes", COMMUNITY_COMPLEXES.label_zh, COMMUNITY_COMPLEXES, Look("marker", "kind")),
        ProjectLayer(
            "burial_sites_point",
            f"{BURIAL_SITES.label_zh}(点)",
            BURIAL_SITES,
            Look("marker", "kind"),
            geometry_type="Point",
        ),
        ProjectLayer(
            "burial_sites_polygon",
            f"{BURIAL_SITES.label_zh}(面)",
            BURIAL_SITES,
            Look("fill", "kind"),
            geometry_type="Polygon",
        ),
    ]


def _unit_layers() -> list[ProjectLayer]:
    """The division polygons by level, the townships filled and labelled."""
    return [
        ProjectLayer(
            "admin_units_county",
            "区县界",
            ADMIN_UNITS,
            Look("fill", "level", "county", width_mm=0.8, fill_alpha=0),
            subset="\"level\" = 'county'",
        ),
        ProjectLayer(
            "admin_units_township",
            "乡镇(街道)",
            ADMIN_UNITS,
            Look("fill", "level", "township", width_mm=0.5, fill_alpha=0.35, fill_colour=STYLES["township_fill"]),
            subset="\"level\" = 'township'",
            label_field="name",
            label_size=11.0,
            label_all=True,
        ),
        ProjectLayer(
            "admin_units_village",
            "村(社区)",
            ADMIN_UNITS,
            Look("fill", "level", "village", width_mm=0.2, fill_alpha=0),
            subset="\"level\" = 'village'",
        ),
    ]


def project_layers() -> list[tuple[str, list[ProjectLayer]]]:
    """The layer tree, top (drawn last) to bottom, in groups."""
    return [
        ("标准地名", _name_layers()),
        ("地名审批", [ProjectLayer("name_procedures", NAME_PROCEDURES.label_zh, NAME_PROCEDURES, None)]),
        ("界线与界桩", _boundary_layers()),
        ("民政设施", _facility_layers()),
        (ADMIN_UNITS.label_zh, _unit_layers()),
        ("统计", [ProjectLayer("population", POPULATION.label_zh, POPULATION, None)]),
    ]


def layer_id(pl: ProjectLayer) -> str:
    """The layer's id in the project: ``mzgis_`` and its key (QGIS 3.22 replaces ids of ≤ 10 characters)."""
    return f"mzgis_{pl.key}"
