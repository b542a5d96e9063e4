"""Coverage gap analysis against the plan's targets. Not built yet (see the tracker)."""
