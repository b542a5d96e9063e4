"""The 地名公告 read back as its reader opens it (python-docx): the six elements of each name, the number,
特此公告, the issuer and the date at the right on their own lines; produced again after the 公告 step."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from shapely.geometry import LineString, Point

from mzgis.errors import BadInput, Conflict
from mzgis.gazetteer.procedure import Procedures
from mzgis.gazetteer.service import Gazetteer
from mzgis.io.announcement import announce
from mzgis.io.document import to_docx, to_html
from mzgis.store import Backend

TODAY = dt.date(2026, 11, 30)
ROAD = {"category": "transport_facility", "subcategory": "road", "admin_code": "331004106"}


def _approved(proc: Procedures, name_id: int, ref: str) -> int:
    app = proc.apply(name_id, applicant="金清镇人民政府", reasons="新建道路", user="地名科", on="2026-09-01")
    proc.step(app.id, "accept", version=1, user="地名科", on="2026-09-02")
    proc.step(app.id, "review", version=2, user="地名科", on="2026-09-10", details={"expert_opinion": "同意"})
    proc.step(app.id, "approve", version=3, user="审批科", on="2026-09-20", details={"approval_ref": ref})
    return app.id


@pytest.fixture
def proc(demo_store: Backend) -> Procedures:
    gaz = Gazetteer(demo_store, today=lambda: TODAY)
    # 东环路 runs north and south through the eastern end of the road to be named
    gaz.create(
        ROAD | {"name": "东环路", "status": "current"}, LineString([(121.5, 28.52), (121.5, 28.53)]), user="地名科"
    )
    return Procedures(gaz)


def _read(doc_bytes: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(doc_bytes))


def test_the_announcement_holds_every_element_and_ends_as_published(proc: Procedures) -> None:
    gaz = proc.gazetteer
    road = gaz.create(ROAD | {"name": "金清大道", "status": "proposed"},
                      LineString([(121.48, 28.525), (121.50, 28.525)]), user="地名科")  # fmt: skip
    bridge = gaz.create(
        {"name": "金清大桥", "category": "transport_facility", "subcategory": "bridge", "admin_code": "331004106",
         "status": "proposed", "description": "跨金清港,连接友谊村与汝泉村"},
        Point(121.49, 28.525), user="地名科",
    )  # fmt: skip
    _approved(proc, road.id, "路政地〔2026〕7号")
    _approved(proc, bridge.id, "路政地〔2026〕7号")
    doc, count = announce(proc, issuer="台州市路桥区人民政府", number="路政地公〔2026〕1号", day=dt.date(2026, 10, 1))
    assert count == 2
    word = _read(to_docx(doc))
    paragraphs = [p for p in word.paragraphs if p.text.strip()]
    assert paragraphs[0].text == "台州市路桥区人民政府关于“金清大道”等 2 条标准地名的公告"
    assert (paragraphs[1].text, paragraphs[1].alignment) == ("路政地公〔2026〕1号", WD_ALIGN_PARAGRAPH.CENTER)
    assert "经台州市路桥区人民政府批准(路政地〔2026〕7号)" in paragraphs[2].text
    header = [c.text for c in word.tables[0].rows[0].cells]
    for element in ("标准名称", "罗马字母拼写", "所属政区", "位置描述", "批准机关", "批准时间"):
        assert element in header
    rows = [dict(zip(header, (c.text for c in r.cells), strict=True)) for r in word.tables[0].rows[1:]]
    assert rows[0] == {
        "序号": "1", "标准名称": "金清大道", "罗马字母拼写": "Jinqing Dadao", "地名类别": "交通运输设施",
        "所属政区": "路桥区金清镇", "位置描述": "东起东环路,西至金清镇大浦村,长约 1,960 米",
        "批准机关": "台州市路桥区人民政府", "批准文号": "路政地〔2026〕7号", "批准时间": "2026年9月20日",
    }  # fmt: skip
    assert rows[1]["位置描述"] == "跨金清港,连接友谊村与汝泉村"  # the officer's own description wins
    closing = [(p.text, p.alignment) for p in paragraphs[-3:]]
    assert closing == [
        ("特此公告。", None),
        ("台州市路桥区人民政府", WD_ALIGN_PARAGRAPH.RIGHT),
        ("2026年10月1日", WD_ALIGN_PARAGRAPH.RIGHT),
    ]
    html = to_html(doc)
    assert '<p style="text-align:right">2026年10月1日</p>' in html


def test_one_name_is_not_counted_and_an_announced_one_is_reprinted_under_its_number(proc: Procedures) -> None:
    gaz = proc.gazetteer
    road = gaz.create(ROAD | {"name": "金清大道", "status": "proposed"},
                      LineString([(121.48, 28.525), (121.50, 28.525)]), user="地名科")  # fmt: skip
    pid = _approved(proc, road.id, "路政地〔2026〕7号")
    first, _ = announce(proc, issuer="台州市路桥区人民政府", day=dt.date(2026, 10, 1))
    assert _read(to_docx(first)).paragraphs[0].text == "台州市路桥区人民政府关于“金清大道”标准地名的公告"
    proc.step(pid, "announce", version=4, user="地名科", on="2026-10-01",
              details={"announcement_ref": "路政地公〔2026〕1号"})  # fmt: skip
    with pytest.raises(Conflict, match="没有可公告的已批准地名"):
        announce(proc, issuer="台州市路桥区人民政府", day=dt.date(2026, 12, 1))  # none waiting
    again, count = announce(proc, str(pid), issuer="台州市路桥区人民政府", day=dt.date(2026, 12, 1))
    texts = [p.text for p in _read(to_docx(again)).paragraphs if p.text.strip()]
    assert count == 1 and texts[1] == "路政地公〔2026〕1号"  # the number it was announced under
    assert texts[-1] == "(本件为重印件,原公告日期 2026-10-01)"
    assert proc.get(pid).properties["stage"] == "announced" and proc.get(pid).version == 5  # left as it was


def test_an_issuer_that_is_not_text_is_refused(proc: Procedures) -> None:
    with pytest.raises(BadInput, match="发布机关"):
        announce(proc, issuer="路桥区\x07人民政府", day=TODAY)


def test_the_filing_register_states_approval_announcement_and_filing(proc: Procedures, tmp_path: Path) -> None:
    import openpyxl

    from mzgis.io.announcement import filing_register
    from mzgis.io.tables import write_table

    gaz = proc.gazetteer
    road = gaz.create(ROAD | {"name": "金清大道", "status": "proposed"},
                      LineString([(121.48, 28.525), (121.50, 28.525)]), user="地名科")  # fmt: skip
    pid = _approved(proc, road.id, "路政地〔2026〕7号")
    with pytest.raises(Conflict, match="没有已公告待备案或已备案的地名"):
        filing_register(proc)
    with pytest.raises(Conflict, match="只有已公告的地名可以备案:金清大道"):
        filing_register(proc, str(pid))
    proc.step(pid, "announce", version=4, user="地名科", on="2026-10-01",
              details={"announcement_ref": "路政地公〔2026〕1号"})  # fmt: skip
    table = filing_register(proc)
    assert table.to_dict("records") == [
        {"序号": 1, "标准名称": "金清大道", "罗马字母拼写": "Jinqing Dadao", "地名类别": "交通运输设施",
         "所属政区": "路桥区金清镇", "位置描述": "东起东环路,西至金清镇大浦村,长约 1,960 米",
         "批准机关": "路桥区人民政府", "批准文号": "路政地〔2026〕7号", "批准时间": "2026年9月20日",
         "公告文号": "路政地公〔2026〕1号", "公告时间": "2026年10月1日", "备案文号": "", "备案时间": ""}
    ]  # fmt: skip
    out = tmp_path / "备案.xlsx"
    write_table(table, out, sheet="地名备案登记")
    sheet = openpyxl.load_workbook(out)["地名备案登记"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(row for row in values if "标准名称" in row)
    assert header[-4:] == ["公告文号", "公告时间", "备案文号", "备案时间"]
    assert any("金清大道" in row for row in values)
