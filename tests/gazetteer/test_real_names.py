"""The naming rules on names that exist and on names the clean-up campaigns listed.

Real names: a fixed sample of 3,000 township- and village-level names from the bundled national division
list (NBS 2023): error-level findings on at most 0.5 % of them, each one explained in
tests/data/real_name_exceptions.csv. Non-standard names: tests/data/nonstandard_names.csv, names from the
public lists of the 2019 clean-up (sources in tests/data/README.md), every one caught.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from mzgis.divisions import division_names, place_name
from mzgis.gazetteer.rules import NameRecord, check_name, load_rules

DATA = Path(__file__).resolve().parents[1] / "data"
ADMIN_ENDINGS = ("街道", "镇", "乡", "苏木", "区公所")


def real_sample() -> list[NameRecord]:
    """1,000 township-level and 2,000 village-level units, drawn with a fixed seed; townships that end in an
    administrative generic are administrative areas, the others (farms, zones, prisons …) non-administrative
    areas; villages by their place name (the committee suffix dropped) as self-governing organisations."""
    names = division_names()
    rng = random.Random(2023)
    towns = rng.sample(sorted(c for c in names if len(c) == 9), 1000)
    villages = rng.sample(sorted(c for c in names if len(c) == 12), 2000)
    out = [
        NameRecord(
            names[c], "administrative_area" if names[c].endswith(ADMIN_ENDINGS) else "non_administrative_area", c
        )
        for c in towns
    ]
    return out + [NameRecord(place_name(names[c]), "self_governing_org", c) for c in villages]


def test_real_names_pass_the_rules_but_for_the_explained_few() -> None:
    rules = load_rules()
    sample = real_sample()
    errors = sorted(
        {(rec.name, f.rule) for rec in sample for f in check_name(rec, [], rules=rules) if f.severity == "error"}
    )
    with (DATA / "real_name_exceptions.csv").open(encoding="utf-8") as fh:
        explained = sorted((r["name"], r["rule"]) for r in csv.DictReader(fh))
    assert len(sample) == 3000
    assert errors == explained  # a new error on a real name, or an explained one that no longer occurs, fails
    assert len(errors) / len(sample) <= 0.005


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("石桥路", "transport_facility"),  # 桥 ends the specific: a stone bridge, not a stacked generic
        ("路桥大道", "transport_facility"),
        ("前村村", "self_governing_org"),  # the natural village 前村
        ("桑村社区", "self_governing_org"),
        ("滨河小区第一社区", "self_governing_org"),  # 第一 numbers the community
        ("西七家子嘎查", "self_governing_org"),  # 嘎查: the village generic in Inner Mongolia
        ("宝马村", "self_governing_org"),  # a historic village: the brand only warns
        ("董市镇", "administrative_area"),
    ],
)
def test_standing_names_from_the_issue_have_no_errors(name: str, category: str) -> None:
    findings = check_name(NameRecord(name, category, "331004001"), [], rules=load_rules())
    assert [f.rule for f in findings if f.severity == "error"] == []


def test_a_historic_brand_warns_and_a_new_one_is_an_error() -> None:
    village = check_name(NameRecord("宝马村", "self_governing_org", "331004001"), [], rules=load_rules())
    road = check_name(NameRecord("宝马大道", "transport_facility", "331004001"), [], rules=load_rules())
    assert [(f.rule, f.severity) for f in village] == [("brand", "warning")]
    assert [(f.rule, f.severity) for f in road] == [("brand", "error")]


def nonstandard() -> list[dict[str, str]]:
    with (DATA / "nonstandard_names.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_catalogue_of_nonstandard_names_is_public_and_large_enough() -> None:
    rows = nonstandard()
    public = [r for r in rows if r["source"] != "issue-14"]
    assert len(public) >= 100 and len({r["name"] for r in rows}) == len(rows)
    assert {r["class"] for r in rows} <= {"大", "洋", "怪", "重"}


@pytest.mark.parametrize("row", nonstandard(), ids=lambda r: r["name"])
def test_every_listed_nonstandard_name_is_caught(row: dict[str, str]) -> None:
    findings = check_name(NameRecord(row["name"], row["category"], "331004001"), [], rules=load_rules())
    errors = [f for f in findings if f.severity == "error"]
    assert errors, [f.rule for f in findings]
