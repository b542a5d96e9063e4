"""Romanization of place names (中国地名汉语拼音字母拼写规则; GB/T 16159-2012).

Specific and generic are written apart, each part capitalized, syllables of one part joined, an
apostrophe before a syllable starting with a, o or e inside a part (Xi'an, Lu'an). Place-name readings
come from a dictionary (data, extendable) matched longest-first on the whole name before general pinyin,
so a phrase like 单县 is never split away from its reading.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path

from pypinyin import Style, lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

__all__ = ["Readings", "load_readings", "romanize", "romanize_part", "syllables"]

_TONE_MARKS = {"a": "āáǎà", "o": "ōóǒò", "e": "ēéěè", "i": "īíǐì", "u": "ūúǔù", "ü": "ǖǘǚǜ"}


@dataclass(frozen=True)
class Readings:
    """Place-name readings: characters → syllables (an optional tone digit, ü kept)."""

    entries: Mapping[str, tuple[str, ...]]

    @cached_property
    def digest(self) -> str:
        """A fingerprint of the readings: pinyin stored under other readings is worked out again."""
        text = "\n".join(f"{k} {' '.join(v)}" for k, v in sorted(self.entries.items()))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @cached_property
    def longest(self) -> int:
        """The longest entry, in characters (worked out once: it bounds every lookup)."""
        return max((len(k) for k in self.entries), default=0)


def _parse_readings(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        chars, *sylls = line.split()
        if len(sylls) != len(chars):
            raise ValueError(f"reading of {chars!r} needs one syllable per character: {line!r}")
        out[chars] = tuple(s.lower() for s in sylls)
    return out


@lru_cache(maxsize=8)
def load_readings(extra: Path | None = None) -> Readings:
    """The bundled readings, plus an officer's file of the same format when given."""
    text = resources.files("mzgis.gazetteer").joinpath("data/readings.txt").read_text(encoding="utf-8")
    entries = _parse_readings(text.splitlines())
    if extra is not None:
        entries |= _parse_readings(extra.read_text(encoding="utf-8").splitlines())
    return Readings(entries)


@lru_cache(maxsize=1 << 16)
def _general(text: str, tones: bool) -> tuple[str, ...]:
    """General pinyin of a run of characters no reading covers (the same runs recur across names: cached)."""
    style = Style.TONE if tones else Style.NORMAL
    return tuple(s for s in lazy_pinyin(text, style=style, v_to_u=True, neutral_tone_with_five=False) if s.strip())


def _mark(syllable: str, tones: bool) -> str:
    """A dictionary syllable ("zhang3") toneless, or with its tone mark on the right vowel."""
    base, tone = (syllable[:-1], int(syllable[-1])) if syllable[-1:].isdigit() else (syllable, 0)
    if not tones or tone in (0, 5):
        return base
    for vowel in ("a", "e"):
        if vowel in base:
            return base.replace(vowel, _TONE_MARKS[vowel][tone - 1], 1)
    if "ou" in base:
        return base.replace("o", _TONE_MARKS["o"][tone - 1], 1)
    idx = max(base.rfind(v) for v in "iouü")
    return base[:idx] + _TONE_MARKS[base[idx]][tone - 1] + base[idx + 1 :] if idx >= 0 else base


def syllables(text: str, *, readings: Readings | None = None, tones: bool = False) -> list[str]:
    """The syllables of ``text``: dictionary readings longest-first, general pinyin for the rest.

    Non-Chinese characters (Latin letters, digits) are kept as they are.
    """
    readings = readings or load_readings()
    out: list[str] = []
    i, pending = 0, ""
    while i < len(text):
        match = None
        for size in range(min(readings.longest, len(text) - i), 0, -1):
            chunk = text[i : i + size]
            if chunk in readings.entries:
                match = chunk
                break
        if match is None:
            pending += text[i]
            i += 1
            continue
        if pending:
            out += _general(pending, tones)
            pending = ""
        out += [_mark(syl, tones) for syl in readings.entries[match]]
        i += len(match)
    if pending:
        out += _general(pending, tones)
    return out


def _starts_with_vowel(syllable: str) -> bool:
    base = unicodedata.normalize("NFD", syllable)[:1].lower()
    return base in ("a", "o", "e")


def romanize_part(text: str, *, readings: Readings | None = None, tones: bool = False) -> str:
    """One part (a specific or a generic) as one capitalized word with apostrophes: 六安 → Lu'an."""
    return _join(syllables(text, readings=readings, tones=tones))


def romanize(specific: str, generic: str = "", *, readings: Readings | None = None, tones: bool = False) -> str:
    """The standard romanization of a place name given as specific and generic: 路南 + 街道 → Lunan Jiedao.

    A monosyllabic specific keeps the generic apart as well (单 + 县 → Shan Xian when the dictionary
    has 单县); the dictionary is matched on the whole name first so the reading of 单 in 单县 applies.
    """
    readings = readings or load_readings()
    whole = syllables(specific + generic, readings=readings, tones=tones)
    if not generic:
        n_spec = len(whole)
    elif all(ord(ch) in pinyin_dict for ch in specific):  # one syllable per character (readings too)
        n_spec = len(specific)
    else:
        n_spec = len(syllables(specific, readings=readings, tones=tones))
    spec_syl, gen_syl = whole[:n_spec], whole[n_spec:]
    words = [_join(spec_syl)]
    if gen_syl:
        words.append(_join(gen_syl))
    return " ".join(w for w in words if w)


def _join(sylls: list[str]) -> str:
    out = ""
    for syl in sylls:
        if out and re.match(r"[a-zA-Z\u00c0-\u024f]", out[-1]) and _starts_with_vowel(syl):
            out += "'"
        out += syl
    return out[:1].upper() + out[1:]
