"""Every specific of the GeoNames list (tests/data/geonames_readings.tsv, built by scripts/build_readings.py;
source and licence in tests/data/README.md) is spelt as GeoNames spells it."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

from mzgis.gazetteer.romanize import romanize, syllables

LIST = Path(__file__).resolve().parents[1] / "data" / "geonames_readings.tsv"


def _rows() -> list[tuple[str, str]]:
    with LIST.open(encoding="utf-8", newline="") as fh:
        return [(r["specific"], r["syllables"]) for r in csv.DictReader(fh, delimiter="\t")]


def _spelt(syllable: str) -> str:
    """As GeoNames writes it: toneless, ü as u."""
    return "".join(c for c in unicodedata.normalize("NFD", syllable) if not unicodedata.combining(c)).replace("ü", "u")


def test_every_listed_specific_round_trips() -> None:
    rows = _rows()
    assert len(rows) > 11_000
    wrong = [(s, want, " ".join(_spelt(x) for x in syllables(s))) for s, want in rows]
    wrong = [w for w in wrong if w[1] != w[2]]
    assert wrong == []


def test_place_name_readings_from_the_list() -> None:
    """Readings general pinyin gets wrong, now right (the issue's examples among them)."""
    assert romanize("长岭", "镇") == "Changling Zhen"
    assert romanize("峰江", "街道") == "Fengjiang Jiedao"
    assert romanize("中牟", "县") == "Zhongmou Xian"
    assert romanize("浚", "县") == "Xun Xian"
    assert romanize("地窝堡", "乡") == "Diwopu Xiang"
    assert romanize("梁弄", "镇") == "Liangnong Zhen"
    assert romanize("弄", "") == "Long"  # a lane (curated), where no longer reading applies
    assert romanize("六合", "区") == "Luhe Qu"  # the curated reading stays
    # GeoNames' errors the curated readings overrule (its Yangdenghu, Wancheng, Jingcheng)
    assert romanize("阳澄湖", "镇") == "Yangchenghu Zhen"
    assert romanize("莞城", "街道") == "Guancheng Jiedao"
    assert romanize("青城山", "镇") == "Qingchengshan Zhen"
