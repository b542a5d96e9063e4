"""What a place-name search asks a source for, shared by the gazetteer's ranking and the stores that answer
it from their own indexes (a database): the records, the filters, the search keys of a stored pinyin and the
strings one edit from a query. Pure data and functions; no store, no ranking."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "END",
    "KEYS",
    "Filters",
    "IndexRecord",
    "NameSource",
    "StoredNames",
    "one_edit_variants",
    "pinyin_keys",
    "shared_prefix",
]

_KEY_SYLLABLE = re.compile("[A-Za-zü]+")  # a syllable of the stored pinyin that search keys keep
KEYS = ("name", "pinyin", "initials")  # what a name is looked up by, each in its own order
END = "\U0010ffff"  # sorts after every character: a prefix's keys are those in [prefix, prefix + END)


@dataclass(frozen=True)
class IndexRecord:
    """What the index keeps of a name."""

    id: int
    name: str
    category: str
    admin_code: str
    status: str
    lon: float | None = None
    lat: float | None = None
    romanized: str = ""
    pinyin: str | None = None  # as stored (syllables apart), when it follows the index's readings


@dataclass(frozen=True)
class Filters:
    """A search's filters: the category, a unit (an admin code prefix) and the status."""

    category: str | None = None
    township: str | None = None
    status: str | None = None

    def __bool__(self) -> bool:
        return bool(self.category or self.township or self.status)

    def passes(self, rec: IndexRecord) -> bool:
        return (
            (not self.category or rec.category == self.category)
            and (not self.township or rec.admin_code.startswith(self.township))
            and (not self.status or rec.status == self.status)
        )


class NameSource(Protocol):
    """Candidates for a search. Each lookup takes its first ``cap`` candidates in its order, then keeps those
    passing ``filters`` (which a source may leave to the ranking: it applies them again)."""

    def starting(self, kind: str, key: str, cap: int, filters: Filters) -> list[tuple[IndexRecord, str]]:
        """Names whose ``kind`` (one of :data:`KEYS`) starts with ``key``, with that key, in key order (ties
        by id)."""
        ...

    def containing(self, text: str, cap: int, filters: Filters) -> list[IndexRecord]:
        """Names containing ``text``, in id order."""
        ...

    def one_edit(self, q: str, cap: int, filters: Filters) -> list[IndexRecord]:
        """Names whose pinyin key starts with one of :func:`one_edit_variants` of ``q``, the first ``cap`` of
        each variant (the longest prefix of ``q`` any key shares bounds the variants)."""
        ...


class StoredNames(NameSource, Protocol):
    """A store's own name search (its indexes), with the nearest names on the sphere."""

    def nearest(
        self, lon: float, lat: float, limit: int, *, within_m: float | None, filters: Filters
    ) -> list[IndexRecord]: ...


def pinyin_keys(pinyin: str) -> tuple[str, str]:
    """A stored pinyin's search keys: its letters run together and its initials (``lu nan jie dao`` →
    ``lunanjiedao``, ``lnjd``). Syllables of other characters (digits, marks) are left out. The database's
    ``mzgis_pinyin_key`` and ``mzgis_initials`` compute the same (``mzgis.store.postgis.names``)."""
    sylls = [s.lower() for s in pinyin.split(" ") if _KEY_SYLLABLE.fullmatch(s)]
    return "".join(sylls), "".join(s[0] for s in sylls)


def shared_prefix(q: str, neighbours: Iterable[str]) -> int:
    """The longest prefix of ``q`` that some stored key starts with, given the keys next to ``q`` in key
    order (the one before and the one after it: no other key shares more)."""
    best = 0
    for key in neighbours:
        n = 0
        while n < len(q) and n < len(key) and q[n] == key[n]:
            n += 1
        best = max(best, n)
    return best


def one_edit_variants(q: str, shared: int) -> list[str]:
    """The strings one edit from ``q`` (a letter substituted, inserted or left out, or two neighbours swapped)
    that change it at a position up to ``shared``: a variant changing a later position starts with more of
    ``q`` than any stored key does, and finds nothing. The work so grows with the longest key, whatever the
    query's length."""
    letters = "abcdefghijklmnopqrstuvwxyzü"
    seen = {q}
    out: list[str] = []
    for i in range(min(shared, len(q)) + 1):
        head, tail = q[:i], q[i:]
        variants = [head + c + tail for c in letters]  # insertion
        if tail:
            variants += [head + c + tail[1:] for c in letters]  # substitution
            variants.append(head + tail[1:])  # deletion
        if len(tail) > 1:
            variants.append(head + tail[1] + tail[0] + tail[2:])  # swap
        for v in variants:
            if len(v) >= 2 and v not in seen:
                seen.add(v)
                out.append(v)
    return out
