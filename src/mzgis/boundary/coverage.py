"""Coverage and hierarchy checks of division polygons, measured in metres in the data's Gauss-Krüger zone.

:func:`check_coverage` is a pure function on GeoDataFrames. It reports every problem at once: invalid
geometries with the reason and a location; invalid shared edges (GEOS coverage validation); gaps (holes
in the union, or parts of the parent left uncovered) and overlaps, each as a polygon with its area and
maximum width; slivers (gaps and overlaps thinner than the gap width); and hierarchy problems (a unit
outside its parent, a code not prefixed by its parent's, codes missing from or unknown to the division
list). Tolerances are arguments with defaults, and the summary states them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from shapely.geometry.base import BaseGeometry
from shapely.prepared import prep

from mzgis.crs import STORAGE_EPSG, geometry_transformer, to_metric, web_positions

__all__ = ["CoverageReport", "Tolerances", "check_coverage", "max_width"]

_STORAGE_CRS = CRS.from_epsg(STORAGE_EPSG)
_POINT_IN_REASON = re.compile(r"\[([-0-9.eE+]+) ([-0-9.eE+]+)\]")


@dataclass(frozen=True)
class Tolerances:
    """How small a problem may be before it is ignored, and what counts as a sliver."""

    gap_width_m: float = 1.0  # gaps narrower than this show as invalid edges; gaps/overlaps thinner are slivers
    min_area_m2: float = 0.01  # gap, overlap and outside-parent pieces smaller than this are rounding, not data
    min_width_m: float = 0.001  # pieces thinner than a millimetre are floating-point noise, not data


@dataclass
class CoverageReport:
    """Summary counts and the findings (one row each, geometry in EPSG:4490)."""

    summary: dict[str, Any]
    findings: gpd.GeoDataFrame = field(repr=False)

    def as_dict(self) -> dict[str, Any]:
        rows = []
        for r in self.findings.itertuples():
            rows.append(
                {
                    "kind": r.kind,
                    "ids": [x for x in str(r.ids).split(",") if x],
                    "area_m2": _num(r.area_m2),
                    "width_m": _num(r.width_m),
                    "length_m": _num(r.length_m),
                    "location": [round(r.lon, 7), round(r.lat, 7)],
                    # the same place as the web maps officers check it on take it (高德/腾讯, 百度)
                    **(web_positions(r.lon, r.lat) if np.isfinite(r.lon) and np.isfinite(r.lat) else {}),
                    "message": r.message,
                }
            )
        return {"summary": self.summary, "findings": rows}


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else round(float(v), 3)


def max_width(poly: BaseGeometry) -> float:
    """The maximum width of a polygon: the diameter of its largest inscribed circle (same units)."""
    if poly.is_empty or poly.area == 0:
        return 0.0
    widths = []
    for p in getattr(poly, "geoms", [poly]):
        if p.area > 0:
            rough = 4.0 * p.area / p.length  # twice the width of a thin strip: sets the search tolerance
            widths.append(2.0 * shapely.maximum_inscribed_circle(p, tolerance=max(rough / 200.0, 1e-6)).length)
    return max(widths, default=0.0)


class _Collector:
    def __init__(self, to_lonlat: Callable[[BaseGeometry], BaseGeometry]) -> None:
        self.rows: list[dict[str, Any]] = []
        self._to_lonlat = to_lonlat

    def add(
        self,
        kind: str,
        ids: list[str],
        geom_m: BaseGeometry,
        message: str,
        *,
        area: float | None = None,
        width: float | None = None,
        length: float | None = None,
        at: BaseGeometry | None = None,
    ) -> None:
        where = at if at is not None else (geom_m.representative_point() if not geom_m.is_empty else None)
        geom_ll = self._to_lonlat(geom_m)
        loc = self._to_lonlat(where) if where is not None else shapely.Point(np.nan, np.nan)
        assert isinstance(loc, shapely.Point)
        self.rows.append(
            {
                "kind": kind,
                "ids": ",".join(ids),
                "area_m2": area,
                "width_m": width,
                "length_m": length,
                "lon": loc.x,
                "lat": loc.y,
                "message": message,
                "geometry": geom_ll,
            }
        )


def check_coverage(
    units: gpd.GeoDataFrame,
    *,
    id_field: str,
    parent_field: str | None = None,
    parents: gpd.GeoDataFrame | None = None,
    parent_id_field: str | None = None,
    division_list: Mapping[str, str] | None = None,
    tolerances: Tolerances = Tolerances(),
) -> CoverageReport:
    """Check that ``units`` tile their area (and their parents) without gaps, overlaps or bad edges.

    Topology is computed in the data's own coordinates (lon/lat as stored: there the shared edges are
    straight and identical); every piece found is then measured in the Gauss-Krüger zone. Projecting first
    would bend long straight edges by centimetres and show phantom slivers where an edge and the same
    edge with an extra node should coincide. ``division_list`` maps the codes that should be present to
    their names. Inputs are not modified.
    """
    if units.crs is None or (parents is not None and parents.crs is None):
        raise ValueError("units and parents need a CRS")
    check = _Check(units, id_field, tolerances)
    check.validity()
    check.edges()
    check.overlaps()
    parent_geoms = check.parent_geometries(parents, parent_id_field or id_field) if parent_field is not None else {}
    if parent_geoms and parent_field is not None:
        gap_pieces, outside_pieces = check.against_parents(parent_geoms, [str(v) for v in units[parent_field]])
    else:
        gap_pieces, outside_pieces = check.unparented_gaps(), []
    check.gaps(gap_pieces)
    hierarchy = 0
    if parent_field is not None:
        hierarchy += check.hierarchy([str(v or "") for v in units[parent_field]], outside_pieces)
    if division_list is not None:
        names = list(units["name"]) if "name" in units else [""] * len(units)
        hierarchy += check.listed(division_list, names)
    return check.report(len(units), hierarchy)


class _Check:
    """One run of :func:`check_coverage`: the units' geometries in their topology CRS, the measures and
    tolerances, and the findings collected step by step (validity, edges, overlaps, gaps, hierarchy)."""

    def __init__(self, units: gpd.GeoDataFrame, id_field: str, tol: Tolerances) -> None:
        topo_crs, geoms = _in_storage_or_projected(units)
        bounds = shapely.total_bounds(geoms)
        ll_bounds = tuple(
            bounds
            if topo_crs.is_geographic
            else gpd.GeoSeries([shapely.box(*bounds)], crs=topo_crs).to_crs(STORAGE_EPSG).total_bounds
        )
        self.epsg = to_metric(ll_bounds)
        self.metric = geometry_transformer(topo_crs, self.epsg)
        self.topo_crs = topo_crs
        self.tol = tol
        if topo_crs.is_geographic:
            lat_c = (ll_bounds[1] + ll_bounds[3]) / 2.0
            self.gap_tol = tol.gap_width_m / (111_320.0 * math.cos(math.radians(lat_c)))  # a metre of longitude
            self.m2_per_unit = 111_320.0 * math.cos(math.radians(lat_c)) * 110_850.0
        else:
            self.gap_tol, self.m2_per_unit = tol.gap_width_m, 1.0
        self.ids = [str(v) for v in units[id_field]]
        self.geoms = geoms
        self.out = _Collector(geometry_transformer(topo_crs, STORAGE_EPSG))
        self.valid = shapely.is_valid(geoms)
        self.good = np.flatnonzero(self.valid & ~shapely.is_empty(geoms))
        self.g_ok = geoms[self.good]
        self.tree = shapely.STRtree(self.g_ok)
        self.flagged = np.zeros(len(self.g_ok), dtype=bool)

    def measured(self, piece: BaseGeometry) -> tuple[BaseGeometry, float, float] | None:
        """The piece in metres with its area and width, or None when it is too small to be data.

        Smallness is judged in the data's own coordinates first (with the local scale): a degenerate
        sliver there has no area, but projecting its two sides apart would give it some."""
        tol = self.tol
        if piece.is_empty or piece.area * self.m2_per_unit < tol.min_area_m2:
            return None
        pm = self.metric(piece)
        if pm.area < tol.min_area_m2 or 4.0 * pm.area / max(pm.length, 1e-12) < tol.min_width_m:
            return None
        w = max_width(pm)
        return None if w < tol.min_width_m else (pm, pm.area, w)

    def validity(self) -> None:
        """1. Each invalid geometry, at the place GEOS names."""
        ids, geoms = self.ids, self.geoms
        for i in np.flatnonzero(~self.valid):
            reason = shapely.is_valid_reason(geoms[i])
            m = _POINT_IN_REASON.search(reason)
            at = shapely.Point(float(m.group(1)), float(m.group(2))) if m else geoms[i].representative_point()
            self.out.add("invalid", [ids[i]], at, f"{ids[i]} 几何无效:{reason}", at=at)

    def edges(self) -> None:
        """2. Invalid shared edges (GEOS coverage validation, also catches gaps narrower than the gap width)."""
        edges = shapely.coverage_invalid_edges(self.g_ok, gap_width=self.gap_tol)
        for k, edge in enumerate(edges):
            if edge is not None and not edge.is_empty:
                i = self.good[k]
                mid = shapely.line_interpolate_point(shapely.line_merge(edge), 0.5, normalized=True)
                if mid.is_empty:
                    mid = edge.representative_point()
                length = self.metric(edge).length
                self.out.add(
                    "invalid_edge",
                    [self.ids[i]],
                    edge,
                    f"{self.ids[i]} 的边界与相邻单位不吻合(共 {length:.1f} 米)",
                    length=length,
                    at=mid,
                )
        self.flagged = np.array([e is not None and not e.is_empty for e in edges], dtype=bool)

    def overlaps(self) -> None:
        """3. Overlaps between pairs. Of two polygons that overlap, at least one has an invalid edge: the
        part both cover is bounded by edges of one lying inside the other, or on the other's edge on the same
        side, and GEOS flags both kinds. The other one need not be flagged (a unit drawn wholly inside a
        neighbour without a hole flags only the inner one), so every pair with one flagged member is overlaid,
        and pairs of two unflagged polygons, provably disjoint in their interiors, are skipped."""
        flagged, g_ok, ids, good = self.flagged, self.g_ok, self.ids, self.good
        suspects = np.flatnonzero(flagged)
        left, right = self.tree.query(g_ok[suspects], predicate="intersects")
        left = suspects[left]
        for a, b in zip(left, right, strict=True):
            if a == b or (flagged[b] and a > b):
                continue  # itself, or a pair of two flagged polygons met from its other side
            a, b = min(a, b), max(a, b)
            poly = _polygonal(shapely.intersection(g_ok[a], g_ok[b]))
            for piece in getattr(poly, "geoms", [poly]):
                meas = self.measured(piece)
                if meas is None:
                    continue
                _, area, w = meas
                ia, ib = ids[good[a]], ids[good[b]]
                sliver = ",细长碎片" if w < self.tol.gap_width_m else ""
                self.out.add(
                    "overlap",
                    [ia, ib],
                    piece,
                    f"{ia} 与 {ib} 重叠 {area:.2f} 平方米(最宽 {w:.2f} 米){sliver}",
                    area=area,
                    width=w,
                )

    def parent_geometries(self, parents: gpd.GeoDataFrame | None, pid: str) -> dict[str, BaseGeometry]:
        """The parents' polygons by code, in the units' topology CRS."""
        if parents is None:
            return {}
        parent_crs, pgs = _in_storage_or_projected(parents)
        if not parent_crs.equals(self.topo_crs):
            pgs = gpd.GeoSeries(pgs, crs=parent_crs).to_crs(self.topo_crs).values
        return {str(k): g for k, g in zip(parents[pid], pgs, strict=True)}

    def against_parents(
        self, parent_geoms: Mapping[str, BaseGeometry], parent_of: list[str]
    ) -> tuple[list[tuple[BaseGeometry, str]], list[tuple[BaseGeometry, str, list[int]]]]:
        """4a. The parts of each parent its children leave uncovered (gaps), and the parts of children that
        stick out of it (with the children that may own them)."""
        g_ok, flagged = self.g_ok, self.flagged
        gap_pieces: list[tuple[BaseGeometry, str]] = []
        outside_pieces: list[tuple[BaseGeometry, str, list[int]]] = []
        children: dict[str, list[int]] = {}
        for k, kk in enumerate(self.good.tolist()):
            children.setdefault(parent_of[kk], []).append(k)
        for code, pg in parent_geoms.items():
            if code not in children:
                continue
            if not flagged[children[code]].any() and _edge_print(g_ok[children[code]]) == _edge_print(np.array([pg])):
                continue  # a valid coverage whose outer edges are the parent's, segment by segment: no overlay
            united = _union(g_ok, children[code], flagged)
            if shapely.equals_exact(shapely.normalize(united), shapely.normalize(pg), tolerance=0.0) or shapely.equals(
                united, pg
            ):
                continue  # the children tile their parent exactly: nothing to overlay (equals is cheaper)
            # one overlay per parent (not per child): what the parent lacks and what sticks out
            differ = _polygonal(shapely.symmetric_difference(pg, united))
            within_parent = prep(pg)
            for piece in getattr(differ, "geoms", [differ]):
                if piece.is_empty:
                    continue
                if within_parent.contains(piece.representative_point()):
                    gap_pieces.append((piece, code))
                else:
                    outside_pieces.append((piece, code, children[code]))
        return gap_pieces, outside_pieces

    def unparented_gaps(self) -> list[tuple[BaseGeometry, str]]:
        """4b. Without parents: holes in the union, and gaps open to the outside but narrower than the gap
        width (what a closing by the gap width fills)."""
        g_ok, gap_tol = self.g_ok, self.gap_tol
        union = _union(g_ok, list(range(len(g_ok))), self.flagged) if len(g_ok) else shapely.Polygon()
        closed = union.buffer(gap_tol, join_style="mitre").buffer(-gap_tol, join_style="mitre")
        shells = [shapely.Polygon(p.exterior) for p in getattr(union, "geoms", [union]) if not p.is_empty]
        rest = _polygonal(shapely.difference(shapely.union_all([closed, *shells]), union))
        return [(p, "") for p in getattr(rest, "geoms", [rest])]

    def gaps(self, gap_pieces: list[tuple[BaseGeometry, str]]) -> None:
        """4c. Each gap big enough to be data, with its neighbours."""
        for piece, where in gap_pieces:
            meas = self.measured(piece)
            if meas is None:
                continue
            _, area, w = meas
            near = self.tree.query(piece, predicate="dwithin", distance=self.gap_tol)
            neighbours = sorted({self.ids[self.good[k]] for k in near})
            sliver = ",细长碎片" if w < self.tol.gap_width_m else ""
            inside = f"({where} 内)" if where else ""
            self.out.add(
                "gap",
                neighbours,
                piece,
                f"缝隙{inside} {area:.2f} 平方米(最宽 {w:.2f} 米){sliver},相邻:{'、'.join(neighbours) or '无'}",
                area=area,
                width=w,
            )

    def hierarchy(self, parent_codes: list[str], outside_pieces: list[tuple[BaseGeometry, str, list[int]]]) -> int:
        """5. Codes not under their parent's, and parts of units outside their parent; how many."""
        ids, geoms, g_ok, good = self.ids, self.geoms, self.g_ok, self.good
        found = 0
        for k in good.tolist():
            code, parent = ids[k], parent_codes[k]
            if parent and not code.startswith(_code_stem(parent)):
                found += 1
                self.out.add(
                    "code_prefix", [code], geoms[k].representative_point(), f"{code} 的代码不以上级代码 {parent} 开头"
                )
        for piece, parent, members in outside_pieces:
            meas = self.measured(piece)
            if meas is None:
                continue
            _, area, w = meas
            # the child the piece belongs to: the one sharing most of it
            mine = set(members)
            near = [int(k) for k in self.tree.query(piece, predicate="intersects") if int(k) in mine] or members
            child = max(near, key=lambda k: float(shapely.area(shapely.intersection(g_ok[k], piece))))
            code = ids[good[child]]
            found += 1
            self.out.add(
                "outside_parent",
                [code, parent],
                piece,
                f"{code} 有 {area:.2f} 平方米在上级 {parent} 之外",
                area=area,
                width=w,
            )
        return found

    def listed(self, division_list: Mapping[str, str], unit_names: list[Any]) -> int:
        """5b. Against the division list: codes without a polygon, polygons not listed, names that differ."""
        ids, geoms = self.ids, self.geoms
        names = dict(zip(ids, unit_names, strict=True))
        found = 0
        for code in sorted(set(division_list) - set(ids)):
            found += 1
            self.out.add("missing_unit", [code], shapely.Point(), f"区划名录中的 {code} {division_list[code]} 没有图形")
        for k, code in enumerate(ids):
            if code not in division_list:
                found += 1
                self.out.add("unknown_code", [code], geoms[k].representative_point(), f"{code} 不在区划名录中")
            elif names.get(code) and division_list[code] and names[code] != division_list[code]:
                found += 1
                self.out.add(
                    "name_mismatch",
                    [code],
                    geoms[k].representative_point(),
                    f"{code} 名称“{names[code]}”与名录“{division_list[code]}”不一致",
                )
        return found

    def report(self, polygons: int, hierarchy: int) -> CoverageReport:
        out, tol = self.out, self.tol
        frame = gpd.GeoDataFrame(
            out.rows,
            columns=["kind", "ids", "area_m2", "width_m", "length_m", "lon", "lat", "message", "geometry"],
            geometry="geometry",
            crs=STORAGE_EPSG,
        )
        gaps = [r for r in out.rows if r["kind"] == "gap"]
        overlaps = [r for r in out.rows if r["kind"] == "overlap"]
        slivers = [r for r in gaps + overlaps if r["width_m"] < tol.gap_width_m]
        summary = {
            "polygons": polygons,
            "invalid": int((~self.valid).sum()),
            "invalid_edges": sum(r["kind"] == "invalid_edge" for r in out.rows),
            "gaps": len(gaps),
            "gap_area_m2": round(float(sum(r["area_m2"] for r in gaps)), 3),
            "overlaps": len(overlaps),
            "overlap_area_m2": round(float(sum(r["area_m2"] for r in overlaps)), 3),
            "slivers": len(slivers),
            "hierarchy": hierarchy,
            "metric_crs": f"EPSG:{self.epsg}",
            "gap_width_m": tol.gap_width_m,
            "min_area_m2": tol.min_area_m2,
            "min_width_m": tol.min_width_m,
        }
        return CoverageReport(summary, frame)


def _in_storage_or_projected(frame: gpd.GeoDataFrame) -> tuple[CRS, np.ndarray]:
    """The frame's geometries in its projected CRS, or in CGCS2000 lon/lat, with that CRS; WGS 84 lon/lat
    is taken as CGCS2000 without touching the coordinates (they agree within centimetres), which saves a
    pass over every vertex. The frame itself is neither copied nor changed."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if frame.crs.is_projected:
        return frame.crs, geoms
    if frame.crs.to_epsg() in (4326, STORAGE_EPSG):
        return _STORAGE_CRS, geoms
    return _STORAGE_CRS, np.asarray(frame.geometry.to_crs(STORAGE_EPSG).values, dtype=object)


def _union(geoms: np.ndarray, members: list[int], flagged: np.ndarray) -> BaseGeometry:
    """Union of a group: the fast coverage union of the polygons whose edges all match (among themselves a
    valid coverage: no two of them overlap, see step 3), then the full union of that with the flagged few."""
    if not members:
        return shapely.MultiPolygon()
    group, bad = geoms[members], flagged[members]
    if not bad.any():
        return shapely.coverage_union_all(group)
    good = group[~bad]
    if not len(good):
        return shapely.union_all(group)
    return shapely.union_all([shapely.coverage_union_all(good), *group[bad]])


def _code_stem(code: str) -> str:
    """The digits a child's code starts with: a six-digit code (GB/T 2260) pads a province or prefecture
    with pairs of zeros (330000, 331000), which its children do not share (331004)."""
    if len(code) == 6:
        while code.endswith("00") and len(code) > 2:
            code = code[:-2]
    return code


_MIX = (np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def _mix(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """A 64-bit finaliser (splitmix64's): every input bit moves about half the output bits."""
    z = (z ^ (z >> np.uint64(30))) * _MIX[0]
    z = (z ^ (z >> np.uint64(27))) * _MIX[1]
    out: NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return out


def _edge_print(geoms: np.ndarray) -> int:
    """A fingerprint of the segments of ``geoms`` that are not shared by two of them.

    Each segment hashes its two end points symmetrically (either direction gives the same value) and the
    fingerprint is the XOR of all segments' hashes, so a segment shared by two polygons cancels out. In a
    valid coverage every shared edge has the same vertices on both sides (GEOS's coverage validation checks
    it), so the fingerprint of the children equals the parent's exactly when the children's outer edges are
    the parent's edges, segment by segment: then they tile the parent, since a polygon is the set of points
    whose rays cross its edges an odd number of times. Unequal fingerprints (also when the parent has
    vertices its children lack) only mean the exact overlay runs. Equal fingerprints of different edge sets
    need a 64-bit collision of hashes: one in about 10^19."""
    rings = shapely.get_rings(shapely.get_parts(geoms))
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    bits = np.ascontiguousarray(coords).view(np.uint64)
    point = _mix(_mix(bits[:, 0]) ^ bits[:, 1])
    segment = (ring[1:] == ring[:-1]) & (point[1:] != point[:-1])  # within a ring, not a repeated vertex
    hashes = _mix(point[1:][segment] + point[:-1][segment])
    return int(np.bitwise_xor.reduce(hashes)) if len(hashes) else 0


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of an overlay result (intersections also yield lines and points)."""
    if geom.is_empty:
        return shapely.MultiPolygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()
