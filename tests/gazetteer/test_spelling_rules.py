"""The 1984 rules for spelling Chinese place names (中国地名汉语拼音字母拼写规则(汉语地名部分), 中地字第17号),
rule by rule with the rules' own examples (tests/data/README.md gives the source). The split is
split_name's (the longest generic at the end), as for any name typed without a generic."""

from __future__ import annotations

import pytest

from mzgis.gazetteer.names import split_name
from mzgis.gazetteer.romanize import chinese_number, romanize, spelling
from mzgis.gazetteer.service import romanize_name


def spelled(name: str) -> str:
    return romanize(*split_name(name))


@pytest.mark.parametrize(
    ("name", "expected"),
    [  # rule 1: specific and generic apart, with generics of natural features and transport
        ("太行山", "Taihang Shan"),
        ("松花江", "Songhua Jiang"),
        ("汾河", "Fen He"),
        ("太湖", "Tai Hu"),
        ("舟山群岛", "Zhoushan Qundao"),
        ("台湾海峡", "Taiwan Haixia"),
        ("青藏高原", "Qingzang Gaoyuan"),
        ("密云水库", "Miyun Shuiku"),
        ("大运河", "Da Yunhe"),
        ("永丰渠", "Yongfeng Qu"),
        ("西藏自治区", "Xizang Zizhiqu"),
        ("江苏省", "Jiangsu Sheng"),
        ("襄樊市", "Xiangfan Shi"),
        ("通县", "Tong Xian"),
        ("西峰镇", "Xifeng Zhen"),
        ("虹口区", "Hongkou Qu"),
        ("友谊乡", "Youyi Xiang"),
        ("京津公路", "Jingjin Gonglu"),
        ("南京路", "Nanjing Lu"),
        ("滨江道", "Binjiang Dao"),
        ("横街", "Heng Jie"),
        ("长安街", "Chang'an Jie"),
        ("大马路", "Da Malu"),
        ("梧桐巷", "Wutong Xiang"),
        ("门框胡同", "Menkuang Hutong"),
    ],
)
def test_rule_1_specific_and_generic_apart(name: str, expected: str) -> None:
    assert spelled(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [  # rule 2: a single-syllable modifier joins what it modifies
        ("西辽河", "Xiliao He"),
        ("潮白新河", "Chaobai Xinhe"),
        ("新通扬运河", "Xintongyang Yunhe"),
        ("北雁荡山", "Beiyandang Shan"),
        ("老秃顶子山", "Laotudingzi Shan"),
        ("小金门岛", "Xiaojinmen Dao"),
        ("景山后街", "Jingshan Houjie"),
        ("造币左路", "Zaobi Zuolu"),
        ("清波门直街", "Qingbomen Zhijie"),
        ("后赵家楼胡同", "Houzhaojialou Hutong"),
        ("朝阳门内大街", "Chaoyangmennei Dajie"),
        ("南小街", "Nan Xiaojie"),
        ("小南街", "Xiao Nanjie"),
        # ... but after a one-character specific that is no modifier, the word belongs to the specific
        ("椒北公园", "Jiaobei Gongyuan"),
        ("鸿西路", "Hongxi Lu"),
        ("范东路", "Fandong Lu"),
        ("南横东街", "Nanheng Dongjie"),
        ("修文西小巷", "Xiuwen Xixiaoxiang"),
        ("东直门外南后街", "Dongzhimenwai Nanhoujie"),
        # a modifier after a modifier: the direction and its modifier go with the generic (大 stands alone)
        ("大东南街", "Da Dongnanjie"),
        # a division's name is one specific: its last character stays with it, modifier or not
        ("新城东镇", "Xinchengdong Zhen"),
        # a specific that is a place keeps its last character: 湖北 is a province
        ("湖北路", "Hubei Lu"),
        ("解放北路", "Jiefang Beilu"),
        # a modifier of two syllables or more stands apart (with its direction); alone it is the specific
        ("广安门北滨河路", "Guang'anmen Beibinhe Lu"),
        ("台州湾滨海大道", "Taizhouwan Binhai Dadao"),
        ("西湖环湖路", "Xihu Huanhu Lu"),
        ("滨河路", "Binhe Lu"),
    ],
)
def test_rule_2_modifiers(name: str, expected: str) -> None:
    assert spelled(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [  # rule 3: natural villages and towns are one word
        ("王村", "Wangcun"),
        ("江镇", "Jiangzhen"),
        ("周口店", "Zhoukoudian"),
        ("文家市", "Wenjiashi"),
        ("油坊桥", "Youfangqiao"),
        ("铁匠营", "Tiejiangying"),
        ("大虎山", "Dahushan"),
        ("太平沟", "Taipinggou"),
        ("三岔河", "Sanchahe"),
        ("龙王集", "Longwangji"),
        ("龚家棚", "Gongjiapeng"),
        ("第六屯", "Diliutun"),
        ("十里堡", "Shilipu"),  # and rule 8: 堡 read pu here
    ],
)
def test_rule_3_natural_villages_are_one_word(name: str, expected: str) -> None:
    assert romanize_name(name, "settlement", subcategory="natural_village") == expected
    assert romanize(*split_name(name), joined=True) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [  # rule 4: a generic that became part of the name is specific; rule 5: persons' names in one word
        ("渤海湾", "Bohai Wan"),
        ("黑龙江省", "Heilongjiang Sheng"),
        ("景德镇市", "Jingdezhen Shi"),
        ("解放路南小街", "Jiefanglu Nanxiaojie"),
        ("包头胡同东巷", "Baotouhutong Dongxiang"),
        ("左权县", "Zuoquan Xian"),
        ("张之洞路", "Zhangzhidong Lu"),
        ("欧阳海水库", "Ouyanghai Shuiku"),
    ],
)
def test_rules_4_and_5(name: str, expected: str) -> None:
    assert spelled(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [  # rule 6: numerals spelled; rule 7: codes and street ordinals in Arabic numerals
        ("五指山", "Wuzhi Shan"),
        ("九龙江", "Jiulong Jiang"),
        ("三门峡", "Sanmen Xia"),
        ("二道沟", "Erdao Gou"),
        ("第二松花江", "Di'er Songhua Jiang"),
        ("三眼井胡同", "Sanyanjing Hutong"),
        ("八角场东街", "Bajiaochang Dongjie"),
        ("三八路", "Sanba Lu"),
        ("五一广场", "Wuyi Guangchang"),
        ("1203高地", "1203 Gaodi"),
        ("1718峰", "1718 Feng"),
        ("二马路", "2 Malu"),
        ("经五路", "Jing 5 Lu"),
        ("三环路", "3 Huanlu"),
        ("大川淀一巷", "Dachuandian 1 Xiang"),
        ("第九弄", "Di-9 Long"),
        ("东四十二条", "Dongsi 12 Tiao"),  # 东四 is a place (a division's specific): the ordinal is 十二
        ("东四十条", "Dongsi 10 Tiao"),
        ("东十二条", "Dong 12 Tiao"),  # no place 东十: the ordinal is all of 十二
        ("中山二路", "Zhongshan 2 Lu"),
    ],
)
def test_rules_6_and_7_numbers(name: str, expected: str) -> None:
    assert spelled(name) == expected


def test_rules_8_to_12_readings_capitals_apostrophes_and_er() -> None:
    assert romanize("吴堡") == "Wubu"  # rule 8: 堡 read bu in 吴堡 (陕西)
    assert romanize("大黄堡") == "Dahuangbao"
    assert romanize("西安", "市", tones=True) == "Xī'ān Shì"  # rule 9: tones where wanted
    assert [romanize(n) for n in ("西安", "建瓯", "天峨")] == ["Xi'an", "Jian'ou", "Tian'e"]  # rules 10, 11
    assert spelled("盆儿胡同") == "Penr Hutong"  # rule 12: 儿 after a syllable is r


def test_minority_generic_apart_and_the_split_shown() -> None:
    assert romanize_name("西七家子嘎查", "self_governing_org") == "Xiqijiazi Gacha"
    words = spelling(*split_name("东直门外南后街")).words
    assert words == (("东直门外", "Dongzhimenwai"), ("南后街", "Nanhoujie"))
    assert spelling(*split_name("经五路")).split == "经 | 五 | 路"


def test_chinese_numbers() -> None:
    assert [chinese_number(t) for t in ("五", "十", "十二", "二十", "一百零五", "两", "12")] == [
        5,
        10,
        12,
        20,
        105,
        2,
        12,
    ]
    assert chinese_number("三八") is None and chinese_number("五一") is None  # names, read digit by digit
