"""Analyses for the page and scripts: boundary findings, the joint-inspection package, coverage gaps,
siting suggestions and what-ifs. Planners and above (viewers read the layers only)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import geopandas as gpd
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, model_validator
from shapely.geometry import Point

from mzgis.api.contract import Lat, Lon, TextRule, lonlat_first
from mzgis.api.deps import PlannerDep, StoreDep, ViewerDep
from mzgis.api.files import download, download_responses
from mzgis.api.models import ErrorOut
from mzgis.boundary.service import line_names, load_line, map_findings
from mzgis.clock import beijing_today
from mzgis.coverage.analysis import CoverageResult
from mzgis.coverage.reading import MAP_TARGETS, reading
from mzgis.coverage.service import PROPOSED_KINDS, analyze_store, proposed_frame, suggest, what_if
from mzgis.crs import BBOX_PATTERN, parse_bbox
from mzgis.io.archive import zip_folder
from mzgis.io.coverage_report import write_store_coverage
from mzgis.io.inspection import write_inspection_package
from mzgis.io.printmap import render_map
from mzgis.mapviews import MAP_LAYERS, build_view, layers_pattern

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["分析 analyses"])
_SHORT = TextRule(60, required=True)  # a name or title on a print map
UNIT_PATTERN = r"^[0-9]{2,12}$"  # a county's or township's code (a store of several counties: one at a time)
_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
    400: {"model": ErrorOut},
}


class BoundaryFindingOut(BaseModel):
    source: Literal["coverage", "line", "markers"] = Field(description="区划拓扑 / 界线比对 / 界桩")
    kind: str
    message: str
    line: str | None
    geometry: dict[str, Any] = Field(description="GeoJSON 几何(经纬度),用于定位与高亮")


class BoundaryFindingsOut(BaseModel):
    coverage: dict[str, Any] = Field(description="区划拓扑检查摘要")
    lines: dict[str, Any] = Field(description="每条界线的比对与界桩摘要")
    findings: list[BoundaryFindingOut]


@router.get("/boundary/lines", response_model=list[str], responses=_ERRORS, summary="界线名称")
def boundary_lines(
    _: PlannerDep,
    store: StoreDep,
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, description="只列此区县(或市)一侧的界线")] = None,
) -> list[str]:
    return line_names(store, unit=unit)


@router.get("/boundary/findings", response_model=BoundaryFindingsOut, responses=_ERRORS, summary="运行界线检查")
def boundary_findings(
    _: PlannerDep,
    store: StoreDep,
    level: Annotated[Literal["township", "village"], Query(description="拓扑检查的区划层级")] = "village",
    tolerance_m: Annotated[float, Query(gt=0, le=1000, description="允许偏差(米)")] = 5.0,
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, description="只检查此区县或乡镇(区划代码)")] = None,
) -> dict[str, Any]:
    return map_findings(store, level=level, tolerance_m=tolerance_m, today=beijing_today(), unit=unit)


@router.get(
    "/boundary/lines/{name}/package",
    responses=_ERRORS | download_responses(".zip"),
    response_class=Response,
    summary="下载联检资料包(ZIP)",
)
def inspection_package(
    name: str,
    _: PlannerDep,
    store: StoreDep,
    encoding: Annotated[Literal["gbk", "utf-8"], Query(description="Shapefile 编码")] = "gbk",
    tolerance_m: Annotated[float, Query(gt=0, le=1000)] = 5.0,
) -> Response:
    line = load_line(store, name)
    with tempfile.TemporaryDirectory() as tmp:
        package = write_inspection_package(line, Path(tmp) / "package", encoding=encoding, tolerance_m=tolerance_m)
        return download(package.zip_path.read_bytes(), package.zip_path.name)


@router.get(
    "/coverage/report",
    responses=_ERRORS | download_responses(".zip"),
    response_class=Response,
    summary="下载覆盖分析结果(ZIP:表格、图层、专题图、报告)",
)
def coverage_report(
    _: PlannerDep,
    store: StoreDep,
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, description="只分析此区县或乡镇(区划代码)")] = None,
) -> Response:
    """What ``mzgis coverage --out DIR`` writes: CSV/XLSX table, GPKG layers, PNG maps, HTML map and report
    (of the county or township ``unit`` when given)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "覆盖分析"
        write_store_coverage(store, analyze_store(store, unit=unit), folder, unit=unit)
        buffer = io.BytesIO()
        zip_folder(folder, buffer, root="覆盖分析")
        return download(buffer.getvalue(), f"覆盖分析_{beijing_today().isoformat()}.zip")


@router.get(
    "/print",
    responses=_ERRORS | download_responses(".pdf", ".png"),
    response_class=Response,
    summary="出图:A4/A3 的 PDF 或 PNG(标题、图例、比例尺、指北针、来源与日期)",
)
def print_map(
    _: ViewerDep,
    store: StoreDep,
    format: Annotated[Literal["pdf", "png"], Query(description="文件格式")] = "pdf",
    paper: Annotated[Literal["A4", "A3"], Query(description="纸张")] = "A4",
    portrait: Annotated[bool, Query(description="纵向(默认横向)")] = False,
    bbox: Annotated[
        str | None,
        Query(max_length=200, description="范围:西,南,东,北(经纬度)", json_schema_extra={"pattern": BBOX_PATTERN}),
    ] = None,
    township: Annotated[str | None, Query(description="乡镇(街道)代码或名称"), _SHORT] = None,
    line: Annotated[str | None, Query(description="界线名称"), _SHORT] = None,
    from_m: Annotated[float | None, Query(ge=0, le=1e7, description="界线里程起点(米)")] = None,
    to_m: Annotated[float | None, Query(gt=0, le=1e7, description="界线里程终点(米)")] = None,
    layers: Annotated[
        str | None,
        Query(
            max_length=300,
            description=f"图层,逗号分隔:{','.join(MAP_LAYERS)}",
            json_schema_extra={"pattern": layers_pattern()},
        ),
    ] = None,
    title: Annotated[str | None, Query(description="标题"), _SHORT] = None,
    coverage: Annotated[
        Literal[tuple(MAP_TARGETS)] | None,  # type: ignore[valid-type]
        Query(description="按十四五目标着色乡镇(如 beds_per_1000、burial_site)"),
    ] = None,
) -> Response:
    """What ``mzgis map`` draws, for the page's 打印 (the current view and visible layers) and scripts."""
    view = build_view(
        store,
        township=township,
        line=line,
        from_m=from_m,
        to_m=to_m,
        bbox=parse_bbox(bbox),
        layers=[x for x in layers.split(",") if x] if layers else None,
        title=title or None,
        paper=paper,
        portrait=portrait,
        coverage=coverage or None,
    )
    drawn = render_map(view, format)
    return download(drawn.data, f"{view.title}_{beijing_today().isoformat()}.{format}")


@router.get("/coverage", responses=_ERRORS, summary="十四五目标覆盖分析(按乡镇)")
def coverage(
    _: PlannerDep,
    store: StoreDep,
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, description="只分析此区县或乡镇(区划代码)")] = None,
) -> dict[str, Any]:
    """The per-township table, the district row, uncovered villages, accessibility per village, the
    targets and rules used, and facilities whose location disagrees with their admin code (of the county
    or township ``unit`` when given: a store of several counties is analysed one county at a time)."""
    return analyze_store(store, unit=unit).as_dict()


_POSITION_NAMED = lonlat_first("拟建设施的坐标")


class ProposedIn(BaseModel):
    kind: Literal[PROPOSED_KINDS] = Field(  # type: ignore[valid-type]
        description="设施类别:养老 institution、home_care_centre、day_care_station;社区服务综合体 urban、rural;"
        "安葬 tree、flower、lawn、columbarium、cemetery"
    )
    lon: Lon
    lat: Lat
    name: Annotated[str, TextRule(60)] | None = None
    beds: int = Field(default=0, ge=0)
    nursing_beds: int = Field(default=0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _position_named(cls, data: Any) -> Any:
        return _POSITION_NAMED(data)


class WhatIfIn(BaseModel):
    facilities: list[ProposedIn] = Field(min_length=1, max_length=500)
    unit: str | None = Field(default=None, pattern=UNIT_PATTERN, description="只分析此区县或乡镇(区划代码)")


def _proposed(facilities: list[ProposedIn]) -> gpd.GeoDataFrame | None:
    """The proposed facilities as the coverage service takes them (their positions checked by ProposedIn)."""
    if not facilities:
        return None
    return proposed_frame(
        gpd.GeoDataFrame(
            [
                {"kind": f.kind, "name": f.name or f"拟建{i + 1}", "beds": f.beds, "nursing_beds": f.nursing_beds}
                for i, f in enumerate(facilities)
            ],
            geometry=[Point(f.lon, f.lat) for f in facilities],
            crs=4490,
        )
    )


@router.post("/coverage/what-if", responses=_ERRORS, summary="拟建设施的效果(与现状对比)")
def coverage_what_if(body: WhatIfIn, _: PlannerDep, store: StoreDep) -> dict[str, Any]:
    frame = _proposed(body.facilities)
    assert frame is not None  # at least one facility (WhatIfIn)
    current, after = what_if(store, frame, unit=body.unit)

    def tables(result: CoverageResult) -> dict[str, Any]:
        uncovered = result.uncovered[["facility_type", "code"]].to_dict("records")
        return {
            "townships": result.townships,
            "district": result.district,
            "uncovered_villages": uncovered,
            "reading": reading(result.townships, result.district, result.targets),
        }

    return {"current": tables(current), "with_proposed": tables(after)}


FacilityType = Literal["burial_site", "community_complex", "day_care", "eldercare"]


@router.get("/coverage/suggest", responses=_ERRORS, summary="选址建议")
def coverage_suggest(
    _: PlannerDep,
    store: StoreDep,
    facility_type: Annotated[FacilityType, Query(alias="type")] = "burial_site",
    count: Annotated[int, Query(ge=1, le=20)] = 3,
    exact: bool = False,
    unit: Annotated[str | None, Query(pattern=UNIT_PATTERN, description="只为此区县或乡镇的村选址")] = None,
) -> dict[str, Any]:
    return suggest(store, facility_type, count=count, with_exact=exact, unit=unit)


class SuggestIn(BaseModel):
    type: FacilityType = "burial_site"
    count: int = Field(default=3, ge=1, le=20)
    exact: bool = False
    facilities: list[ProposedIn] = Field(default=[], max_length=500, description="拟建设施,视为已建")
    unit: str | None = Field(default=None, pattern=UNIT_PATTERN, description="只为此区县或乡镇的村选址")


@router.post("/coverage/suggest", responses=_ERRORS, summary="选址建议(把拟建设施视为已建)")
def coverage_suggest_with_proposed(body: SuggestIn, _: PlannerDep, store: StoreDep) -> dict[str, Any]:
    return suggest(
        store, body.type, count=body.count, with_exact=body.exact, proposed=_proposed(body.facilities), unit=body.unit
    )
