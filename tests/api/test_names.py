from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient

from mzgis.api import create_app
from mzgis.api.models import ErrorOut, FeatureOut
from mzgis.api.routes.names import CheckOut, HistoryOut, SearchHitOut
from mzgis.settings import Settings
from tests.conftest import bearer

BRIDGE: dict[str, Any] = {
    "name": "金清大桥",
    "category": "transport_facility",
    "subcategory": "bridge",
    "admin_code": "331004106",
    "geometry": {"type": "Point", "coordinates": [121.49, 28.525]},
}


@pytest.fixture
def client(demo_db: Path | str, db_tokens: dict[str, str]) -> Iterator[TestClient]:
    settings = Settings(db=demo_db, _env_file=None)
    with TestClient(create_app(settings), headers=bearer(db_tokens["地名科"])) as c:
        c.tokens = db_tokens  # type: ignore[attr-defined]
        yield c


def test_search(client: TestClient) -> None:
    hits = [SearchHitOut.model_validate(x) for x in client.get("/api/names", params={"q": "lnjd"}).json()]
    assert [(h.name, h.matched, h.romanized) for h in hits] == [("路南街道", "initials", "Lunan Jiedao")]
    near = client.get("/api/names", params={"near": f"{hits[0].lon},{hits[0].lat}", "limit": 1}).json()
    assert near[0]["name"] == "路南街道" and near[0]["distance_m"] == 0.0
    listed = client.get("/api/names", params={"township": "331004106", "status": "current", "limit": 3}).json()
    assert [h["matched"] for h in listed] == ["listed"] * 3
    assert all(h["admin_code"].startswith("331004106") and h["status"] == "current" for h in listed)
    assert [h["romanized"] for h in listed] == sorted(h["romanized"] for h in listed)  # in pinyin order


def test_subcategories_in_chinese_with_their_generics(client: TestClient) -> None:
    subs = {s["code"]: s for s in client.get("/api/names/subcategories").json()}
    assert subs["bridge"] == {"code": "bridge", "label_zh": "桥梁", "generics": ["桥", "大桥"]}
    assert subs["village"]["label_zh"] == "村" and subs["county"]["generics"] == []
    # every subcategory the rules narrow generics for has a Chinese name
    from mzgis.gazetteer.rules import load_rules

    assert set(load_rules().subcategory_generics) <= set(subs)


def test_admin_units_at_a_point(client: TestClient) -> None:
    units = client.get("/api/names/admin-units-at", params={"lon": 121.49, "lat": 28.525}).json()
    assert [(u["code"], u["name"], u["level"]) for u in units] == [
        ("331004106255", "友谊村", "village"),
        ("331004106", "金清镇", "township"),
        ("331004", "路桥区", "county"),
    ]
    assert client.get("/api/names/admin-units-at", params={"lon": 122.5, "lat": 28.5}).json() == []  # at sea
    swapped = client.get("/api/names/admin-units-at", params={"lon": 28.525, "lat": 121.49})
    assert swapped.status_code == 400 and "写反" in swapped.json()["message"]


def test_check_without_saving(client: TestClient) -> None:
    body = {"name": "方林村", "category": "self_governing_org", "admin_code": "331004001"}
    out = CheckOut.model_validate(client.post("/api/names/check", json=body).json())
    assert out.romanized == "Fanglin Cun"
    assert [(f.rule, f.severity) for f in out.findings] == [("duplicate", "error"), ("near_duplicate", "warning")]
    street = {"name": "解放东路", "category": "transport_facility", "admin_code": "331004001", "subcategory": "road"}
    out = CheckOut.model_validate(client.post("/api/names/check", json=street).json())
    assert out.romanized == "Jiefang Donglu"  # the 1984 rules: 东 joins the generic it modifies
    assert out.words == [("解放", "Jiefang"), ("东路", "Donglu")] and (out.specific, out.generic) == ("解放东", "路")


def test_create_read_update_with_if_match_history(client: TestClient) -> None:
    resp = client.post("/api/names", json=BRIDGE | {"reason": "新建"})
    assert resp.status_code == 201 and resp.headers["ETag"] == '"1"'
    created = FeatureOut.model_validate(resp.json())
    assert created.properties["romanized"] == "Jinqing Daqiao" and created.properties["updated_by"] == "地名科"
    url = f"/api/names/{created.id}"
    assert client.get(url).headers["ETag"] == '"1"'
    renamed = client.patch(url, json={"name": "金清桥", "reason": "简化"}, headers={"If-Match": '"1"'})
    assert renamed.status_code == 200 and renamed.json()["properties"]["name"] == "金清桥"
    history = [HistoryOut.model_validate(x) for x in client.get(f"{url}/history").json()]
    assert [(h.version, h.action, h.changed_by, h.reason) for h in history] == [
        (1, "insert", "地名科", "新建"),
        (2, "update", "地名科", "简化"),
    ]
    assert history[1].before is not None and history[1].before["name"] == "金清大桥"


def test_stale_save_is_409_with_who_changed_it(client: TestClient) -> None:
    fid = client.post("/api/names", json=BRIDGE).json()["id"]
    assert (
        client.patch(
            f"/api/names/{fid}",
            json={"version": 1, "origin": "甲说"},
            headers=bearer(client.tokens["王五"]),  # type: ignore[attr-defined]
        ).status_code
        == 200
    )
    stale = client.patch(f"/api/names/{fid}", json={"version": 1, "origin": "乙说"})
    assert stale.status_code == 409
    err = ErrorOut.model_validate(stale.json())
    assert err.details["current_version"] == 2 and err.details["updated_by"] == "王五"
    assert client.get(f"/api/names/{fid}").json()["properties"]["origin"] == "甲说"


def test_update_needs_a_version(client: TestClient) -> None:
    fid = client.post("/api/names", json=BRIDGE).json()["id"]
    resp = client.patch(f"/api/names/{fid}", json={"origin": "x"})
    assert resp.status_code == 428 and resp.json()["error"] == "version_required"
    assert resp.json()["message"] == "修改需要提供所编辑的版本号(请求头 If-Match 或请求体 version)"
    assert client.patch(f"/api/names/{fid}", json={"origin": "x"}, headers={"If-Match": ""}).status_code == 428
    garbled = client.patch(f"/api/names/{fid}", json={"origin": "x"}, headers={"If-Match": "v1"})
    assert garbled.status_code == 400 and garbled.json()["message"] == 'If-Match 应为所编辑的版本号,如 "3"'
    assert client.get(f"/api/names/{fid}").json()["properties"]["version"] == 1


def test_retire_and_restore(client: TestClient) -> None:
    fid = client.post("/api/names", json=BRIDGE).json()["id"]
    retired = client.post(f"/api/names/{fid}/retire", json={"version": 1, "reason": "拆除", "on": "2026-01-02"})
    assert retired.json()["properties"]["status"] == "retired"
    restored = client.post(f"/api/names/{fid}/restore", json={"reason": "重建"}, headers={"If-Match": "2"})
    assert restored.json()["properties"]["status"] == "current" and restored.json()["properties"]["version"] == 3


def test_rule_violation_is_422_with_findings(client: TestClient) -> None:
    resp = client.post("/api/names", json=BRIDGE | {"name": "环球大桥"})
    assert resp.status_code == 422
    err = ErrorOut.model_validate(resp.json())
    assert [f["rule"] for f in err.details["findings"]] == ["exaggeration"]
    ok = client.post("/api/names", json=BRIDGE | {"name": "环球大桥", "override_reason": "历史名称,暂保留"})
    assert ok.status_code == 201


@pytest.mark.parametrize(
    ("change", "kind", "message"),
    [  # what the schema states is refused as malformed; what only the register knows, as a rule
        ({"name": ""}, "bad_input", "name:不能为空"),
        ({"name": "金清\u3000大桥"}, "bad_input", "name:含全角空格"),
        ({"name": "桥" * 41}, "bad_input", "name:过长(最多 40 个字符)"),
        ({"admin_code": "３３１００４１０６"}, "bad_input", "admin_code:格式不对(应为 6、9 或 12 位数字)"),
        ({"admin_code": "331004999"}, "rule_violation", "所在区划代码 331004999 不存在"),
        ({"geometry": {"type": "Point", "coordinates": [116.4, 39.9]}}, "rule_violation", "不在路桥区（331004）范围内"),
        ({"category": "castle"}, "bad_input", "category:应为以下之一:administrative_area、"),
        ({"geometry": {"type": "Pt"}}, "bad_input", "geometry:几何不是有效的 GeoJSON:不支持的类型“Pt”"),
    ],
)
def test_bad_input_is_4xx_and_saves_nothing(
    client: TestClient, change: dict[str, Any], kind: str, message: str
) -> None:
    before = client.get("/api/layers/place_names").json()["count"]
    resp = client.post("/api/names", json=BRIDGE | change)
    assert resp.status_code == 422 and resp.json()["error"] == kind and message in resp.json()["message"]
    assert client.get("/api/layers/place_names").json()["count"] == before


def test_changeset_all_or_nothing(client: TestClient) -> None:
    before = client.get("/api/layers/place_names").json()["count"]
    good: dict[str, Any] = {
        "action": "create",
        "properties": {k: v for k, v in BRIDGE.items() if k != "geometry"},
        "geometry": BRIDGE["geometry"],
    }
    bad = good | {"properties": good["properties"] | {"name": "曼哈顿大桥"}}
    resp = client.post("/api/changesets", json={"comment": "两座桥", "edits": [good, bad]})
    assert resp.status_code == 422
    assert client.get("/api/layers/place_names").json()["count"] == before
    second = good | {"properties": good["properties"] | {"name": "金清二桥"}}
    resp = client.post("/api/changesets", json={"comment": "两座桥", "edits": [good, second]})
    assert resp.status_code == 201 and [f["properties"]["name"] for f in resp.json()] == ["金清大桥", "金清二桥"]
    assert client.get("/api/layers/place_names").json()["count"] == before + 2


def test_unknown_name_is_404(client: TestClient) -> None:
    assert client.get("/api/names/99999").status_code == 404
    assert client.get("/api/names/99999/history").status_code == 404


def test_names_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/names",
        "/api/names/{fid}",
        "/api/names/{fid}/history",
        "/api/names/check",
        "/api/names/{fid}/retire",
        "/api/names/{fid}/restore",
        "/api/changesets",
    } <= set(paths)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg"])
def test_export_the_gazetteer(client: TestClient, tmp_path: Path, fmt: str) -> None:
    resp = client.get("/api/names/export", params={"format": fmt})
    assert resp.status_code == 200
    assert (
        resp.headers["content-disposition"].endswith(f".{fmt}")
        and "UTF-8''%E6%A0%87%E5%87%86" in resp.headers["content-disposition"]
    )
    path = tmp_path / f"names.{fmt}"
    path.write_bytes(resp.content)
    if fmt == "csv":
        frame = pd.read_csv(path, encoding="utf-8-sig")
        names = frame["标准名称 name"]
    elif fmt == "xlsx":
        names = pd.read_excel(path)["标准名称 name"]
    else:
        names = pyogrio.read_dataframe(path)["name"]
    assert "路南街道" in set(names) and len(names) == client.get("/api/layers/place_names").json()["count"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_the_census_exchange(client: TestClient, tmp_path: Path, fmt: str) -> None:
    resp = client.get("/api/names/export", params={"format": fmt, "census": "true"})
    assert resp.status_code == 200 and resp.headers["content-disposition"].endswith(f".{fmt}")
    assert "UTF-8''%E5%9C%B0%E5%90%8D%E6%99%AE%E6%9F%A5" in resp.headers["content-disposition"]  # 地名普查
    path = tmp_path / f"census.{fmt}"
    path.write_bytes(resp.content)
    table = pd.read_csv(path, dtype=str) if fmt == "csv" else pd.read_excel(path, dtype=str)
    row = table[table["标准名称"] == "三新社区"].iloc[0]
    assert (row["类别名称"], row["地名类别代码"], row["坐标系"]) == ("群众自治组织", "21620", "CGCS2000")


def test_the_census_exchange_is_csv_or_xlsx_only(client: TestClient) -> None:
    resp = client.get("/api/names/export", params={"format": "geojson", "census": "true"})
    assert resp.status_code == 422 and resp.json()["error"] == "rule_violation"
    assert resp.json()["message"] == "普查交换格式只能导出为 CSV 或 XLSX,不是“.geojson”"


def test_cleanup_report_download(client: TestClient, tmp_path: Path) -> None:
    resp = client.get("/api/names/cleanup-report")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    path = tmp_path / "report.xlsx"
    path.write_bytes(resp.content)
    table = pd.read_excel(path, sheet_name="不规范地名清理", header=2)  # below the title and 填报单位
    assert len(table) > 0 and "编号" in table.columns
    anonymous = client.get("/api/names/cleanup-report", headers={"Authorization": ""})
    assert anonymous.status_code == 401


def test_revert_over_http(client: TestClient) -> None:
    made = client.post("/api/names", json=BRIDGE).json()
    fid = made["id"]
    renamed = client.patch(f"/api/names/{fid}", json={"version": 1, "name": "金清桥", "reason": "简化"})
    assert renamed.status_code == 200
    missing = client.post(f"/api/names/{fid}/revert", json={"version": 2, "to_version": 1})
    assert missing.status_code == 422  # a reason is required
    back = client.post(f"/api/names/{fid}/revert", json={"version": 2, "to_version": 1, "reason": "未获批准"})
    assert (
        back.status_code == 200
        and back.json()["properties"]["name"] == "金清大桥"
        and back.json()["properties"]["version"] == 3
    )
    stale = client.post(f"/api/names/{fid}/revert", json={"version": 2, "to_version": 1, "reason": "过期"})
    assert stale.status_code == 409
