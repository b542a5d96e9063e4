"""The naming rules (地名管理条例 2022; 不规范地名 "大、洋、怪、重"), as pure functions.

:func:`check_name` reports every finding at once: rule id, severity (``error`` blocks saving unless an
override with a recorded reason is given; ``warning`` needs none), a message in Chinese and English, and
the names that triggered it. Word lists, generics and limits are data (``data/rules.toml``,
``data/generics.toml``), loaded into a :class:`RuleSet`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from mzgis.gazetteer.names import generics_by_category, split_name
from mzgis.gazetteer.romanize import Readings, load_readings, syllables

__all__ = [
    "ADMIN_CATEGORIES",
    "RULE_BASIS_ZH",
    "RULE_IDS",
    "RULE_NAMES_ZH",
    "RULE_REMEDIES_ZH",
    "Finding",
    "NameRecord",
    "RuleSet",
    "check_name",
    "has_errors",
    "load_rules",
    "rival_keys",
    "scope_key",
    "scope_of",
    "spell",
]

Severity = Literal["error", "warning"]
# each rule in Chinese, and the class of non-standard names (不规范地名: 大、洋、怪、重) it finds, if any
RULE_NAMES_ZH: dict[str, tuple[str, str]] = {
    "missing_generic": ("缺少通名", ""),
    "generic_mismatch": ("通名不当", ""),
    "stacked_generic": ("通名叠加", ""),
    "mixed_script": ("夹用字母数字", "怪"),  # 汉字与数字、字母混搭: 怪 in the 2018 认定标准
    "symbol": ("使用非文字符号", "怪"),
    "foreign": ("使用外国人名地名", "洋"),
    "exaggeration": ("夸大", "大"),
    "brand": ("使用商标品牌名", "洋"),
    "leader_name": ("使用领导人姓名", ""),
    "duplicate": ("重名", "重"),
    "rare_char": ("生僻字", "怪"),
    "odd_word": ("怪异用字", "怪"),
    "bare_ordinal": ("专名只有序数", ""),
    "too_long": ("名称过长", ""),
    "homophone": ("同音", "重"),
    "near_duplicate": ("专名相同", "重"),
    "admin_mismatch": ("位置与所在区划不符", ""),
    "person_name": ("以人名命名", ""),
    "spelling_mismatch": ("罗马字母拼写不规范", ""),
}
# what the clean-up table (不规范地名清理整治) proposes for each finding (整治建议)
RULE_REMEDIES_ZH: dict[str, str] = {
    "missing_generic": "补充与类别相符的通名,按程序更名",
    "generic_mismatch": "改用该类别可用的通名,按程序更名",
    "stacked_generic": "去掉叠加的通名",
    "mixed_script": "改用规范汉字书写,不夹用外文字母和阿拉伯数字",
    "symbol": "去掉“·”等符号,只用汉字",
    "foreign": "改用反映当地历史、文化或地理特征的名称,按程序更名",
    "exaggeration": "去掉夸大用词,按实际规模和功能命名",
    "brand": "去掉商标、品牌名称,另行命名",
    "leader_name": "不以领导人姓名命名,另行命名",
    "duplicate": "同一区域内同类地名重名:另行命名或加区分词",
    "rare_char": "核实用字与读音,改用通用规范汉字",
    "odd_word": "改用规范、雅致的用字",
    "bare_ordinal": "专名不宜只有序数,改用有含义的专名",
    "too_long": "精简名称",
    "homophone": "与区域内地名同音:核实是否易混,必要时另行命名",
    "near_duplicate": "专名相同:核实是否易混,必要时加区分词",
    "admin_mismatch": "核对地名位置和所在区划代码,改正其一",
    "person_name": "核实来历:地名一般不以人名命名(《地名管理条例》第九条),必要时另行命名",
    "spelling_mismatch": "按《中国地名汉语拼音字母拼写规则》改为问题中给出的标准拼写",
}
# what a finding rests on (认定依据 in the clean-up table): the regulation's article on naming, the 2018
# notice that defines the four classes of non-standard names, and the standards for codes and spelling
_REGULATION = "《地名管理条例》(2022)第九条"
_NOTICE = "民政部等六部门《关于开展清理整治不规范地名工作的通知》(2018)"
_GENERIC = f"{_REGULATION}:地名由专名和通名组成,通名反映实体的类别;GB/T 18521-2001《地名分类与类别代码编制规则》"
RULE_BASIS_ZH: dict[str, str] = {
    "missing_generic": _GENERIC,
    "generic_mismatch": _GENERIC,
    "stacked_generic": _GENERIC,
    "mixed_script": f"{_REGULATION}:使用规范汉字;{_NOTICE}:“怪”",
    "symbol": f"{_REGULATION}:使用规范汉字;{_NOTICE}:“怪”",
    "foreign": f"{_REGULATION}:不以外国人名、地名命名;{_NOTICE}:“洋”",
    "exaggeration": f"{_REGULATION};{_NOTICE}:“大”",
    "brand": f"{_REGULATION}:不以企业名称、商标名称命名;{_NOTICE}:“洋”",
    "leader_name": f"{_REGULATION}:禁止以国家领导人的名字命名",
    "duplicate": f"{_REGULATION}:同一区域内同类地名不应重名;{_NOTICE}:“重”",
    "rare_char": f"{_REGULATION}:避免使用生僻字;{_NOTICE}:“怪”",
    "odd_word": f"{_REGULATION}:含义健康;{_NOTICE}:“怪”",
    "bare_ordinal": f"{_REGULATION}:地名应有含义,反映当地历史、文化或地理特征",
    "too_long": f"{_REGULATION}:名称简洁",
    "homophone": f"{_REGULATION}:避免同音、近音;{_NOTICE}:“重”",
    "near_duplicate": f"{_REGULATION}:避免重名、近似;{_NOTICE}:“重”",
    "admin_mismatch": "GB/T 2260《中华人民共和国行政区划代码》:所在区划与位置一致",
    "person_name": f"{_REGULATION}:一般不以人名命名",
    "spelling_mismatch": "《中国地名汉语拼音字母拼写规则(汉语地名部分)》;GB/T 16159-2012《汉语拼音正词法基本规则》",
}
ADMIN_CATEGORIES = frozenset({"administrative_area", "self_governing_org", "non_administrative_area"})
RULE_IDS: dict[str, Severity] = {
    "missing_generic": "error",
    "generic_mismatch": "error",
    "stacked_generic": "error",
    "mixed_script": "error",
    "symbol": "error",
    "foreign": "error",
    "exaggeration": "error",
    "brand": "error",
    "leader_name": "error",
    "duplicate": "error",
    "rare_char": "warning",
    "odd_word": "error",
    "bare_ordinal": "warning",
    "too_long": "warning",
    "homophone": "warning",
    "near_duplicate": "warning",
    "person_name": "warning",
}
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９]")
_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")
# anything but Chinese characters, Latin letters and digits (those are mixed_script): ·, _, ., Ⅱ, brackets …
_SYMBOL = re.compile(r"[^\u3400-\u9fff\U00020000-\U0002ffffA-Za-z0-9Ａ-Ｚａ-ｚ０-９]")
_ORDINAL = re.compile(r"^第?[一二三四五六七八九十百零〇]+$")


@dataclass(frozen=True)
class Finding:
    """One rule finding."""

    rule: str
    severity: Severity
    message: str
    message_en: str
    related: tuple[dict[str, Any], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "message_en": self.message_en,
            "related": list(self.related),
        }


@dataclass(frozen=True)
class NameRecord:
    """What the rules need to know of a name (a proposal or one already in the gazetteer)."""

    name: str
    category: str
    admin_code: str
    subcategory: str | None = None
    generic: str | None = None
    id: int | None = None
    status: str = "current"
    pinyin: str | None = None  # as stored (see ``spell``), when the store's pinyin follows these readings


@dataclass(frozen=True)
class RuleSet:
    """The lists and limits the rules use."""

    generics: dict[str, tuple[str, ...]]
    subcategory_generics: dict[str, tuple[str, ...]]
    words: dict[str, tuple[str, ...]]
    too_long: int
    readings: Readings = field(default_factory=load_readings)
    # categories whose names are mostly long-standing (the official division list): the word rules and
    # stacked generics are warnings for them (a historic 宝马村 or 皇城坝村 stands; an officer looks), errors
    # for new names of other categories (the clean-up's 居民区、建筑物、道路)
    historic: frozenset[str] = frozenset()
    subcategory_labels: dict[str, str] = field(default_factory=dict)  # code → Chinese name, in the file's order
    # the lists the person-name hint reads (rules.toml [persons]): known, surnames, given, place_chars
    persons: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # name → its pinyin under these readings (``spell``), worked out once; bounded (see ``spell``)
    spelled: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # (specific, generic) → romanization: an import checks each row twice (to report, then under the lock)
    romanized: dict[tuple[str, str, bool], Any] = field(default_factory=dict, compare=False, repr=False)


def _rules_text(path: Path | None) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8")
    return resources.files("mzgis.gazetteer").joinpath("data/rules.toml").read_text(encoding="utf-8")


@lru_cache(maxsize=8)
def load_rules(path: Path | None = None, readings_path: Path | None = None) -> RuleSet:
    """The bundled rules, or an office's own rules file of the same shape."""
    data = tomllib.loads(_rules_text(path))
    return RuleSet(
        generics=generics_by_category(),
        subcategory_generics={k: tuple(v) for k, v in data.get("subcategory_generics", {}).items()},
        words={k: tuple(v) for k, v in data.get("words", {}).items()},
        persons={k: tuple(v) for k, v in data.get("persons", {}).items()},
        too_long=int(data.get("limits", {}).get("too_long", 12)),
        readings=load_readings(readings_path),
        subcategory_labels={str(k): str(v) for k, v in data.get("subcategory_labels", {}).items()},
        historic=frozenset(data.get("historic", {}).get("categories", ())),
    )


_COUNTY_SUBCATEGORIES = frozenset({"county", "district", "city"})
_COUNTY_GENERICS = frozenset({"区", "县", "市", "旗", "自治县", "自治旗", "林区", "特区"})


def scope_of(rec: NameRecord) -> tuple[str, ...]:
    """Names compete within a scope: units of one level under one parent (villages in a township,
    townships in a county); other names by category within a township (roads in a town).

    A name of a unit may carry the unit's own code or, when the unit is only proposed, its parent's:
    a village-level name with a township code competes with that township's villages.
    """
    code = rec.admin_code
    if rec.category == "self_governing_org":
        return ("admin", "village", code[:9])
    if rec.category in ADMIN_CATEGORIES:
        generic = rec.generic or split_name(rec.name, rec.category)[1]
        county_level = rec.subcategory in _COUNTY_SUBCATEGORIES or (not rec.subcategory and generic in _COUNTY_GENERICS)
        return ("admin", "county", code[:4]) if county_level else ("admin", "township", code[:6])
    return (rec.category, code[:9])


def scope_key(rec: NameRecord) -> str:
    """The scope as stored with each name (``admin|village|331004001``): an indexed column, so a save
    reads the names of its own scope only, however large the register."""
    return "|".join(scope_of(rec))


def rival_keys(candidate: NameRecord, rules: RuleSet) -> tuple[str, str, str]:
    """What a name of ``candidate``'s scope must share with it to meet a scope rule: its name (a duplicate),
    its sound (the pinyin without gaps: a homophone) or a name that starts with its specific (the same
    specific). A save reads only such names of its scope, however many the scope holds."""
    specific, _, _ = _structure(candidate, rules)
    return candidate.name, _sound(candidate, rules), specific


def _finding(
    rule: str, message: str, message_en: str, related: Iterable[NameRecord] = (), *, severity: Severity | None = None
) -> Finding:
    rel = tuple({"id": r.id, "name": r.name, "admin_code": r.admin_code} for r in related)
    return Finding(rule, severity or RULE_IDS[rule], message, message_en, rel)


def _softened(rule: str, rec: NameRecord, rules: RuleSet) -> Severity:
    """The severity of a word or stacking finding for this name: a warning for historic categories."""
    return "warning" if rec.category in rules.historic else RULE_IDS[rule]


_SPELLED_KEPT = 1_000_000  # names whose pinyin a long-running process keeps


def spell(name: str, rules: RuleSet) -> str:
    """A name's toneless pinyin with the syllables apart (路南街道 → ``lu nan jie dao``), under the rules'
    readings: what the gazetteer stores with each name (its ``pinyin`` field), so the homophone rule and
    the clean-up report need not work it out again for every name of a scope."""
    spelled = rules.spelled.get(name)
    if spelled is None:
        if len(rules.spelled) >= _SPELLED_KEPT:
            rules.spelled.clear()
        spelled = rules.spelled[name] = " ".join(syllables(name, readings=rules.readings))
    return spelled


def _sound(rec: NameRecord, rules: RuleSet) -> str:
    """What two homophones share: the pinyin without the gaps (stored, or worked out)."""
    return (rec.pinyin if rec.pinyin is not None else spell(rec.name, rules)).replace(" ", "")


def _structure(rec: NameRecord, rules: RuleSet) -> tuple[str, str, list[Finding]]:
    """(specific, generic, findings) for the generic rules."""
    out: list[Finding] = []
    fitting = rules.generics.get(rec.category, ())
    if rec.subcategory and rec.subcategory in rules.subcategory_generics:
        fitting = rules.subcategory_generics[rec.subcategory]
    if rec.generic:
        specific, generic = rec.name[: -len(rec.generic)], rec.generic
        if not rec.name.endswith(rec.generic) or not specific:
            out.append(
                _finding(
                    "missing_generic",
                    f"通名“{rec.generic}”不在名称“{rec.name}”的末尾,或没有专名",
                    "the generic is not at the end of the name",
                )
            )
            return rec.name, "", out
    else:
        specific, generic = split_name(rec.name, rec.category)
        if rec.subcategory in rules.subcategory_generics:
            specific, generic = next(
                ((rec.name[: -len(t)], t) for t in sorted(fitting, key=len, reverse=True) if rec.name.endswith(t)),
                (specific, generic),
            )
    if generic and not specific:  # a name that is only a generic (大道, a compound called 新村): nothing names it
        message = f"“{rec.name}”只有通名,没有专名"
        return rec.name, "", [_finding("missing_generic", message, "the name is only a generic")]
    any_specific, any_generic = split_name(rec.name)
    if not generic and not any_generic:
        out.append(
            _finding(
                "missing_generic",
                f"“{rec.name}”缺少通名(如 {'、'.join(fitting[:6])})",
                f"{rec.name!r} has no generic term",
            )
        )
        return rec.name, "", out
    if not generic or (fitting and generic not in fitting):
        # the generic as a reader sees it: the longest at the end of the name (街道, not the 道 of roads)
        shown = any_generic if len(any_generic) > len(generic or "") else generic
        out.append(
            _finding(
                "generic_mismatch",
                f"通名“{shown}”不适合该类别,可用:{'、'.join(fitting)}",
                f"generic {shown!r} does not fit the category",
            )
        )
        if not generic:
            specific, generic = any_specific, any_generic
    # a specific ending in a generic of two or more characters (银座大道 + 街, 花园 + 小区) stacks generics;
    # one character there is mostly part of the name (石桥路, 董市镇, 前村村: the natural village 前村)
    same_kind = set(fitting) | set(rules.generics.get(rec.category, ()))
    stacked = next(
        (t for t in sorted(same_kind, key=len, reverse=True) if len(t) >= 2 and specific.endswith(t) and t != specific),
        None,
    )
    if stacked:
        out.append(
            _finding(
                "stacked_generic",
                f"通名叠加:专名“{specific}”已以通名“{stacked}”结尾,又加通名“{generic}”",
                f"stacked generics {stacked!r} + {generic!r}",
                severity=_softened("stacked_generic", rec, rules),
            )
        )
    return specific, generic, out


def _person_name(specific: str, rules: RuleSet) -> bool:
    """Whether ``specific`` reads as a person's full name (the word lists of rules.toml: a known person, or a
    common surname and one or two given-name characters none of which is a place word)."""
    lists = rules.persons
    if specific in lists.get("known", ()):
        return True
    if len(specific) not in (2, 3) or specific[0] not in lists.get("surnames", ()):
        return False
    rest = specific[1:]
    given, place = lists.get("given", ()), lists.get("place_chars", ())
    return all(c in given for c in rest) and not any(c in place for c in rest)


def _numbering(name: str, word: str, generic: str) -> bool:
    """Whether ``word`` (第一 …) only numbers the unit: it stands right before the generic (滨河小区第一社区)."""
    return word.startswith("第") and bool(generic) and name.endswith(word + generic)


def check_name(candidate: NameRecord, existing: Iterable[NameRecord], *, rules: RuleSet | None = None) -> list[Finding]:
    """Every finding of the naming rules for ``candidate`` against the other names in its scope."""
    rules = rules or load_rules()
    name = candidate.name
    specific, generic, findings = _structure(candidate, rules)
    if _LATIN_OR_DIGIT.search(name):
        bad = "".join(sorted(set(_LATIN_OR_DIGIT.findall(name))))
        findings.append(
            _finding(
                "mixed_script", f"名称中夹有字母或阿拉伯数字“{bad}”", f"Latin letters or digits in the name: {bad}"
            )
        )
    symbols = "".join(sorted(set(_SYMBOL.findall(name))))
    if symbols:
        findings.append(
            _finding(
                "symbol",
                f"名称中有非文字符号“{symbols}”",
                f"symbols in the name: {symbols}",
                severity=_softened("symbol", candidate, rules),
            )
        )
    for rule, key, label in (
        ("foreign", "foreign", "外国人名、地名"),
        ("exaggeration", "exaggeration", "夸大用词"),
        ("brand", "brand", "商标、品牌名"),
        ("leader_name", "leader", "国家领导人姓名"),
        ("odd_word", "odd", "怪异、不雅用字"),
    ):
        hits = [w for w in rules.words.get(key, ()) if w in name and not _numbering(name, w, generic)]
        if hits:
            findings.append(
                _finding(
                    rule,
                    f"含{label}“{'、'.join(hits)}”",
                    f"{rule.replace('_', ' ')}: {', '.join(hits)}",
                    severity=_softened(rule, candidate, rules),
                )
            )
    if _person_name(specific, rules) and not any(f.rule == "leader_name" for f in findings):
        message = f"专名“{specific}”像是人名;地名一般不以人名命名"
        findings.append(_finding("person_name", message, "the specific reads as a person's name"))
    rare = sorted({ch for ch in name if _CJK.match(ch) and not _in_gb2312(ch)})
    if rare:
        findings.append(
            _finding("rare_char", f"含生僻字“{''.join(rare)}”(不在 GB 2312 常用字符集内)", "rare characters")
        )
    if _ORDINAL.match(specific):
        findings.append(
            _finding("bare_ordinal", f"专名“{specific}”只是序数词,缺少地理意义", "the specific is a bare ordinal")
        )
    if len(name) > rules.too_long:
        findings.append(
            _finding(
                "too_long", f"名称过长({len(name)} 字,宜不超过 {rules.too_long} 字)", f"name of {len(name)} characters"
            )
        )
    findings += _scope_findings(candidate, specific, existing, rules)
    order = list(RULE_IDS)
    return sorted(findings, key=lambda f: order.index(f.rule))


def _scope_findings(
    candidate: NameRecord, specific: str, existing: Iterable[NameRecord], rules: RuleSet
) -> list[Finding]:
    scope = scope_of(candidate)
    same: list[NameRecord] = []
    sound: list[NameRecord] = []
    near: list[NameRecord] = []
    my_pinyin = _sound(candidate, rules)
    for other in existing:
        if other.status == "retired" or (candidate.id is not None and other.id == candidate.id):
            continue
        if scope_of(other) != scope:
            continue
        if other.name == candidate.name:
            same.append(other)
        elif _sound(other, rules) == my_pinyin:
            sound.append(other)
        else:
            other_specific, _ = split_name(other.name, other.category)
            if other_specific == specific and specific:
                near.append(other)
    out: list[Finding] = []
    if same:
        out.append(_finding("duplicate", f"同一范围内已有同名的“{candidate.name}”", "duplicate name in scope", same))
    if sound:
        names = "、".join(o.name for o in sound)
        out.append(_finding("homophone", f"与同一范围内的“{names}”同音", "homophone in scope", sound))
    if near:
        names = "、".join(o.name for o in near)
        out.append(_finding("near_duplicate", f"与同一范围内的“{names}”专名相同", "same specific in scope", near))
    return out


@lru_cache(maxsize=65536)
def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding blocks saving."""
    return any(f.severity == "error" for f in findings)
