"""Hostile and malformed requests through the API: each answers the status named here, in the documented
error shape with a Chinese message, and leaves every table of the data file as it was.

Each class of input here was found to crash, leak or change data before (issue: hostile input and abuse)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mzgis.api.models import ErrorOut
from tests.conftest import bearer
from tests.hostile.conftest import store_digest

ROLES = {"editor": "地名科", "admin": "管理员", "viewer": "查看员", "planner": "规划科"}
BIG = 2**63  # one past SQLite's largest integer
POINT = {"type": "Point", "coordinates": [121.40, 28.58]}
NAME: dict[str, Any] = {
    "name": "金清大桥",
    "category": "transport_facility",
    "admin_code": "331004002",
    "geometry": POINT,
}


def _poly(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


def _name(**changes: Any) -> dict[str, Any]:
    return NAME | changes


def _geom(geometry: Any) -> dict[str, Any]:
    return _name(geometry=geometry)


SQUARE = [[121.400, 28.580], [121.401, 28.580], [121.401, 28.581], [121.400, 28.581], [121.400, 28.580]]
BOWTIE = [[121.400, 28.580], [121.401, 28.581], [121.401, 28.580], [121.400, 28.581], [121.400, 28.580]]
# a polygon over the place-name layer's 20,000 vertices (about 0.7 MB of JSON)
HUGE_RING = [[121.400 + 0.001 * (i % 2), 28.58 + 0.00000005 * i] for i in range(20_001)]
HUGE_RING = [*HUGE_RING, HUGE_RING[0]]
HUGE_LINE = {"type": "LineString", "coordinates": [[121.40 + 0.00000005 * i, 28.58] for i in range(20_001)]}

# (id, role, method, url, request kwargs, status, a piece of the Chinese message)
Case = tuple[str, str | None, str, str, dict[str, Any], int, str]
CASES: list[Case] = []


def case(cid: str, role: str | None, method: str, url: str, status: int, msg: str, **kwargs: Any) -> None:
    if "json" in kwargs:  # sent as text, so NaN and Infinity go as JSON's literals (httpx refuses them)
        kwargs["content"] = json.dumps(kwargs.pop("json"), ensure_ascii=False).encode()
        kwargs["headers"] = {"Content-Type": "application/json"} | kwargs.get("headers", {})
    CASES.append((cid, role, method, url, kwargs, status, msg))


# ---- malformed JSON bodies, to every route that takes one
BODY_ROUTES = [
    ("editor", "POST", "/api/names"),
    ("editor", "PATCH", "/api/names/1"),
    ("editor", "POST", "/api/changesets"),
    ("editor", "POST", "/api/names/check"),
    ("editor", "POST", "/api/names/1/retire"),
    ("editor", "POST", "/api/names/1/restore"),
    (None, "POST", "/api/auth/token"),
    ("admin", "POST", "/api/users"),
    ("admin", "PATCH", "/api/users/规划科"),
    ("planner", "POST", "/api/coverage/what-if"),
    ("planner", "POST", "/api/coverage/suggest"),
]
MALFORMED = {
    "truncated": b'{"name": "x",',
    "not-json": b"name=x&category=y",
    "array": b"[]",
    "string": b'"x"',
    "number": b"123",
    "null": b"null",
}
for role, method, url in BODY_ROUTES:
    for key, raw in MALFORMED.items():
        case(
            f"{method}-{url}-{key}",
            role,
            method,
            url,
            422,
            "请求参数不合法",
            content=raw,
            headers={"Content-Type": "application/json"},
        )
    deep = b"[" * 5000 + b"]" * 5000  # past the JSON parser's recursion limit
    case(
        f"{method}-{url}-deep",
        role,
        method,
        url,
        400,
        "请求体无法解析",
        content=deep,
        headers={"Content-Type": "application/json"},
    )

# ---- wrong types and missing fields
for cid, body in {
    "name-number": _name(name=123),
    "name-list": _name(name=["金清大桥"]),
    "name-object": _name(name={"zh": "金清大桥"}),
    "category-list": _name(category=["transport_facility"]),
    "geometry-string": _name(geometry="POINT(121.4 28.58)"),
    "geometry-missing": {k: v for k, v in NAME.items() if k != "geometry"},
    "name-missing": {k: v for k, v in NAME.items() if k != "name"},
    "status-unknown": _name(status="deleted"),
    "admin-code-number": _name(admin_code=331004106),
}.items():
    case(f"create-{cid}", "editor", "POST", "/api/names", 422, "请求参数不合法", json=body)
versions: dict[str, dict[str, Any]] = {
    "version-text": {"version": "abc", "reason": "x"},
    "version-float": {"version": 1.5, "reason": "x"},
    "version-zero": {"version": 0, "reason": "x"},
    "version-negative": {"version": -1, "reason": "x"},
    "version-huge": {"version": BIG, "reason": "x"},
    "version-list": {"version": [1], "reason": "x"},
}
for cid, body in versions.items():
    case(f"update-{cid}", "editor", "PATCH", "/api/names/1", 422, "version", json=body)

# ---- coordinates and geometries
for cid, geometry, status, msg in [
    ("nan", {"type": "Point", "coordinates": [float("nan"), 28.58]}, 422, "非有限数值"),
    ("inf", {"type": "Point", "coordinates": [float("inf"), 28.58]}, 422, "非有限数值"),
    ("neg-inf", {"type": "Point", "coordinates": [121.4, float("-inf")]}, 422, "非有限数值"),
    ("huge", {"type": "Point", "coordinates": [1e308, 1e308]}, 422, "不在中国范围内"),
    ("swapped", {"type": "Point", "coordinates": [28.58, 121.40]}, 422, "写反"),
    ("null-island", {"type": "Point", "coordinates": [0, 0]}, 422, "不在中国范围内"),
    ("outside-county", {"type": "Point", "coordinates": [116.39, 39.90]}, 422, "位置不在路桥区（331004）范围内"),
    ("text-coords", {"type": "Point", "coordinates": ["121.4", "28.58"]}, 422, "坐标应为数值"),
    ("bool-coords", {"type": "Point", "coordinates": [True, False]}, 422, "坐标应为数值"),
    ("one-coord", {"type": "Point", "coordinates": [121.4]}, 422, "[经度, 纬度]"),
    ("three-d", {"type": "Point", "coordinates": [121.4, 28.58, 5.0]}, 422, "Z 坐标"),
    ("nested-wrong", {"type": "Point", "coordinates": [[121.4, 28.58]]}, 422, "[经度, 纬度]"),
    ("nested-flat", {"type": "LineString", "coordinates": [121.4, 28.58]}, 422, "嵌套"),
    ("no-coords", {"type": "Point"}, 422, "嵌套"),
    ("empty-multi", {"type": "MultiPoint", "coordinates": []}, 422, "几何为空"),
    ("collection", {"type": "GeometryCollection", "geometries": [POINT]}, 422, "不支持的类型"),
    ("unknown-type", {"type": "Circle", "coordinates": [121.4, 28.58]}, 422, "不支持的类型"),
    ("no-type", {"coordinates": [121.4, 28.58]}, 422, "缺少 type"),
    ("type-object", {"type": {}, "coordinates": [121.4, 28.58]}, 422, "type 应为类型名称,如 Point"),
    ("type-list", {"type": ["Point"], "coordinates": [121.4, 28.58]}, 422, "type 应为类型名称,如 Point"),
    ("one-point-line", {"type": "LineString", "coordinates": [[121.4, 28.58]]}, 422, "两个坐标"),
    ("open-ring", _poly(SQUARE[:-1]), 422, "未闭合"),
    ("short-ring", _poly([[121.40, 28.58], [121.41, 28.58], [121.40, 28.58]]), 422, "四个坐标"),
    ("empty-polygon", {"type": "Polygon", "coordinates": []}, 422, "几何为空"),
    ("bowtie", _poly(BOWTIE), 422, "几何无效"),
    ("huge-polygon", _poly(HUGE_RING), 422, "超过本图层上限 20000"),
    ("huge-line", HUGE_LINE, 422, "超过本图层上限 20000"),
    ("3d-line", {"type": "LineString", "coordinates": [[121.40, 28.58, 1], [121.41, 28.59, 2]]}, 422, "Z 坐标"),
]:
    case(f"geometry-{cid}", "editor", "POST", "/api/names", status, msg, json=_geom(geometry))
    if cid in ("nan", "swapped", "open-ring", "three-d", "bowtie"):
        case(f"move-{cid}", "editor", "PATCH", "/api/names/1", status, msg, json={"version": 1, "geometry": geometry})
        edit = {"action": "create", "properties": {k: v for k, v in NAME.items() if k != "geometry"}}
        body = {"comment": "批量", "edits": [edit | {"geometry": geometry}]}
        case(f"changeset-{cid}", "editor", "POST", "/api/changesets", status, msg, json=body)
# JSON's NaN and Infinity literals (Python's parser takes them)
case(
    "geometry-nan-literal",
    "editor",
    "POST",
    "/api/names",
    422,
    "非有限数值",
    content=json.dumps(_geom({"type": "Point", "coordinates": [float("nan"), 28.58]})).encode(),
    headers={"Content-Type": "application/json"},
)
for cid, lon, lat, msg in [
    ("nan", float("nan"), 28.5, "非有限数值"),
    ("swapped", 28.5, 121.4, "写反"),
    ("outside", 0.0, 0.0, "不在中国范围内"),
]:
    body = {"facilities": [{"kind": "institution", "lon": lon, "lat": lat, "beds": 10}]}
    case(f"what-if-{cid}", "planner", "POST", "/api/coverage/what-if", 422, msg, json=body)
    case(
        f"admin-units-at-{cid}",
        "viewer",
        "GET",
        f"/api/names/admin-units-at?lon={lon}&lat={lat}",
        400,
        msg,
    )
case(
    "what-if-unknown-kind",
    "planner",
    "POST",
    "/api/coverage/what-if",
    422,
    "应为以下之一",
    json={"facilities": [{"kind": "<script>", "lon": 121.4, "lat": 28.58}]},
)
case(
    "what-if-too-many",
    "planner",
    "POST",
    "/api/coverage/what-if",
    422,
    "最多 500 项",
    json={"facilities": [{"kind": "institution", "lon": 121.4, "lat": 28.58}] * 501},
)

# ---- text: control, invisible and unencodable characters, markup and formulas
for cid, name, status, msg in [
    ("nul", "金清\x00大桥", 422, "控制字符"),
    ("bell", "金清\x07大桥", 422, "控制字符"),
    ("newline", "金清\n大桥", 422, "控制字符"),
    ("zero-width-space", "古\u200b岙村", 422, "不可见字符"),
    ("zero-width-joiner", "古\u200d岙村", 422, "不可见字符"),
    ("bom", "\ufeff金清大桥", 422, "不可见字符"),
    ("rtl-override", "金清\u202e大桥", 422, "不可见字符"),
    ("soft-hyphen", "金清\u00ad大桥", 422, "不可见字符"),
    ("hangul-filler", "金清\u3164大桥", 422, "不可见字符"),
    ("line-separator", "金清\u2028大桥", 422, "不可见字符"),
    ("noncharacter", "金清\ufffe大桥", 422, "非字符码位"),
    ("too-long", "桥" * 41, 422, "过长(最多 40 个字符)"),
    ("space", "金清 大桥", 422, "不能含空格"),
    ("full-width-space", "金清\u3000大桥", 422, "全角空格"),
    ("empty", "", 422, "不能为空"),
    ("markup", "<img src=x onerror=alert(1)>桥", 422, "不能含空格"),
    ("markup-nospace", "<script>alert(1)</script>桥", 422, "不符合地名规则"),
    ("formula", '=HYPERLINK("http://x")桥', 422, "不符合地名规则"),
    ("path", "../../etc/passwd桥", 422, "不符合地名规则"),
]:
    case(f"name-{cid}", "editor", "POST", "/api/names", status, msg, json=_name(name=name))
    if cid in ("nul", "zero-width-space", "bom"):
        case(f"rename-{cid}", "editor", "PATCH", "/api/names/1", status, msg, json={"version": 1, "name": name})
        case(f"check-{cid}", "editor", "POST", "/api/names/check", status, msg, json=_name(name=name))
case(
    "lone-surrogate-name",
    "editor",
    "POST",
    "/api/names",
    400,
    "无法编码",
    content=b'{"name": "\\ud800", "category": "settlement", "admin_code": "331004106", "geometry": '
    b'{"type": "Point", "coordinates": [121.4, 28.58]}}',
    headers={"Content-Type": "application/json"},
)
case(
    "lone-surrogate-search",
    "viewer",
    "POST",
    "/api/names/check",
    400,
    "无法编码",
    content=b'{"name": "\\udfff", "category": "settlement", "admin_code": "331004106"}',
    headers={"Content-Type": "application/json"},
)
case(
    "lone-surrogate-sign-in",
    None,
    "POST",
    "/api/auth/token",
    400,
    "无法编码",
    content=b'{"name": "\\ud83d", "password": "x"}',
    headers={"Content-Type": "application/json"},
)
case("origin-control", "editor", "POST", "/api/names", 422, "控制字符", json=_name(origin="来历\x1b[31m"))
case("origin-too-long", "editor", "POST", "/api/names", 422, "过长(最多 2000 个字符)", json=_name(origin="历" * 2001))
case("approval-ref-invisible", "editor", "POST", "/api/names", 422, "不可见字符", json=_name(approval_ref="文\u2060号"))
case("reason-control", "editor", "POST", "/api/names", 422, "控制字符", json=_name(reason="原因\x00"))

# ---- sizes
case("body-over-limit", "editor", "POST", "/api/names", 413, "请求体过大", json=_name(reason="理" * 600_000))
case("reason-5mb", "editor", "POST", "/api/names", 413, "请求体过大", json=_name(override_reason="x" * 5_000_000))
case("reason-over-500", "editor", "POST", "/api/names", 422, "最多 500 个字符", json=_name(reason="理" * 501))
case("override-over-500", "editor", "POST", "/api/names", 422, "最多 500 个字符", json=_name(override_reason="x" * 501))
case(
    "retire-reason-over-500",
    "editor",
    "POST",
    "/api/names/1/retire",
    422,
    "最多 500 个字符",
    json={"version": 1, "reason": "理" * 501},
)
case(
    "comment-2mb",
    "editor",
    "POST",
    "/api/changesets",
    413,
    "请求体过大",
    json={"comment": "c" * 2_000_000, "edits": [{"action": "retire", "id": 1, "version": 1}]},
)
case(
    "comment-over-500",
    "editor",
    "POST",
    "/api/changesets",
    422,
    "最多 500 个字符",
    json={"comment": "c" * 501, "edits": [{"action": "retire", "id": 1, "version": 1}]},
)
case(
    "changeset-3000-edits",
    "editor",
    "POST",
    "/api/changesets",
    422,
    "最多 1000 项",
    json={"comment": "批量", "edits": [{"action": "retire", "id": 1, "version": 1}] * 3000},
)
case("changeset-empty", "editor", "POST", "/api/changesets", 422, "至少 1 项", json={"comment": "批量", "edits": []})
case(
    "content-length-lies",
    "editor",
    "POST",
    "/api/names",
    413,
    "请求体过大",
    content=b"{}",
    headers={"Content-Type": "application/json", "Content-Length": "99999999999"},
)
case("search-241", "viewer", "GET", "/api/names?q=" + "a" * 241, 422, "最多 240 个字符")
case("search-4000", "viewer", "GET", "/api/names?q=" + "a" * 4000, 422, "最多 240 个字符")
case("search-30k", "viewer", "GET", "/api/names?q=" + "a" * 30_000, 422, "最多 240 个字符")
case("search-limit-0", "viewer", "GET", "/api/names?q=lu&limit=0", 422, "不能小于 1")
case("search-limit-huge", "viewer", "GET", f"/api/names?q=lu&limit={BIG}", 422, "不能大于 1000")
case("search-within-negative", "viewer", "GET", "/api/names?near=121.4,28.58&within_m=-1", 422, "应大于 0")
case("search-near-text", "viewer", "GET", "/api/names?near=abc", 400, "near 应为 经度,纬度")
case("search-near-three", "viewer", "GET", "/api/names?near=1,2,3", 400, "near 应为 经度,纬度")
case("search-near-nan", "viewer", "GET", "/api/names?near=nan,nan", 400, "非有限数值")
case("search-near-swapped", "viewer", "GET", "/api/names?near=28.58,121.4", 400, "写反")

# ---- huge and odd ids, offsets and limits
for url, status, msg in [
    (f"/api/names/{BIG}", 422, "不能大于"),
    (f"/api/names/{BIG * 1000}", 422, "不能大于"),
    ("/api/names/0", 422, "不能小于 1"),
    # a name's number is digits (the route takes no other path, so PATCH /api/names/subcategories is a 405)
    ("/api/names/-5", 404, "没有这个地址"),
    ("/api/names/1e3", 404, "没有这个地址"),
    ("/api/names/abc", 404, "没有这个地址"),
    (f"/api/names/{BIG}/history", 422, "不能大于"),
    (f"/api/layers/place_names/features/{BIG}", 422, "不能大于"),
    (f"/api/layers/place_names/features?offset={BIG}", 422, "不能大于"),
    ("/api/layers/place_names/features?offset=-1", 422, "不能小于 0"),
    (f"/api/layers/place_names/features?limit={BIG}", 422, "不能大于"),
    ("/api/layers/place_names/features?limit=0", 422, "不能小于 1"),
    (f"/ogc/collections/place_names/items?offset={BIG}", 422, "不能大于"),
    (f"/ogc/collections/place_names/items/{BIG}", 422, "不能大于"),
    ("/ogc/collections/place_names/items?limit=100000", 422, "不能大于 10000"),
    ("/api/names/999999", 404, "没有编号为 999999 的要素"),
    ("/api/layers/nope/features", 404, "没有图层“nope”"),
    ("/api/layers/../../etc/passwd", 404, "没有这个地址"),
    ("/ogc/collections/population/items", 404, "没有要素集合"),
    ("/api/layers/place_names/features?bbox=1,2,3", 400, "bbox"),
    ("/api/layers/place_names/features?bbox=a,b,c,d", 400, "bbox"),
    ("/api/layers/place_names/features?bbox=3,3,1e1,1", 400, "bbox"),
    ("/api/layers/place_names/features?bbox=nan,nan,nan,nan", 400, "bbox"),
    ("/api/layers/place_names/features?bbox=-inf,-inf,inf,inf", 400, "bbox"),
]:
    case(f"get-{url}", "viewer", "GET", url, status, msg)
case(
    "changeset-id-huge",
    "editor",
    "POST",
    "/api/changesets",
    422,
    "不能大于",
    json={"comment": "批量", "edits": [{"action": "retire", "id": BIG, "version": 1}]},
)
case(
    "changeset-version-huge",
    "editor",
    "POST",
    "/api/changesets",
    422,
    "不能大于",
    json={"comment": "批量", "edits": [{"action": "retire", "id": 1, "version": BIG}]},
)
case(
    "if-match-huge",
    "editor",
    "PATCH",
    "/api/names/1",
    400,
    "If-Match 应为所编辑的版本号",
    json={"origin": "x"},
    headers={"If-Match": f'"{BIG}"'},
)
case("check-exclude-huge", "editor", "POST", "/api/names/check", 422, "不能大于", json=_name(exclude_id=BIG))
case(
    "rename-date-bad",
    "editor",
    "PATCH",
    "/api/names/1",
    422,
    "应为日期 YYYY-MM-DD",
    json={"version": 1, "name": "新路桥街道", "on": "yesterday"},
)
case(
    "rename-date-future",
    "editor",
    "PATCH",
    "/api/names/1",
    422,
    "晚于今天",
    json={"version": 1, "name": "新路桥街道", "on": "2999-01-01"},
)
case(
    "retire-date-bad",
    "editor",
    "POST",
    "/api/names/1/retire",
    422,
    "应为日期 YYYY-MM-DD",
    json={"version": 1, "reason": "x", "on": "2024-13-45"},
)

# ---- unknown routes, methods, headers and roles
case("unknown-route", "viewer", "GET", "/api/nothing-here", 404, "没有这个地址")
case("unknown-subroute", "viewer", "GET", "/api/names/1/nothing", 404, "没有这个地址")
case("deadline-seconds", "editor", "GET", "/api/names/cleanup-report?deadline=0", 422, "deadline:应为日期 YYYY-MM-DD")
case("deadline-month-13", "editor", "GET", "/api/names/cleanup-report?deadline=2026-13-01", 422, "应为日期 YYYY-MM-DD")
case("delete-name", "editor", "DELETE", "/api/names/1", 405, "不支持这种请求方法")
case("put-name", "editor", "PUT", "/api/names/1", 405, "不支持这种请求方法", json=NAME)
case("bearer-empty", None, "GET", "/api/layers", 401, "Bearer", headers={"Authorization": "Bearer"})
case("basic-wrong", None, "GET", "/api/layers", 401, "用户名或密码不正确", headers={"Authorization": "Basic YTpi"})
case("basic-garbage", None, "GET", "/api/layers", 401, "HTTP Basic", headers={"Authorization": "Basic !!!"})
case("basic-no-colon", None, "GET", "/api/layers", 401, "HTTP Basic", headers={"Authorization": "Basic YWJj"})
case("digest-scheme", None, "GET", "/api/layers", 401, "Bearer", headers={"Authorization": "Digest x"})
case("token-unknown", None, "GET", "/api/layers", 401, "登录已失效", headers={"Authorization": "Bearer x" * 2000})
case("no-sign-in", None, "GET", "/api/names?q=lu", 401, "请先登录")
case("viewer-writes", "viewer", "POST", "/api/names", 403, "需要编辑", json=NAME)
case("planner-writes", "planner", "PATCH", "/api/names/1", 403, "需要编辑", json={"version": 1, "origin": "x"})
case(
    "editor-manages-users",
    "editor",
    "POST",
    "/api/users",
    403,
    "需要管理员",
    json={"name": "x", "role": "admin", "password": "longenough"},
)
case("viewer-analyses", "viewer", "GET", "/api/coverage", 403, "需要规划")
case("last-admin-demoted", "admin", "PATCH", "/api/users/管理员", 409, "唯一启用的管理员", json={"role": "viewer"})
case("last-admin-disabled", "admin", "PATCH", "/api/users/管理员", 409, "唯一启用的管理员", json={"disabled": True})
case(
    "user-name-slash",
    "admin",
    "POST",
    "/api/users",
    400,
    "不含空格、斜杠或冒号",
    json={"name": "../x", "role": "viewer", "password": "longenough"},
)
case(
    "user-name-long",
    "admin",
    "POST",
    "/api/users",
    422,
    "最多 40 个字符",
    json={"name": "x" * 41, "role": "viewer", "password": "longenough"},
)
case(
    "user-role-unknown",
    "admin",
    "POST",
    "/api/users",
    422,
    "应为以下之一",
    json={"name": "x", "role": "root", "password": "longenough"},
)
case(
    "user-password-short",
    "admin",
    "POST",
    "/api/users",
    422,
    "至少 8 个字符",
    json={"name": "x", "role": "viewer", "password": "short"},
)
case(
    "sign-in-huge-password",
    None,
    "POST",
    "/api/auth/token",
    422,
    "最多 1000 个字符",
    json={"name": "管理员", "password": "x" * 1001},
)
case("package-dotdot", "planner", "GET", "/api/boundary/lines/../package", 404, "没有这个地址")
case("package-unknown-line", "planner", "GET", "/api/boundary/lines/%2E%2E/package", 404, "")
case("suggest-count-huge", "planner", "GET", f"/api/coverage/suggest?count={BIG}", 422, "不能大于 20")
case("suggest-type-unknown", "planner", "GET", "/api/coverage/suggest?type=<x>", 422, "应为以下之一")


@pytest.mark.parametrize(("cid", "role", "method", "url", "kwargs", "status", "msg"), CASES, ids=[c[0] for c in CASES])
def test_hostile_request_is_refused_and_changes_nothing(
    api: TestClient,
    hostile_db: tuple[Path, dict[str, str]],
    cid: str,
    role: str | None,
    method: str,
    url: str,
    kwargs: dict[str, Any],
    status: int,
    msg: str,
) -> None:
    path, tokens = hostile_db
    before = store_digest(path)
    kwargs = dict(kwargs)
    headers = dict(kwargs.pop("headers", {}))
    if role is not None:
        headers = bearer(tokens[ROLES[role]]) | headers
    resp = api.request(method, url, headers=headers, **kwargs)
    assert resp.status_code == status, resp.text[:500]
    error = ErrorOut.model_validate(resp.json())  # the documented shape, whatever went wrong
    assert msg in error.message, error.message
    assert store_digest(path) == before
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_the_suite_is_large_enough() -> None:
    assert len(CASES) >= 150
