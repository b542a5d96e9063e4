"""Place-name structure: splitting a name into specific (专名) and generic (通名) with the generic lists."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

__all__ = ["all_generics", "generics_by_category", "name_parts", "split_name"]


@lru_cache(maxsize=1)
def generics_by_category() -> dict[str, tuple[str, ...]]:
    """Generic terms per place-name category (from ``data/generics.toml``)."""
    text = resources.files("mzgis.gazetteer").joinpath("data/generics.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)["generics"]
    return {category: tuple(terms) for category, terms in data.items()}


@lru_cache(maxsize=1)
def all_generics() -> tuple[str, ...]:
    """Every generic term, longest first."""
    terms = {t for terms in generics_by_category().values() for t in terms}
    return tuple(sorted(terms, key=lambda t: (-len(t), t)))


@lru_cache(maxsize=1 << 20)
def split_name(name: str, category: str | None = None) -> tuple[str, str]:
    """(specific, generic) of ``name``: the longest generic (of ``category``, or of any category when it is
    not given) that leaves a non-empty specific. A name with no known generic is all specific.

    The category matters: 长浦新村 as a village committee's name is 长浦新 + 村, as a settlement 长浦 + 新村.
    """
    terms = all_generics()
    if category is not None:
        mine = set(generics_by_category().get(category, ()))
        terms = tuple(t for t in terms if t in mine)
    for term in terms:
        if name.endswith(term) and len(name) > len(term):
            return name[: -len(term)], term
    return name, ""


def name_parts(name: str, category: str | None = None, generic: str | None = None) -> tuple[str, str]:
    """(specific, generic): a given generic when it ends the name, else the category's longest generic,
    else any known generic."""
    if generic and name.endswith(generic) and len(name) > len(generic):
        return name[: -len(generic)], generic
    parts = split_name(name, category)
    return parts if parts[1] or category is None else split_name(name)
