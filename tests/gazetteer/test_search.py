from __future__ import annotations

import pytest

from mzgis.gazetteer.search import Filters, IndexRecord, NameIndex, SearchHit

RECORDS = [
    IndexRecord(1, "路南街道", "administrative_area", "331004001", "current", 121.37, 28.55, "Lunan Jiedao"),
    IndexRecord(2, "路桥街道", "administrative_area", "331004002", "current", 121.39, 28.58, "Luqiao Jiedao"),
    IndexRecord(3, "方林村", "self_governing_org", "331004001202", "current", 121.36, 28.56, "Fanglin Cun"),
    IndexRecord(4, "方林社区", "self_governing_org", "331004001002", "current", 121.365, 28.555, "Fanglin Shequ"),
    IndexRecord(5, "南官河", "land_water_body", "331004002", "current", 121.40, 28.58, "Nanguan He"),
    IndexRecord(6, "路南老街", "transport_facility", "331004001", "retired", 121.371, 28.551, "Lunan Laojie"),
]


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(RECORDS)


def ids(hits: list[SearchHit]) -> list[tuple[int, str]]:
    return [(h.record.id, h.matched) for h in hits]


def test_chinese_exact_prefix_contains(index: NameIndex) -> None:
    assert ids(index.search("路南街道")) == [(1, "name")]
    assert ids(index.search("路南")) == [(1, "name_prefix"), (6, "name_prefix")]
    assert ids(index.search("林")) == [(3, "name_contains"), (4, "name_contains")]


def test_full_pinyin_and_initials(index: NameIndex) -> None:
    assert ids(index.search("lunanjiedao")) == [(1, "pinyin")]
    assert ids(index.search("Lunan Jiedao")) == [(1, "pinyin")]
    assert ids(index.search("lnjd")) == [(1, "initials")]
    assert ids(index.search("fanglin")) == [(3, "pinyin_prefix"), (4, "pinyin_prefix")]
    assert ids(index.search("fl")) == [(3, "initials_prefix"), (4, "initials_prefix")]


def test_typo_tolerant_pinyin(index: NameIndex) -> None:
    hits = index.search("fanglim")
    assert ids(hits) == [(3, "fuzzy"), (4, "fuzzy")]
    assert hits[0].score == 40.0  # one edit
    assert ids(index.search("nanguanhe")) == [(5, "pinyin")]
    assert ids(index.search("nanguamhe")) == [(5, "fuzzy")]
    assert ids(index.search("nagnuanhe")) == [(5, "fuzzy")]  # two neighbours swapped
    assert ids(index.search("nanguanxe")) == [(5, "fuzzy")]
    assert ids(index.search("nnguanhe")) == [(5, "fuzzy")]  # a letter left out


def test_filters(index: NameIndex) -> None:
    assert ids(index.search("路南", status="current")) == [(1, "name_prefix")]
    assert ids(index.search("fl", category="self_governing_org", township="331004001")) == [
        (3, "initials_prefix"),
        (4, "initials_prefix"),
    ]
    assert ids(index.search("fl", township="331004002")) == []


def test_near_a_point(index: NameIndex) -> None:
    hits = index.search(near=(121.37, 28.55), limit=2)
    assert ids(hits) == [(1, "near"), (6, "near")]
    assert hits[0].distance_m == pytest.approx(0.0, abs=0.01)
    assert hits[1].distance_m == pytest.approx(150.0, rel=0.02)
    assert ids(index.search(near=(121.37, 28.55), within_m=100)) == [(1, "near")]
    assert ids(index.search("路南", near=(121.37, 28.55), within_m=1000)) == [(1, "name_prefix"), (6, "name_prefix")]


def test_without_a_query_or_a_point_the_names_that_pass_the_filters_are_listed_by_pinyin(index: NameIndex) -> None:
    # Fanglin Cun, Fanglin Shequ, Lunan Jiedao, Lunan Laojie (retired), Luqiao Jiedao, Nanguan He
    assert ids(index.search()) == [
        (3, "listed"),
        (4, "listed"),
        (1, "listed"),
        (6, "listed"),
        (2, "listed"),
        (5, "listed"),
    ]
    assert ids(index.search(limit=2)) == [(3, "listed"), (4, "listed")]
    assert ids(index.search(township="331004001", status="current")) == [(3, "listed"), (4, "listed"), (1, "listed")]
    assert ids(index.search(status="retired")) == [(6, "listed")]


def test_a_rebuild_takes_over_the_previous_pinyin() -> None:
    first = NameIndex([IndexRecord(1, "路南街道", "admin_unit", "331004001", "current")])
    second = NameIndex(
        [
            IndexRecord(1, "路南街道", "admin_unit", "331004001", "current"),
            IndexRecord(2, "金清大桥", "transport_facility", "331004106", "current"),
        ],
        previous=first,
    )
    assert [h.record.name for h in second.search("jqdq")] == ["金清大桥"]  # a new name is spelled
    assert [h.record.name for h in second.search("lnjd")] == ["路南街道"]
    assert second._spelled is first._spelled and first._spelled["金清大桥"] == ("jinqingdaqiao", "jqdq")


def test_typo_search_stops_where_no_pinyin_shares_the_head(index: NameIndex) -> None:
    import tracemalloc

    assert ids(index.search("lunanjiedaox")) == [(1, "fuzzy")]  # a typo at the very end is still found
    # the typo walk stops at the first position no stored pinyin shares, so its cost grows with the query's
    # length, not with its square (the old walk built 55 full-length variants per letter: 0.9 GB at 4,000)
    peaks = {}
    for length in (2_400, 24_000):
        query = "nanguanhe" + "q" * (length - 9)
        tracemalloc.start()
        assert index.one_edit(query, 20, Filters()) == []
        peaks[length] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[24_000] < 15 * peaks[2_400] and peaks[24_000] < 20_000_000, peaks


def test_queries_longer_than_any_name_are_refused(demo_store) -> None:  # type: ignore[no-untyped-def]
    from mzgis.errors import BadInput
    from mzgis.gazetteer.service import Gazetteer

    gaz = Gazetteer(demo_store)
    assert len(gaz.search("l" * 240)) == 0
    with pytest.raises(BadInput, match=r"查询词过长\(最多 240 个字符,收到 4000 个\)"):
        gaz.search("l" * 4000)


def test_a_character_of_the_same_sound_finds_the_name() -> None:
    """An input-method slip: 芳林 for 方林, 金青镇 for 金清镇, 锋江 for 峰江; exact names rank first."""
    index = NameIndex(
        [
            IndexRecord(1, "方林村", "self_governing_org", "331004001208", "current"),
            IndexRecord(2, "金清镇", "administrative_area", "331004106", "current"),
            IndexRecord(3, "峰江街道", "administrative_area", "331004104", "current"),
            IndexRecord(4, "芳林小区", "settlement", "331004001", "current"),
        ]
    )
    assert ids(index.search("金青镇")) == [(2, "homophone")]
    assert ids(index.search("锋江")) == [(3, "homophone")]
    assert ids(index.search("芳林")) == [(4, "name_prefix"), (1, "homophone")]  # the name as typed first
