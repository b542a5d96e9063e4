"""The naming procedure over HTTP: roles per step, documents checked by content, the announcement."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mzgis.api import create_app
from mzgis.settings import Settings
from tests.api.test_names import BRIDGE
from tests.conftest import bearer


@pytest.fixture
def client(demo_db: Path | str, db_tokens: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=demo_db, _env_file=None)), headers=bearer(db_tokens["地名科"])) as c:
        yield c


def test_roles_steps_documents_and_announcement(client: TestClient, db_tokens: dict[str, str]) -> None:
    name = client.post("/api/names", json=BRIDGE | {"status": "proposed", "reason": "拟建"}).json()
    app = client.post(
        "/api/procedures",
        json={"name_id": name["id"], "applicant": "金清镇人民政府", "reasons": "新建桥梁", "on": "2026-09-01"},
    )
    assert app.status_code == 201, app.text
    pid = app.json()["id"]
    viewer = bearer(db_tokens["查看员"])
    assert (
        client.post(f"/api/procedures/{pid}/steps", json={"step": "accept", "version": 1}, headers=viewer).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/procedures/{pid}/steps", json={"step": "accept", "version": 1, "on": "2026-09-02"}
        ).status_code
        == 200
    )
    review = {"step": "review", "version": 2, "on": "2026-09-20", "expert_opinion": "同意"}
    assert client.post(f"/api/procedures/{pid}/steps", json=review).status_code == 200
    approve = {"step": "approve", "version": 3, "on": "2026-10-01", "approval_ref": "路政地〔2026〕7号"}
    by_editor = client.post(f"/api/procedures/{pid}/steps", json=approve)
    assert by_editor.status_code == 403 and "此操作需要审批或以上权限" in by_editor.json()["message"]
    done = client.post(f"/api/procedures/{pid}/steps", json=approve, headers=bearer(db_tokens["审批科"]))
    assert done.status_code == 200 and done.json()["properties"]["approved_by"] == "审批科"
    assert client.get(f"/api/names/{name['id']}").json()["properties"]["status"] == "current"
    stale = client.post(f"/api/procedures/{pid}/steps", json={"step": "announce", "version": 3})
    assert stale.status_code == 409
    queue = client.get("/api/procedures", params={"stage": "approved"}, headers=viewer).json()
    assert [f["properties"]["name"] for f in queue] == ["金清大桥"]
    overdue = client.get("/api/procedures/overdue").json()
    assert overdue[0]["application"]["id"] == pid and overdue[0]["days_since_approval"] > 15

    # documents: kept by content, whatever the name says
    pdf = b"%PDF-1.4\n% scan of the application\n"
    added = client.post(
        f"/api/procedures/{pid}/documents",
        json={"filename": "../../申请书.pdf", "content_base64": base64.b64encode(pdf).decode(), "note": "申请书"},
    )
    assert added.status_code == 201, added.text
    assert (added.json()["filename"], added.json()["bytes"]) == ("申请书.pdf", len(pdf))  # no path from the name
    fake = client.post(
        f"/api/procedures/{pid}/documents",
        json={"filename": "批复.pdf", "content_base64": base64.b64encode(b"MZ\x90\x00 not a pdf").decode()},
    )
    assert fake.status_code == 400 and "附件应为 PDF、JPG、PNG 或 Word" in fake.json()["message"]
    listed = client.get(f"/api/procedures/{pid}/documents", headers=viewer).json()
    assert [d["note"] for d in listed] == ["申请书"]
    got = client.get(f"/api/procedures/{pid}/documents/{listed[0]['id']}", headers=viewer)
    assert got.content == pdf and got.headers["content-type"] == "application/pdf"

    # the announcement of the approved names, as Word
    word = client.get("/api/procedures/announcement", params={"issuer": "台州市路桥区人民政府"})
    assert word.status_code == 200, word.text
    import docx

    document = docx.Document(io.BytesIO(word.content))
    assert document.paragraphs[0].text == "台州市路桥区人民政府关于“金清大桥”标准地名的公告"
    row = [c.text for c in document.tables[0].rows[1].cells]
    assert row[:3] == ["1", "金清大桥", "Jinqing Daqiao"] and "路政地〔2026〕7号" in row
    announce = {"step": "announce", "version": 4, "announcement_ref": "路政地公〔2026〕1号"}
    assert client.post(f"/api/procedures/{pid}/steps", json=announce).status_code == 200
    empty = client.get("/api/procedures/announcement")
    assert empty.status_code == 409 and "没有可公告的已批准地名" in empty.json()["message"]
    # announced: in the filing register, as XLSX; the announcement can be printed again
    filing = client.get("/api/procedures/filing")
    assert filing.status_code == 200 and filing.content[:2] == b"PK", filing.text
    import openpyxl

    cells = [c.value for row in openpyxl.load_workbook(io.BytesIO(filing.content)).active.iter_rows() for c in row]
    assert "金清大桥" in cells and "路政地公〔2026〕1号" in cells
    again = client.get("/api/procedures/announcement", params={"ids": str(pid), "format": "html"})
    assert again.status_code == 200 and "路政地公〔2026〕1号" in again.text and "重印件" in again.text
