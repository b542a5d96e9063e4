"""The plan's targets and coverage rules, read from a TOML file (defaults: ``data/targets.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from mzgis.errors import BadInput

__all__ = ["FACILITY_TYPES", "CoverageRule", "Targets", "load_targets"]

# the facility types a coverage rule and a siting suggestion are about, with their Chinese names
FACILITY_TYPES = {
    "burial_site": "节地生态安葬点",
    "community_complex": "社区服务综合体",
    "day_care": "照料中心",
    "eldercare": "养老机构",
}


@dataclass(frozen=True)
class CoverageRule:
    """When a village counts as covered: a site inside it, or within ``distance_m`` of its centre."""

    rule: Literal["inside", "distance"]
    distance_m: float | None = None

    def describe(self) -> str:
        return "村内有设施" if self.rule == "inside" else f"村人口中心 {self.distance_m:g} 米内有设施"


@dataclass(frozen=True)
class Targets:
    beds_per_1000_elderly: float
    nursing_beds_per_1000_elderly: float
    home_care_centres_professional_share: float
    day_care_stations_professional_share: float
    community_complexes_per_township: int
    burial_sites_per_township: int
    villages_covered_by_burial_share: float
    villages_with_day_care_share: float
    day_care: CoverageRule
    burial_site: CoverageRule
    community_complex: CoverageRule
    eldercare: CoverageRule
    catchment_m: float
    source: str

    def rule(self, facility_type: str) -> CoverageRule:
        rules = {
            "day_care": self.day_care,
            "burial_site": self.burial_site,
            "community_complex": self.community_complex,
            "eldercare": self.eldercare,
        }
        if facility_type not in rules:
            raise BadInput(f"设施类型应为 {'、'.join(rules)},不是“{facility_type}”", "unknown facility type")
        return rules[facility_type]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in self.__dict__.items() if not isinstance(v, CoverageRule)}
        out["coverage_rules"] = {
            name: rule.describe() for name, rule in self.__dict__.items() if isinstance(rule, CoverageRule)
        }
        return out


def _rule(data: dict[str, Any], name: str) -> CoverageRule:
    raw = data.get("coverage", {}).get(name, {"rule": "inside"})
    rule = raw.get("rule")
    if rule == "inside":
        return CoverageRule("inside")
    if rule == "distance":
        distance = raw.get("distance_m")
        if not isinstance(distance, int | float) or distance <= 0:
            raise BadInput(f"覆盖规则 {name} 的 distance_m 应为正数", f"coverage.{name}.distance_m must be > 0")
        return CoverageRule("distance", float(distance))
    raise BadInput(f"覆盖规则 {name} 的 rule 应为 inside 或 distance", f"coverage.{name}.rule: inside|distance")


def load_targets(path: Path | None = None) -> Targets:
    """The bundled targets, or an office's file of the same shape (all keys required)."""
    if path is None:
        text, source = (
            resources.files("mzgis.coverage").joinpath("data/targets.toml").read_text("utf-8"),
            "默认(十四五规划)",
        )
    else:
        try:
            text, source = path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise BadInput(f"无法读取目标文件 {path}:{exc}", f"cannot read {path}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"目标文件格式错误:{exc}", f"bad TOML: {exc}") from None
    t = data.get("targets", {})
    keys = [
        "beds_per_1000_elderly",
        "nursing_beds_per_1000_elderly",
        "home_care_centres_professional_share",
        "day_care_stations_professional_share",
        "community_complexes_per_township",
        "burial_sites_per_township",
        "villages_covered_by_burial_share",
        "villages_with_day_care_share",
    ]
    missing = [k for k in keys if k not in t]
    if missing:
        raise BadInput(f"目标文件缺少:{'、'.join(missing)}", f"missing targets: {missing}")
    return Targets(
        **{k: t[k] for k in keys},
        day_care=_rule(data, "day_care"),
        burial_site=_rule(data, "burial_site"),
        community_complex=_rule(data, "community_complex"),
        eldercare=_rule(data, "eldercare"),
        catchment_m=float(data.get("accessibility", {}).get("catchment_m", 10000)),
        source=source,
    )
