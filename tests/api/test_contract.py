"""The API's input types state what they check: each value a TextRule refuses breaks the pattern it puts in
the schema, and each value it takes matches it (the schemathesis run relies on this)."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from mzgis.api.contract import TextRule, accepted_spellings, layer_text
from mzgis.layers import LAYERS

PLACE_NAMES = LAYERS["place_names"]


class _Form(BaseModel):
    name: Annotated[str, layer_text(PLACE_NAMES, "name", spaces=False)]
    reason: Annotated[str, TextRule(20, required=True, multiline=True)] = "原因"
    note: Annotated[str, TextRule(10)] | None = None


SCHEMA = _Form.model_json_schema()["properties"]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("name", "路南街道", None),
        ("name", "", "不能为空"),
        ("name", "路南 街道", "不能含空格"),
        ("name", "路南\u3000街道", "含全角空格"),
        ("name", "古\u200b岙村", "含不可见字符(U+200B ZERO WIDTH SPACE,在第 1 个字“古”之后)"),
        ("name", "桥" * 41, "过长(最多 40 个字符)"),
        ("reason", "第一行\n第二行\t完", None),
        ("reason", "  \n ", "不能为空"),
        ("reason", "原因\x00", "含控制字符(U+0000,在第 2 个字“因”之后)"),
        ("note", "", None),
        ("note", "a\u2028b", "含不可见字符(U+2028 LINE SEPARATOR,在第 1 个字“a”之后)"),
    ],
)
def test_a_text_rule_checks_what_its_pattern_states(field: str, value: str, problem: str | None) -> None:
    pattern, longest = SCHEMA[field].get("pattern") or SCHEMA[field]["anyOf"][0]["pattern"], 40
    stated = bool(re.fullmatch(pattern, value)) and len(value) <= SCHEMA[field].get("maxLength", longest)
    try:
        _Form.model_validate({"name": "路南街道"} | {field: value})
        found = None
    except ValidationError as exc:
        found = str(exc.errors()[0]["ctx"]["error"])
    assert found == problem
    assert stated == (problem is None)


def test_a_choice_field_takes_its_codes_chinese_names_and_everyday_words() -> None:
    kinds = accepted_spellings(LAYERS["eldercare_facilities"], "kind")
    assert kinds[:3] == ("institution", "home_care_centre", "day_care_station")
    assert {"养老机构", "敬老院", "日间照料中心"} <= set(kinds)
    rule = layer_text(PLACE_NAMES, "category")
    assert rule.check("群众自治组织") == "群众自治组织" and rule.check("self_governing_org") == "self_governing_org"
    with pytest.raises(ValueError, match="应为以下之一:administrative_area、self_governing_org"):
        rule.check("castle")
    code = layer_text(PLACE_NAMES, "admin_code")
    assert code.check("331004106") == "331004106"
    with pytest.raises(ValueError, match=r"格式不对\(应为 6、9 或 12 位数字\)"):
        code.check("３３１００４")  # full-width digits: a code is ASCII, as the store's SQL checks it
