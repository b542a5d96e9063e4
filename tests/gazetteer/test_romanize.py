"""Romanization against published spellings (sources: tests/data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mzgis.gazetteer.names import split_name
from mzgis.gazetteer.romanize import load_readings, romanize, syllables

PUBLISHED = [
    ("路南街道", "Lunan Jiedao"),
    ("六安市", "Lu'an Shi"),
    ("单县", "Shan Xian"),
    ("台州市", "Taizhou Shi"),
    ("天台县", "Tiantai Xian"),
    ("西安市", "Xi'an Shi"),
    ("长治市", "Changzhi Shi"),
    ("长子县", "Zhangzi Xian"),
    ("洪洞县", "Hongtong Xian"),
    ("乐清市", "Yueqing Shi"),
    ("乐亭县", "Laoting Xian"),
    ("东阿县", "Dong'e Xian"),
    ("蚌埠市", "Bengbu Shi"),
    ("番禺区", "Panyu Qu"),
    ("厦门市", "Xiamen Shi"),
    ("铅山县", "Yanshan Xian"),
    ("吕梁市", "Lüliang Shi"),
    ("黄陂区", "Huangpi Qu"),
    ("盱眙县", "Xuyi Xian"),
    ("路桥区", "Luqiao Qu"),
    ("椒江区", "Jiaojiang Qu"),
    ("黄岩区", "Huangyan Qu"),
    ("温岭市", "Wenling Shi"),
    ("方林村", "Fanglin Cun"),
    ("和兴社区", "Hexing Shequ"),
    ("峰江街道", "Fengjiang Jiedao"),
    ("长浦社区", "Changpu Shequ"),
]


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
