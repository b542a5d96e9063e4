"""Map layers made from the layer model's styles (each value in its colour and Chinese name), shared by the
print maps (``mapviews``) and the joint-inspection package's maps."""

from __future__ import annotations

import geopandas as gpd

from mzgis.io.printmap import MapLayer, Style
from mzgis.layers import LAYERS, Layer

__all__ = ["categorized", "line_layers"]


def categorized(
    layer: Layer, frame: gpd.GeoDataFrame, field_name: str, base: Style, *, label_field: str | None = None
) -> list[MapLayer]:
    """One map layer per value of ``field_name`` present in ``frame``, in the layer model's colour and
    Chinese name (legend = drawn colour)."""
    f = layer.field(field_name)
    labels = f.choice_labels_zh or f.choices
    out = []
    for value, label, colour in zip(f.choices, labels, f.choice_colours or ("#3388ff",) * len(f.choices), strict=True):
        part = frame[frame[field_name] == value]
        if not part.empty:
            style = Style(colour, base.kind, width=base.width, marker=base.marker, size=base.size, dashed=base.dashed)
            out.append(MapLayer(f"{layer.label_zh}:{label}", part, style, label_field=label_field))
    return out


def line_layers(
    ours: gpd.GeoDataFrame, theirs: gpd.GeoDataFrame, markers: gpd.GeoDataFrame | None = None
) -> list[MapLayer]:
    """Boundary lines in both versions and (given) markers by condition, labelled with their numbers."""
    lines = LAYERS["boundary_lines"]
    side = dict(zip(lines.field("side").choices, lines.field("side").choice_colours, strict=True))
    return [
        MapLayer("界线:本方", ours, Style(side["ours"], "line", width=2.2)),
        MapLayer("界线:对方", theirs, Style(side["neighbour"], "line", width=1.6, dashed=True)),
        *(
            []
            if markers is None
            else categorized(
                LAYERS["boundary_markers"],
                markers,
                "condition",
                Style("#000", "point", size=30),
                label_field="marker_id",
            )
        ),
    ]
