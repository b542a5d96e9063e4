"""The naming procedure: apply, accept, review, approve or refuse, announce, file — in order, dated, versioned."""

from __future__ import annotations

import datetime as dt

import pytest
from shapely.geometry import Point

from mzgis.errors import BadInput, Conflict, RuleViolation
from mzgis.gazetteer.procedure import Procedures
from mzgis.gazetteer.service import Gazetteer
from mzgis.store import Backend
from tests.outside import REFUSED, outside

TODAY = dt.date(2026, 11, 30)
BRIDGE = {
    "name": "金清大桥",
    "category": "transport_facility",
    "subcategory": "bridge",
    "admin_code": "331004106",
    "status": "proposed",
}


@pytest.fixture
def setup(demo_store: Backend) -> tuple[Gazetteer, Procedures, int]:
    gaz = Gazetteer(demo_store, today=lambda: TODAY)
    name = gaz.create(BRIDGE, Point(121.49, 28.525), user="地名科", reason="拟新建桥梁")
    return gaz, Procedures(gaz), name.id


def test_the_whole_procedure_in_order(setup: tuple[Gazetteer, Procedures, int], demo_store: Backend) -> None:
    _, proc, name_id = setup
    app = proc.apply(name_id, applicant="金清镇人民政府", reasons="新建跨金清港桥梁", user="地名科", on="2026-09-01")
    assert (app.properties["stage"], app.properties["name"], app.version) == ("applied", "金清大桥", 1)
    with pytest.raises(Conflict, match="已有办理中的申报"):
        proc.apply(name_id, applicant="x", reasons="y", user="地名科")
    with pytest.raises(Conflict, match=r"在申报环节,不能批准;可办理:accept\(受理\)、refuse\(不予批准\)"):
        proc.step(app.id, "approve", version=1, user="审批科", details={"approval_ref": "路政地〔2026〕1号"})
    a = proc.step(app.id, "accept", version=1, user="地名科", on="2026-09-03")
    assert (a.properties["stage"], a.properties["accepted_by"], a.version) == ("accepted", "地名科", 2)
    with pytest.raises(RuleViolation, match="论证须填写专家论证意见或征求意见结果"):
        proc.step(app.id, "review", version=2, user="地名科")
    with pytest.raises(RuleViolation, match="论证日期 2026-09-02 早于受理日期 2026-09-03"):
        proc.step(app.id, "review", version=2, user="地名科", on="2026-09-02", details={"expert_opinion": "同意"})
    r = proc.step(
        app.id, "review", version=2, user="地名科", on="2026-09-20",
        details={"expert_opinion": "专家一致同意", "public_comment": "公示 10 日无异议"},
    )  # fmt: skip
    assert r.properties["stage"] == "reviewed"
    with pytest.raises(Conflict):  # stale version: changes nothing
        proc.step(app.id, "approve", version=2, user="审批科", details={"approval_ref": "路政地〔2026〕7号"})
    approved = proc.step(
        app.id, "approve", version=3, user="审批科", on="2026-10-10", details={"approval_ref": "路政地〔2026〕7号"}
    )
    assert (approved.properties["stage"], approved.properties["approved_by"]) == ("approved", "审批科")
    name = demo_store.get("place_names", name_id)
    assert (name.properties["status"], name.properties["approval_ref"], name.properties["approved_on"]) == (
        "current",
        "路政地〔2026〕7号",
        "2026-10-10",
    )
    # the name and the step are one changeset
    last_two = demo_store.audit()[-2:]
    assert {e.layer for e in last_two} == {"place_names", "name_procedures"}
    assert last_two[0].changeset_id == last_two[1].changeset_id
    # 15 days after approval without an announcement: overdue
    assert [(f.id, days) for f, days in proc.overdue(today=TODAY)] == [(app.id, 51)]
    announced = proc.step(
        app.id, "announce", version=4, user="地名科", on="2026-11-20", details={"announcement_ref": "公告 2026-3"}
    )
    assert proc.overdue(today=TODAY) == [] and announced.properties["stage"] == "announced"
    filed = proc.step(app.id, "file", version=5, user="地名科", on="2026-11-25")
    assert filed.properties["stage"] == "filed" and filed.version == 6
    assert [e.reason for e in demo_store.audit(layer="name_procedures", feature_id=app.id)] == [
        "申报地名“金清大桥”",
        "受理:金清大桥",
        "论证:金清大桥",
        "批准地名“金清大桥”(路政地〔2026〕7号)",
        "公告:金清大桥",
        "备案:金清大桥",
    ]
    assert [f.id for f in proc.queue("filed")] == [app.id] == [f.id for f in proc.queue("备案")]  # as officers say it


def test_refusal_and_hostile_input(setup: tuple[Gazetteer, Procedures, int]) -> None:
    gaz, proc, name_id = setup
    app = proc.apply(name_id, applicant="某公司", reasons="以企业名称命名", user="地名科", on="2026-11-01")
    with pytest.raises(RuleViolation, match="不予批准须填写不予批准理由"):
        proc.step(app.id, "refuse", version=1, user="审批科")
    with pytest.raises(RuleViolation, match="日期 2026-12-01 晚于今天"):
        proc.step(app.id, "refuse", version=1, user="审批科", on="2026-12-01", details={"refusal_reason": "x"})
    with pytest.raises(RuleViolation, match="不予批准不需要这些字段:approval_ref"):
        proc.step(app.id, "refuse", version=1, user="审批科", details={"refusal_reason": "x", "approval_ref": "y"})
    with pytest.raises(BadInput, match="控制字符"):
        proc.step(app.id, "refuse", version=1, user="审批科", details={"refusal_reason": "含\x07字符"})
    refused = proc.step(
        app.id, "refuse", version=1, user="审批科", details={"refusal_reason": "以企业字号命名,违反第十条"}
    )
    assert refused.properties["stage"] == "refused"
    assert gaz.store.get("place_names", name_id).properties["status"] == "proposed"  # the name stays proposed
    with pytest.raises(Conflict, match=r"可办理:无\(已办结\)"):
        proc.step(app.id, "accept", version=2, user="地名科")
    again = proc.apply(name_id, applicant="金清镇人民政府", reasons="改名后重新申报", user="地名科")
    assert again.id != app.id  # a refused application is closed: a new one may start


def test_the_file_keeps_the_order_whatever_tool_writes(setup: tuple[Gazetteer, Procedures, int]) -> None:
    gaz, proc, name_id = setup
    app = proc.apply(name_id, applicant="金清镇", reasons="新建", user="地名科", on="2026-11-01")
    assert isinstance(gaz.store, Backend)
    with outside(gaz.store) as conn:  # as QGIS, sqlite3 or psql would
        with pytest.raises(REFUSED, match="受理须有受理日期"):  # no skipping steps
            conn.execute("UPDATE name_procedures SET stage = 'approved' WHERE id = ?", (app.id,))
        with pytest.raises(REFUSED, match="批准须有批准日期、文号和批准人"):
            conn.execute(
                "UPDATE name_procedures SET stage = 'approved', accepted_on = '2026-11-02', reviewed_on = '2026-11-03',"
                " expert_opinion = '同意' WHERE id = ?",
                (app.id,),
            )
        with pytest.raises(REFUSED, match="受理不能早于申报"):
            conn.execute(
                "UPDATE name_procedures SET stage = 'accepted', accepted_on = '2026-10-01' WHERE id = ?", (app.id,)
            )
