"""Spellings kept on purpose: the reason recorded, the spelling kept through later saves and silent in the
clean-up report; withdrawn, the rules spell the name again."""

from __future__ import annotations

import pytest

from mzgis.errors import BadInput, Conflict
from mzgis.gazetteer.service import Gazetteer
from mzgis.gazetteer.spellings import exception_of, keep_spelling, standard_spelling
from mzgis.store import Backend


def _mismatch(gaz: Gazetteer, fid: int) -> list[str]:
    found = dict((f.id, fs) for f, fs in gaz.check_all())
    return [x.message for x in found.get(fid, []) if x.rule == "spelling_mismatch"]


def test_a_kept_spelling_is_recorded_kept_and_not_flagged(demo_store: Backend) -> None:
    gaz = Gazetteer(demo_store)
    (name,) = demo_store.features("place_names", where={"name": "路南街道"})
    assert name.properties["romanized"] == "Lunan Jiedao"
    kept = keep_spelling(gaz, name.id, "Lunan Subdistrict", reason="外事部门对外使用的译名", expected_version=name.version,
                         user="地名科")  # fmt: skip
    assert kept.properties["romanized"] == "Lunan Subdistrict" and kept.version == name.version + 1
    recorded = exception_of(demo_store, name.id)
    assert recorded is not None and recorded["reason"] == "外事部门对外使用的译名"
    assert gaz.history(name.id)[-1].reason == "拼写例外:外事部门对外使用的译名"
    assert _mismatch(gaz, name.id) == []  # recorded: not a finding
    again = gaz.update(name.id, {"origin": "因位于路桥南部得名"}, expected_version=kept.version, user="地名科")
    assert again.properties["romanized"] == "Lunan Subdistrict"  # a later save keeps it
    back = standard_spelling(gaz, name.id, reason="统一按标准拼写", expected_version=again.version, user="地名科")
    assert back.properties["romanized"] == "Lunan Jiedao" and exception_of(demo_store, name.id) is None


def test_a_spelling_without_reason_or_with_a_stale_version_records_nothing(demo_store: Backend) -> None:
    gaz = Gazetteer(demo_store)
    (name,) = demo_store.features("place_names", where={"name": "路南街道"})
    with pytest.raises(BadInput, match="必须说明理由"):
        keep_spelling(gaz, name.id, "Lunan Subdistrict", reason=" ", expected_version=name.version, user="地名科")
    with pytest.raises(BadInput, match="只能含拉丁字母"):
        keep_spelling(gaz, name.id, "路南 Subdistrict", reason="x", expected_version=name.version, user="地名科")
    with pytest.raises(Conflict):
        keep_spelling(
            gaz, name.id, "Lunan Subdistrict", reason="译名", expected_version=name.version + 5, user="地名科"
        )
    assert exception_of(demo_store, name.id) is None  # refused: nothing recorded
    assert demo_store.get("place_names", name.id).properties["romanized"] == "Lunan Jiedao"


def test_a_spelling_typed_in_another_tool_without_a_reason_is_still_a_finding(demo_store: Backend) -> None:
    from tests.outside import outside

    gaz = Gazetteer(demo_store)
    (name,) = demo_store.features("place_names", where={"name": "路南街道"})
    with outside(demo_store) as tool:
        tool.execute("UPDATE place_names SET romanized = ? WHERE id = ?", ["Lunan Subdistrict", name.id])
    assert _mismatch(gaz, name.id) == ["罗马字母拼写“Lunan Subdistrict”不是标准拼写,应为“Lunan Jiedao”"]
