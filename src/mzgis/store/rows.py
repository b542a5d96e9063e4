"""What every backend does alike with a row before it writes it and with its history: the layer model's
checks (one message listing every problem), the audited part of a change (derived fields left out), and
the JSON of geometries and snapshots the audit keeps."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from mzgis.errors import RuleViolation
from mzgis.layers import LAYERS, Layer, check_geometry, check_record
from mzgis.store.base import Feature

__all__ = ["audited", "geom_json", "same_geometry", "snapshot", "to_json", "validated"]


def geom_json(geom: BaseGeometry | None) -> Any:
    return None if geom is None else json.loads(shapely.to_geojson(geom))


def snapshot(feature: Feature) -> dict[str, Any]:
    """A feature as its history keeps it (attributes and GeoJSON geometry)."""
    snap: dict[str, Any] = dict(feature.properties)
    if LAYERS[feature.layer].geometry:
        snap["geometry"] = geom_json(feature.geometry)
    return snap


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def audited(layer: Layer, values: Mapping[str, Any]) -> dict[str, Any]:
    """What the history records of a row or a change: derived fields left out (they restate the others)."""
    derived = {f.name for f in layer.fields if f.derived}
    return {k: v for k, v in values.items() if k not in derived}


def validated(layer: Layer, properties: Mapping[str, Any], geometry: BaseGeometry | None) -> dict[str, Any]:
    """The row as stored (values coerced), or a RuleViolation naming every problem."""
    unknown = set(properties) - set(layer.field_names)
    clean, problems = check_record(layer, properties)
    if unknown:
        problems.append(f"未知字段:{'、'.join(sorted(unknown))}")
    problems += check_geometry(layer, geometry)
    if problems:
        raise RuleViolation(
            f"{layer.label_zh}({layer.name}):" + ";".join(problems),
            f"{layer.name}: {len(problems)} problem(s)",
            problems=problems,
        )
    return clean


def same_geometry(a: BaseGeometry | None, b: BaseGeometry | None) -> bool:
    if a is None or b is None:
        return a is b
    return bool(a.equals_exact(b, tolerance=0.0)) and a.geom_type == b.geom_type
