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

__all__ = [
    "Readings",
    "Spelling",
    "chinese_number",
    "load_readings",
    "prepare",
    "romanize",
    "romanize_part",
    "spelling",
    "syllables",
]

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
    """The bundled readings, plus an officer's file of the same format when given: those learnt from
    GeoNames (readings_geonames.txt), then the curated ones (readings.txt), then the officer's, each
    winning over the ones before it for the same characters."""
    data = resources.files("mzgis.gazetteer").joinpath("data")
    entries: dict[str, tuple[str, ...]] = {}
    for name in ("readings_geonames.txt", "readings.txt"):
        entries |= _parse_readings(data.joinpath(name).read_text(encoding="utf-8").splitlines())
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


# Rule 2 of the 1984 rules: single-syllable modifiers of a generic join it (景山后街 Jingshan Houjie, 修文西小巷
# Xiuwen Xixiaoxiang). The one next to the generic may be any of these; one more before it only a direction.
_DIRECTIONS = frozenset("东西南北中前后左右")  # not 上下: 天下, 山下 end words
_MODIFIERS = _DIRECTIONS | frozenset("新老大小直横正斜")
# ... and modifiers of two syllables or more stand apart from both (广安门北滨河路 Guang'anmen Beibinhe Lu): the
# descriptive words place names use this way, with a direction before them when there is one
_LONG_MODIFIERS = ("滨河", "滨江", "滨湖", "滨海", "沿江", "沿河", "沿湖", "沿海", "环城", "环湖", "环岛", "环山")
# generics of administrative units and committees: no modifiers are taken from their specifics (城东街道)
_ADMIN_GENERICS = frozenset(
    (
        "省",
        "自治区",
        "市",
        "自治州",
        "地区",
        "盟",
        "县",
        "自治县",
        "区",
        "旗",
        "自治旗",
        "镇",
        "乡",
        "民族乡",
        "街道",
        "苏木",
        "嘎查",
        "村",
        "社区",
        "新区",
        "开发区",
    )
)
# Rule 7: in names of streets and lanes an ordinal is written in Arabic numerals (经五路 Jing 5 Lu, 二马路 2 Malu)
_STREET_GENERICS = frozenset(("路", "街", "巷", "弄", "条", "胡同", "马路", "环路", "大街", "小街", "大道", "道", "里"))
_NUMERAL = re.compile(r"(第?)([零〇一二两三四五六七八九十百千]+|[0-9]+)$")
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def chinese_number(text: str) -> int | None:
    """The value of a numeral written in Chinese (十二 → 12, 一百零五 → 105) or Arabic digits; None when it is
    a run of digits without units (三八, 五一: a name, read digit by digit)."""
    if text.isdigit() and text.isascii():
        return int(text)
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    if not any(u in text for u in "十百千"):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in "十百千":
            total += (1 if digit is None else digit) * {"十": 10, "百": 100, "千": 1000}[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


@lru_cache(maxsize=1)
def _known_places() -> frozenset[str]:
    """Specifics of China's provinces, cities, counties and townships (湖北, 城东): a specific that is a place
    keeps its last character (湖北路 Hubei Lu, not Hu Beilu)."""
    from mzgis.divisions import division_names
    from mzgis.gazetteer.names import split_name

    return frozenset(split_name(n, "administrative_area")[0] for c, n in division_names().items() if len(c) <= 9)


def prepare() -> None:
    """Load what the first spelling would (the divisions' specifics, the readings: about 1.5 s): a server
    does it before it answers, so ten editors' first saves do not each build it at once on one core."""
    _known_places()
    spelling("路南", "街道")


def _place_before_ordinal(rest: str, numeral: str) -> int:
    """How many leading characters of ``numeral`` belong to the place before it: the most that, after
    ``rest``, make the specific of a division (东 + 四 = 东四) and leave a numeral (十二); 0 when none do."""
    places = _known_places()
    for k in range(len(numeral) - 1, 0, -1):
        if rest + numeral[:k] in places and chinese_number(numeral[k:]) is not None:
            return k
    return 0


@dataclass(frozen=True)
class Spelling:
    """A name's romanization word by word: the Chinese each word spells (the split the spelling rests on)."""

    words: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        return " ".join(roman for _, roman in self.words if roman)

    @property
    def split(self) -> str:
        return " | ".join(zh for zh, _ in self.words)


def spelling(
    specific: str,
    generic: str = "",
    *,
    readings: Readings | None = None,
    tones: bool = False,
    joined: bool = False,
) -> Spelling:
    """The standard spelling of a place name given as specific and generic, by the 1984 rules
    (中国地名汉语拼音字母拼写规则(汉语地名部分)):

    1. specific and generic apart (台湾 Haixia); 2. single-syllable modifiers of the generic join it
    (景山 Houjie), longer ones stand apart (广安门 Beibinhe Lu), ordinals such as 第二 before a specific stand
    apart (Di'er Songhua Jiang); 3. ``joined``: a natural village or town is one word (Zhoukoudian); 4. a
    generic that became part of the specific stays
    there (Heilongjiang Sheng: the split is the caller's); 5. persons' names are one word; 6. numerals are
    spelled (Wuyi Guangchang); 7. ordinals of streets and codes in Arabic numerals (Jing 5 Lu, Di-9 Long,
    1203 Gaodi); 8. place-name readings from the dictionary; 10. capitals; 11. apostrophes (Xi'an); 12. 儿
    after a syllable is r (Penr Hutong).
    """
    readings = readings or load_readings()
    if joined or not generic:
        return Spelling(((specific + generic, _word(specific + generic, readings, tones)),))
    whole = specific + generic
    words: list[str] = []
    spec, gen = specific, generic
    number = _NUMERAL.search(spec) if gen in _STREET_GENERICS else None
    value = chinese_number(number.group(2)) if number else None
    if number is not None and value is not None and (number.start() > 0 or number.group(1) or spec == number.group(2)):
        rest = spec[: number.start()]
        cut = _place_before_ordinal(rest, number.group(2)) if rest and not number.group(1) else 0
        if cut:  # 东四十二条: the place 东四, then the ordinal 十二 (Dongsi 12 Tiao)
            rest, number = spec[: number.start() + cut], _NUMERAL.search(spec[number.start() + cut :])
            assert number is not None
            value = chinese_number(number.group(2))
            assert value is not None
        if rest:
            words.append(rest)
        words.append(number.group(0))  # written as digits below
        words.append(gen)
        return _spelled(words, readings, tones, ordinal=(len(words) - 2, number.group(1), value))
    ordinal = re.match(r"第[零〇一二两三四五六七八九十百千]+", spec)
    if ordinal and len(spec) > ordinal.end():  # 第二松花江: the ordinal stands apart from the specific
        words.append(ordinal.group(0))
        spec = spec[ordinal.end() :]
    if gen not in _ADMIN_GENERICS and spec not in _known_places():
        long = next((m for m in _LONG_MODIFIERS if spec.endswith(m)), "")
        k = len(long) + (1 if long and len(spec) > len(long) and spec[-len(long) - 1] in _DIRECTIONS else 0)
        if long and len(spec) - k >= 2:  # a specific before the modifier: three words
            words += [spec[:-k], spec[-k:], gen]
            return _spelled(words, readings, tones)
        k = 0
        if len(spec) > 1 and spec[-1] in _MODIFIERS and spec[-1] not in "内外":
            k = 1
            if len(spec) > 2 and spec[-2] in _DIRECTIONS:
                k = 2
        # a one-character specific keeps the word after it (椒北公园 Jiaobei Gongyuan, 鸿西路 Hongxi Lu), unless it
        # is a modifier itself (小南街 Xiao Nanjie, 南小街 Nan Xiaojie: the rules' own examples)
        while k and len(spec) - k < 2 and spec[0] not in _MODIFIERS:
            k -= 1
        if k:
            spec, gen = spec[:-k], spec[-k:] + gen
    words += [spec, gen]
    assert "".join(words) == whole
    return _spelled(words, readings, tones)


def _word_from(text: str, sylls: list[str]) -> str:
    """One word from its syllables (rule 12: 儿 after a syllable is r)."""
    if len(text) > 1 and text.endswith("儿") and sylls and sylls[-1] in ("er", "ér", "ěr", "èr", "ēr"):
        sylls = [*sylls[:-1], "r"]
    return _join(sylls)


def _word(text: str, readings: Readings, tones: bool) -> str:
    return _word_from(text, syllables(text, readings=readings, tones=tones))


def _spelled(
    words: list[str], readings: Readings, tones: bool, *, ordinal: tuple[int, str, int] | None = None
) -> Spelling:
    """The words spelled from the syllables of the whole name, so a reading that spans two words (单县
    Shan Xian) applies; where a character has no single syllable, word by word."""
    whole = "".join(words)
    sylls = syllables(whole, readings=readings, tones=tones)
    aligned = len(sylls) == len(whole) and all(ord(ch) in pinyin_dict for ch in whole)
    out, at = [], 0
    for i, zh in enumerate(words):
        part = sylls[at : at + len(zh)] if aligned else syllables(zh, readings=readings, tones=tones)
        at += len(zh)
        if ordinal is not None and i == ordinal[0]:
            out.append((zh, f"Di-{ordinal[2]}" if ordinal[1] else str(ordinal[2])))
        else:
            out.append((zh, _word_from(zh, part)))
    return Spelling(tuple(out))


def romanize(
    specific: str, generic: str = "", *, readings: Readings | None = None, tones: bool = False, joined: bool = False
) -> str:
    """The standard romanization of a place name given as specific and generic: 路南 + 街道 → Lunan Jiedao
    (the rules: see :func:`spelling`). The dictionary is matched within each word, whole words first, so the
    reading of 单 in 单县 applies."""
    return spelling(specific, generic, readings=readings, tones=tones, joined=joined).text


def _join(sylls: list[str]) -> str:
    out = ""
    for syl in sylls:
        if out and re.match(r"[a-zA-Z\u00c0-\u024f]", out[-1]) and _starts_with_vowel(syl):
            out += "'"
        out += syl
    return out[:1].upper() + out[1:]
