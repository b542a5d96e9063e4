"""Text that comes from data is hostile until proven otherwise: one place for what we accept and how we
make it safe where it goes (file names, spreadsheet cells).

- :func:`clean_text`: NFC-normalised text without control, invisible-format or unpaired surrogate
  characters (a name with NUL broke every XLSX export; ``古\\u200b岙村`` escaped the duplicate rule).
- :func:`plain_name_problem`: a name that becomes a file or folder name must be a plain name.
- :func:`safe_filename` and :func:`inside`: every file an export writes stays under its folder.
- :func:`safe_cell`: a spreadsheet cell that would start a formula is written as text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from typing import Any

__all__ = [
    "clean_text",
    "inside",
    "plain_name_problem",
    "refused_class",
    "safe_cell",
    "safe_filename",
    "text_problem",
]

# Characters no name or text field may hold, beyond the Unicode categories refused below: fillers and
# separators that draw as nothing (Hangul fillers, Braille blank, line/paragraph separators).
_INVISIBLE_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u2800\u2028\u2029")
_MULTILINE_OK = frozenset("\n\r\t")
# Characters Windows, macOS or Linux refuse in file names, and path separators.
_NOT_IN_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
# A cell starting with these is a formula in Excel, LibreOffice and WPS (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


# text made only of these (printable ASCII, CJK ideographs and punctuation, full-width forms) has nothing
# to refuse: most names and reasons are checked with one regular expression instead of a loop per character
_PLAIN = re.compile("[\x20-\x7e\u00b7\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff5e]*")


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` may not be stored (in Chinese), or None. ``multiline`` allows line breaks and tabs."""
    if _PLAIN.fullmatch(text):
        return None
    for k, ch in enumerate(text):
        if not _refused(ch, multiline):
            continue
        cat = unicodedata.category(ch)
        # where it stands, since the text shows nothing there: after the k-th character (古岙村: after 古)
        at = (
            f",在第 {k} 个字“{text[k - 1]}”之后" if k > 0 and text[k - 1].isprintable() else ",在开头" if k == 0 else ""
        )
        if cat == "Cs":
            return f"含无法编码的字符({_describe(ch)})"
        if cat == "Cc":
            return f"含控制字符({_describe(ch)}{at})"
        if cat == "Cf" or ch in _INVISIBLE_EXTRA:
            return f"含不可见字符({_describe(ch)}{at})"
        return f"含非字符码位({_describe(ch)})"
    return None


def _refused(ch: str, multiline: bool) -> bool:
    """:func:`text_problem`'s test of one character, without the message."""
    if multiline and ch in _MULTILINE_OK:
        return False
    cat = unicodedata.category(ch)
    if cat in ("Cs", "Cc", "Cf") or ch in _INVISIBLE_EXTRA:
        return True
    return cat == "Cn" and (0xFDD0 <= ord(ch) <= 0xFDEF or (ord(ch) & 0xFFFE) == 0xFFFE)


def _class_char(code: int) -> str:
    # a character of the basic plane as an escape (the class carries controls, which a pattern in JSON is
    # better without as they are); the few beyond it as themselves (Python's ``re`` and a JSON
    # Schema validator with Unicode patterns read both)
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


@functools.cache
def refused_class(multiline: bool = False) -> str:
    """The characters :func:`text_problem` refuses, as the inside of a regular expression's character class
    (``[^…]`` is then what it accepts): the API's schema states the server's check with it. Built from the
    same test; ``tests/test_text.py`` compares the two over every code point. Surrogates are left out: a
    schema's patterns match Unicode scalar values, which never are surrogates (a JSON string can still
    carry one as an escape, and :func:`text_problem` refuses it)."""
    ranges: list[list[int]] = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        if _refused(chr(code), multiline):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(_class_char(a) if a == b else f"{_class_char(a)}-{_class_char(b)}" for a, b in ranges)


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """``value`` as NFC-normalised, stripped text; ``ValueError`` (Chinese reason) when it holds control,
    invisible or unencodable characters."""
    text = str(value)
    problem = text_problem(text, multiline=multiline)
    if problem:
        raise ValueError(problem)
    return unicodedata.normalize("NFC", text).strip()


def plain_name_problem(text: str) -> str | None:
    """Why ``text`` cannot name a file or folder as it is (path separators, ``..``, reserved characters), or
    None. Such names are refused where they are stored, so exports never have to guess."""
    if text in (".", "..") or text.startswith("."):
        return "不能以“.”开头"
    bad = _NOT_IN_FILENAME.search(text)
    if bad:
        return f"不能含字符“{bad.group()!s}”" if bad.group().isprintable() else "不能含控制字符"
    return None


def safe_filename(text: str, *, fallback: str = "未命名", limit: int = 80) -> str:
    """``text`` made safe as one file or folder name: reserved characters become ``_``, no leading dots or
    spaces, at most ``limit`` characters; ``fallback`` when nothing is left."""
    out = _NOT_IN_FILENAME.sub("_", unicodedata.normalize("NFC", str(text)))
    out = "".join(ch for ch in out if unicodedata.category(ch) not in ("Cf", "Cs", "Cc"))
    out = out.strip().lstrip(".").strip()[:limit].rstrip(". ")
    return out or fallback


def inside(root: Path, *parts: str) -> Path:
    """``root`` joined with ``parts``, refused (``ValueError``) unless it resolves below ``root``."""
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"{target} is outside {base}")
    return target


_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Any) -> Any:
    """A value for a CSV or XLSX cell: text that a spreadsheet would run as a formula gets a leading
    apostrophe (shown as text); control characters XLSX cannot hold (from a file edited elsewhere) become
    U+FFFD. Other values are unchanged."""
    if not isinstance(value, str):
        return value
    value = _XLSX_ILLEGAL.sub("\ufffd", value)
    return "'" + value if value.startswith(_FORMULA_START) else value
