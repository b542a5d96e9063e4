"""How a coverage result reads for planners: per target its wording and goal, per row (township or the
district) the value, the gap and a band (达标 / 80 % 以上 / 50–80 % / 不足 50 %) with its colour. The page
shows these as they come (it recomputes nothing) and the reports' maps use the same bands."""

from __future__ import annotations

from typing import Any

from mzgis.coverage.targets import Targets

__all__ = ["BANDS", "BAND_COLOURS", "MAP_TARGETS", "band", "measure", "reading"]

# id, Chinese wording, fill colour
BANDS = (
    ("met", "达标", "#52b788"),
    ("near", "达到目标 80% 以上", "#ffd166"),
    ("far", "50%–80%", "#f8961e"),
    ("none", "不足 50%", "#c1121f"),
    ("unknown", "未计算(缺村级区划面)", "#bdbdbd"),
)
BAND_COLOURS = {b: c for b, _, c in BANDS}
# the targets a planner maps (the page's selector), their wording and the facility type behind each
MAP_TARGETS = {
    "beds_per_1000": ("每千名老年人养老床位", None),
    "nursing_beds_per_1000": ("每千名老年人护理型床位", None),
    "community_complex": ("社区服务综合体(每乡镇至少 1 个)", None),
    "burial_site": ("节地生态安葬点(每乡镇至少 1 个)", "burial_site"),
    "burial_coverage": ("生态安葬行政村覆盖率", "burial_site"),
    "day_care_coverage": ("照料中心村(社区)覆盖率", "day_care"),
}


# the villages covered behind each village target (None when the villages have no polygons)
_COVERED = {"burial_coverage": "villages_covered_by_burial", "day_care_coverage": "villages_with_day_care"}


def band(met: bool, value: float | None, goal: float | None) -> str:
    """The band of a value against its goal: met, else by the share of the goal reached."""
    if met:
        return "met"
    ratio = 0.0 if value is None or not goal else value / goal
    return "near" if ratio >= 0.8 else "far" if ratio >= 0.5 else "none"


def goal_zh(target: str, t: Targets) -> str:
    return {
        "beds_per_1000": f"{t.beds_per_1000_elderly:g} 张/千人",
        "nursing_beds_per_1000": f"{t.nursing_beds_per_1000_elderly:g} 张/千人",
        "community_complex": f"每个乡镇 ≥{t.community_complexes_per_township:g} 个",
        "burial_site": f"每个乡镇 ≥{t.burial_sites_per_township:g} 个",
        "burial_coverage": f"{t.villages_covered_by_burial_share:.0%}",
        "day_care_coverage": f"{t.villages_with_day_care_share:.0%}",
    }[target]


def _per(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def measure(target: str, row: dict[str, Any], t: Targets, *, townships: int = 1) -> dict[str, Any]:
    """One row against one target: ``value`` (number, for the band), ``text``, ``gap`` ('' when met) and
    ``band``. The district's row of a per-township target says how many of its ``townships`` lack one (its
    band: the share that have one)."""
    met = target not in row["unmet"]
    villages = row["villages"]

    def share(part: int) -> float | None:
        return part / villages if villages else None

    lacking = {
        "community_complex": row.get("townships_without_complex"),
        "burial_site": row.get("townships_without_burial_site"),
    }.get(target)
    if lacking is not None:  # the district's row
        count = row["community_complexes"] if target == "community_complex" else row["burial_sites"]
        value, goal, text = (townships - lacking) / max(townships, 1), 1.0, f"共 {count} 个"
        gap = f"{lacking} 个乡镇(街道)没有" if lacking else ""
        met = not lacking
    elif target == "beds_per_1000":
        value, goal = row["beds_per_1000"], t.beds_per_1000_elderly
        text, gap = f"{_per(value)} 张/千人", f"缺 {row['beds_shortfall']} 张" if row["beds_shortfall"] else ""
    elif target == "nursing_beds_per_1000":
        value, goal = row["nursing_beds_per_1000"], t.nursing_beds_per_1000_elderly
        short = row["nursing_beds_shortfall"]
        text, gap = f"{_per(value)} 张/千人", f"缺 {short} 张" if short else ""
    elif target in ("community_complex", "burial_site"):
        count = row["community_complexes"] if target == "community_complex" else row["burial_sites"]
        goal = t.community_complexes_per_township if target == "community_complex" else t.burial_sites_per_township
        value, text = float(count), f"{count} 个"
        gap = f"缺 {goal - count:g} 个" if count < goal else ""
    elif target in ("burial_coverage", "day_care_coverage") and row[_COVERED[target]] is None:
        return {"value": None, "text": "未计算", "gap": "需要村级区划面", "band": "unknown"}
    elif target == "burial_coverage":
        covered = row["villages_covered_by_burial"]
        value, goal = share(covered), t.villages_covered_by_burial_share
        text, gap = f"{covered}/{villages} 村", f"{villages - covered} 村未覆盖" if villages - covered else ""
    elif target == "day_care_coverage":
        covered = row["villages_with_day_care"]
        value, goal = share(covered), t.villages_with_day_care_share
        text, gap = f"{covered}/{villages} 村", f"{villages - covered} 村未覆盖" if villages - covered else ""
    else:
        raise KeyError(target)
    return {"value": value, "text": text, "gap": gap, "band": band(met, value, goal)}


def reading(townships: list[dict[str, Any]], district: dict[str, Any], t: Targets) -> dict[str, Any]:
    """Everything the page shows of a result: targets with wording and goal, bands with colours, and per
    row code (``""`` the district) and target its value text, gap and band."""
    return {
        "targets": [
            {"id": k, "label": label, "goal": goal_zh(k, t), "facility_type": ftype}
            for k, (label, ftype) in MAP_TARGETS.items()
        ],
        "bands": [{"id": b, "label": label, "colour": colour} for b, label, colour in BANDS],
        "rows": {str(row["code"]): {k: measure(k, row, t) for k in MAP_TARGETS} for row in [*townships, district]},
    }
