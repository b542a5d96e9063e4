"""The colours mzgis draws with that are not a value's own (those are in the layer model: ``choice_colours``),
in one place for the map page (served in ``/api/config``), the print maps and the QGIS project: one look
everywhere. The plan's bands are in ``coverage/reading.py`` (served with each analysis)."""

from __future__ import annotations

__all__ = ["STYLES"]

STYLES: dict[str, str] = {
    "other": "#3388ff",  # a value without a colour of its own (place names)
    "outline": "#222222",  # the outline of a point symbol
    "line": "#555555",  # a line or polygon edge without a colour of its own
    "township_fill": "#cdd9e5",  # the townships' fill under everything else
    "village_line": "#7890a8",  # village edges while a coverage target is shown
    "uncovered": "#9d0208",  # the villages a target's facility type leaves uncovered (dashed)
    "highlight": "#ff006e",  # a finding or a feature found, while it is shown
    "drawing": "#ff7b00",  # a shape being drawn or moved
}
