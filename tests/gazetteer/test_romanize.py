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


@pytest.mark.parametrize(
    ("specific", "generic", "expected"),
    [
        ("南大", "街", "Nan Dajie"),  # a direction and a one-character modifier: the modifier joins the generic
        ("滨河", "路", "Binhe Lu"),  # a long modifier with nothing before it is the specific itself
        ("第九", "桥", "Dijiu Qiao"),  # an ordinal that is the whole specific stays with it
        ("一千零一", "路", "1001 Lu"),
        ("五十五", "路", "55 Lu"),  # 五十 is a township's specific, but nothing stands before the numeral here
        ("十里长", "街", "Shilichang Jie"),  # a numeral at the start of a specific is no street number
    ],
)
def test_edges_of_the_spelling_rules(specific: str, generic: str, expected: str) -> None:
    """The cases mutation testing found untested (scripts/mutants.py): each fails when its rule's edge moves."""
    assert romanize(specific, generic) == expected


def test_chinese_numbers_and_what_is_no_number() -> None:
    from mzgis.gazetteer.romanize import chinese_number

    assert [chinese_number(t) for t in ("一千零一", "两千", "十二", "105", "三八", "B", "１２")] == [
        1001,
        2000,
        12,
        105,
        None,  # a run of digits without units: a name (三八), read digit by digit
        None,
        None,  # full-width digits are normalised before spelling, not here
    ]


def test_er_alone_is_a_syllable_of_its_own() -> None:
    """Rule 12 (儿 after a syllable is r) needs a syllable before it: a word that is 儿 alone stays Er."""
    assert (romanize("儿", "桥"), romanize("盆儿", "胡同")) == ("Er Qiao", "Penr Hutong")


def test_the_words_a_spelling_rests_on_have_no_empty_one() -> None:
    """An ordinal that is the whole specific, or a long modifier that is (环岛: no place of that name), is one
    word: the split shown beside the spelling (拼写依据) never holds an empty part."""
    from mzgis.gazetteer.romanize import spelling

    assert spelling("第九", "桥").words == (("第九", "Dijiu"), ("桥", "Qiao"))
    assert spelling("环岛", "路").words == (("环岛", "Huandao"), ("路", "Lu"))
    assert spelling("东环岛", "路").words == (("东环岛", "Donghuandao"), ("路", "Lu"))


def test_an_apostrophe_after_a_one_letter_syllable() -> None:
    """Rule 11 after a syllable of one letter (鹅 e, 阿 a): the apostrophe still stands between."""
    assert (romanize("鹅岙", ""), romanize("阿岙", "村")) == ("E'ao", "A'ao Cun")
