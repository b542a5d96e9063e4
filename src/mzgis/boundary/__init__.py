"""Boundary checks and the joint-inspection package (行政区域界线联检). Not built yet (see the tracker)."""
