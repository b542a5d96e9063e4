"""Coverage gap analysis against the plan's targets: targets as data, per-township gaps, uncovered villages.

Analysis functions are pure (GeoDataFrames in, results out); ``service`` reads the store. Siting
suggestions, accessibility scores, what-if runs and map/report outputs are still to come (see the tracker).
"""
