from __future__ import annotations

import re
from pathlib import Path

import pytest

from mzgis.text import (
    clean_text,
    inside,
    plain_name_problem,
    refused_class,
    safe_cell,
    safe_filename,
    text_problem,
)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("古\u200b岙村", "含不可见字符(U+200B ZERO WIDTH SPACE,在第 1 个字“古”之后)"),
        ("\u200b古岙村", "含不可见字符(U+200B ZERO WIDTH SPACE,在开头)"),
        ("a\x00b", "含控制字符(U+0000,在第 1 个字“a”之后)"),
        ("\ud800", "含无法编码的字符(U+D800)"),
        ("桥\u202e", "含不可见字符(U+202E RIGHT-TO-LEFT OVERRIDE,在第 1 个字“桥”之后)"),
        ("桥\u3164", "含不可见字符(U+3164 HANGUL FILLER,在第 1 个字“桥”之后)"),
        ("桥\ufdd0", "含非字符码位(U+FDD0)"),
        ("路南街道", None),
        ("𠀀村", None),  # a rare character outside the BMP is a character, not a problem (the rules judge it)
    ],
)
def test_text_problems_are_named(text: str, problem: str | None) -> None:
    assert text_problem(text) == problem


def test_clean_text_normalises_and_keeps_line_breaks_only_where_allowed() -> None:
    assert clean_text(" Cafe\u0301 ") == "Café"  # NFC: one code point
    assert clean_text("第一行\n第二行", multiline=True) == "第一行\n第二行"
    with pytest.raises(ValueError, match="控制字符"):
        clean_text("第一行\n第二行")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("路黄线", None),
        ("..", "不能以“.”开头"),
        (".hidden", "不能以“.”开头"),
        ("/etc/x", "不能含字符“/”"),
        ("a\\b", "不能含字符“\\”"),
        ("C:x", "不能含字符“:”"),
        ("a\tb", "不能含控制字符"),
    ],
)
def test_plain_names(name: str, problem: str | None) -> None:
    assert plain_name_problem(name) == problem


def test_safe_filename_and_inside(tmp_path: Path) -> None:
    assert safe_filename("../../etc/passwd") == "_.._etc_passwd"
    assert safe_filename("...") == "未命名" and safe_filename(" 路黄线 ") == "路黄线"
    assert safe_filename("a\u200bb") == "ab" and len(safe_filename("x" * 500)) == 80
    assert inside(tmp_path, "a", "b.txt") == tmp_path.resolve() / "a" / "b.txt"
    with pytest.raises(ValueError):
        inside(tmp_path, "..", "x")
    with pytest.raises(ValueError):
        inside(tmp_path, "/etc/passwd")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # a full-width equals sign: WPS takes it as a formula
        ("路南街道", "路南街道"),
        ("a\x01b", "a\ufffdb"),  # XLSX cannot hold it
        (-5, -5),
        (None, None),
    ],
)
def test_safe_cell(value: object, cell: object) -> None:
    assert safe_cell(value) == cell


@pytest.mark.parametrize("multiline", [False, True])
def test_the_refused_class_is_exactly_what_text_problem_refuses(multiline: bool) -> None:
    accepted = re.compile(f"[^{refused_class(multiline)}]")
    differ = [
        hex(code)
        for code in (*range(0xD800), *range(0xE000, 0x110000))
        if (accepted.fullmatch(chr(code)) is None) != (text_problem(chr(code), multiline=multiline) is not None)
    ]
    assert differ == []
    # and it is written so that JSON can carry it: escapes for the basic plane, no lone surrogates
    assert "\n" not in refused_class(multiline) and "\ud800" not in refused_class(multiline)
    assert refused_class(False).startswith("\\u0000-\\u001f\\u007f-\\u009f\\u00ad")
    assert refused_class(True).startswith("\\u0000-\\u0008\\u000b-\\u000c\\u000e-\\u001f\\u007f")
