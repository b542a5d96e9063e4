"""Romanization against published spellings (sources: tests/data/README.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mzgis.gazetteer.names import split_name
from mzgis.gazetteer.romanize import load_readings, romanize, syllables


def _published() -> list[tuple[str, str]]:
    with (Path(__file__).resolve().parents[1] / "data" / "romanization.csv").open(encoding="utf-8") as fh:
        return [(row["name"], row["romanized"]) for row in csv.DictReader(fh)]


PUBLISHED = _published()
assert len(PUBLISHED) >= 50


@pytest.mark.parametrize(("name", "expected"), PUBLISHED)
def test_published_romanizations(name: str, expected: str) -> None:
    specific, generic = split_name(name)
    assert romanize(specific, generic) == expected


def test_tones() -> None:
    assert romanize("六安", "市", tones=True) == "Lù'ān Shì"
    assert romanize("长子", "县", tones=True) == "Zhǎngzǐ Xiàn"


def test_the_dictionary_applies_to_the_whole_name_not_a_split_part() -> None:
    # 单 alone reads dan; in 单县 the place-name reading shan applies
    assert syllables("单") == ["dan"]
    assert syllables("单县") == ["shan", "xian"]


def test_officers_can_extend_the_readings(tmp_path: Path) -> None:
    extra = tmp_path / "readings.txt"
    extra.write_text("# 本地读音\n蓬街 peng2 gai1\n", encoding="utf-8")
    readings = load_readings(extra)
    assert romanize("蓬街", "镇", readings=readings) == "Penggai Zhen"
    assert romanize("蓬街", "镇") == "Pengjie Zhen"


def test_split_name_prefers_the_longest_generic() -> None:
    assert split_name("路南街道") == ("路南", "街道")
    assert split_name("滨海工业城") == ("滨海", "工业城")
    assert split_name("莲花") == ("莲花", "")


def test_split_name_uses_the_generics_of_the_category() -> None:
    assert split_name("长浦新村", "self_governing_org") == ("长浦新", "村")
    assert split_name("长浦新村", "settlement") == ("长浦", "新村")
    assert split_name("长浦新村") == ("长浦", "新村")
