"""Searching place names: Chinese (exact, prefix, contains), full pinyin, initials (路南街道 → lnjd),
typo-tolerant pinyin, with filters and near a point; ranked, with the form that matched.

The ranking (:func:`search_names`) asks a :class:`mzgis.lookup.NameSource` for candidates: names whose name,
pinyin key or initials start with a key (in key order), names containing a text (in id order), names whose
pinyin starts with a string one edit from the query. Two sources answer alike: :class:`NameIndex`, built in
memory from the gazetteer's records (sorted arrays and n-gram postings, so a query touches only its
candidates), and the database's own indexes (``mzgis.store.postgis.names``), so a server on a database loads
nothing at start-up. Each lookup takes its first ``cap`` candidates in its order, then the filters apply:
both sources give the same hits for the same names.
"""

from __future__ import annotations

import bisect
import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from mzgis.gazetteer.near import distance_m
from mzgis.gazetteer.romanize import Readings, load_readings, syllables
from mzgis.layers import LIMITS
from mzgis.lookup import (
    END,
    KEYS,
    Filters,
    IndexRecord,
    NameSource,
    StoredNames,
    one_edit_variants,
    pinyin_keys,
    shared_prefix,
)

__all__ = [
    "KEYS",
    "MAX_QUERY",
    "Filters",
    "IndexRecord",
    "Merged",
    "NameIndex",
    "NameSource",
    "SearchHit",
    "StoredNames",
    "one_edit_variants",
    "pinyin_keys",
    "search_names",
    "shared_prefix",
]

_CJK = re.compile(r"[\u3400-\u9fff]")
_VOWEL = re.compile("[aeiouü]")
_NOT_PINYIN = re.compile("[^a-zü]")
_FUZZY_BELOW = 5  # look for typos when fewer matches than this
_SCORES = {
    "name": 100.0,
    "pinyin": 95.0,
    "initials": 90.0,
    "name_prefix": 80.0,
    "pinyin_prefix": 75.0,
    "initials_prefix": 70.0,
    "name_contains": 60.0,
    "homophone": 55.0,  # Chinese typed with the wrong character of the same sound (芳林 for 方林)
    "fuzzy": 50.0,  # one edit: scored 40
    "near": 0.0,
    "listed": 0.0,  # no query and no point: the names that pass the filters
}
MAX_QUERY = LIMITS.query_chars
NO_FILTERS = Filters()
_PREFIX_CAP = 5000  # prefix matches collected before ranking (a one-letter query matches many)


class SearchHit(NamedTuple):
    """A ranked result: the record, its score, how it matched and, near a point, its distance."""

    record: IndexRecord
    score: float
    matched: str
    distance_m: float | None = None


class Merged:
    """A store's names with some held in memory (names whose stored pinyin is missing), the latter taking
    precedence for the names both hold."""

    def __init__(self, stored: NameSource, held: NameIndex) -> None:
        self.stored, self.held = stored, held

    def starting(self, kind: str, key: str, cap: int, filters: Filters) -> list[tuple[IndexRecord, str]]:
        held = self.held.starting(kind, key, cap, filters)
        ids = {rec.id for rec, _ in held}
        both = [h for h in self.stored.starting(kind, key, cap, filters) if h[0].id not in ids] + held
        return sorted(both, key=lambda h: (h[1], h[0].id))[:cap]

    def containing(self, text: str, cap: int, filters: Filters) -> list[IndexRecord]:
        held = self.held.containing(text, cap, filters)
        ids = {rec.id for rec in held}
        both = [r for r in self.stored.containing(text, cap, filters) if r.id not in ids] + held
        return sorted(both, key=lambda r: r.id)[:cap]

    def one_edit(self, q: str, cap: int, filters: Filters) -> list[IndexRecord]:
        return self.stored.one_edit(q, cap, filters) + self.held.one_edit(q, cap, filters)


def _grams(text: str, n: int) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)}


class NameIndex:
    """An in-memory index of place names (a :class:`NameSource`)."""

    def __init__(
        self, records: Iterable[IndexRecord], *, readings: Readings | None = None, previous: NameIndex | None = None
    ) -> None:
        """``previous``: the index this one replaces (with the same readings); the pinyin of the names it
        knew is taken over, so a rebuild after a few edits works out only the new names' pinyin."""
        readings = readings or load_readings()
        self.readings = readings
        self.records: list[IndexRecord] = sorted(records, key=lambda r: r.id)
        self._position = {rec.id: i for i, rec in enumerate(self.records)}
        # name → (pinyin, initials): working out the syllables is most of the build
        self._spelled: dict[str, tuple[str, str]] = previous._spelled if previous is not None else {}
        keys: dict[str, list[str]] = {"name": [rec.name for rec in self.records], "pinyin": [], "initials": []}
        for rec in self.records:
            spelled = self._spelled.get(rec.name)
            if spelled is None:
                pinyin = rec.pinyin if rec.pinyin is not None else " ".join(syllables(rec.name, readings=readings))
                spelled = self._spelled[rec.name] = pinyin_keys(pinyin)
            keys["pinyin"].append(spelled[0])
            keys["initials"].append(spelled[1])
        self.pinyin, self.initials = keys["pinyin"], keys["initials"]  # per record, in id order
        n = len(self.records)
        # each key's positions in key order (ties by id: the records are in id order and the sort is stable)
        self._order = {kind: sorted(range(n), key=values.__getitem__) for kind, values in keys.items()}
        self._sorted = {kind: [keys[kind][i] for i in self._order[kind]] for kind in KEYS}
        self._chars: dict[str, list[int]] = defaultdict(list)
        self._bigrams: dict[str, list[int]] = defaultdict(list)
        for i, rec in enumerate(self.records):
            for ch in set(rec.name):
                self._chars[ch].append(i)
            for g in _grams(rec.name, 2):
                self._bigrams[g].append(i)

    def __len__(self) -> int:
        return len(self.records)

    def record(self, fid: int) -> IndexRecord | None:
        i = self._position.get(fid)
        return None if i is None else self.records[i]

    def records_of(self, ids: Iterable[int]) -> list[IndexRecord]:
        return [self.records[self._position[i]] for i in ids if i in self._position]

    def _range(self, kind: str, prefix: str, cap: int) -> range:
        keys = self._sorted[kind]
        lo = bisect.bisect_left(keys, prefix)
        return range(lo, bisect.bisect_left(keys, prefix + END, lo, min(len(keys), lo + cap)))

    def starting(self, kind: str, key: str, cap: int, filters: Filters) -> list[tuple[IndexRecord, str]]:
        order, keys = self._order[kind], self._sorted[kind]
        return [(self.records[order[pos]], keys[pos]) for pos in self._range(kind, key, cap)]

    def containing(self, text: str, cap: int, filters: Filters) -> list[IndexRecord]:
        """Candidates from the rarest character pair (or the character), verified, in id order."""
        if len(text) == 1:
            return [self.records[i] for i in self._chars.get(text, [])[:cap]]
        postings = min((self._bigrams.get(g, []) for g in _grams(text, 2)), key=len)
        out: list[IndexRecord] = []
        for i in postings:
            if text in self.records[i].name:
                out.append(self.records[i])
                if len(out) >= cap:
                    break
        return out

    def one_edit(self, q: str, cap: int, filters: Filters) -> list[IndexRecord]:
        keys = self._sorted["pinyin"]
        at = bisect.bisect_left(keys, q)
        shared = shared_prefix(q, keys[max(0, at - 1) : at + 1])
        out: list[IndexRecord] = []
        for v in one_edit_variants(q, shared):
            out += [rec for rec, _ in self.starting("pinyin", v, cap, filters)]
        return out

    def search(
        self,
        query: str = "",
        *,
        category: str | None = None,
        township: str | None = None,
        status: str | None = None,
        near: tuple[float, float] | None = None,
        within_m: float | None = None,
        limit: int = 20,
        nearby: Iterable[int] | None = None,
    ) -> list[SearchHit]:
        """:func:`search_names` on this index."""
        return search_names(
            self,
            query,
            readings=self.readings,
            filters=Filters(category, township, status),
            near=near,
            within_m=within_m,
            limit=limit,
            nearby=self.records_of(nearby) if nearby is not None else (self.records if not query.strip() else None),
        )


def search_names(
    source: NameSource,
    query: str = "",
    *,
    readings: Readings,
    filters: Filters = NO_FILTERS,
    near: tuple[float, float] | None = None,
    within_m: float | None = None,
    limit: int = 20,
    nearby: Sequence[IndexRecord] | None = None,
) -> list[SearchHit]:
    """Ranked hits for ``query`` (Chinese, pinyin or initials) from ``source``; with no query, ``nearby`` (the
    names near ``near`` a spatial index found) ranked by distance, or without a point either, the names that
    pass the filters in the order of their pinyin."""
    q = query.strip()
    found: dict[int, tuple[float, str, IndexRecord]] = {}
    # without filters, the first `limit` matches of each lookup in key order hold the best `limit`
    # (an exact key sorts first in its prefix range; the rest of a range scores the same)
    cap = _PREFIX_CAP if (filters or near) else limit

    def offer(recs: Iterable[IndexRecord], how: str, penalty: float = 0.0) -> None:
        score = _SCORES[how] - penalty
        for rec in recs:
            if rec.id not in found or found[rec.id][0] < score:
                found[rec.id] = (score, how, rec)

    def offer_keyed(hits: list[tuple[IndexRecord, str]], key: str, exact: str, prefix: str) -> None:
        offer((rec for rec, k in hits if k == key), exact)
        offer((rec for rec, k in hits if k != key), prefix)

    if not q and near is not None:
        offer(nearby or [], "near")
    elif not q:  # a listing: the pinyin index in its order (a filtered one from its first 5,000 names)
        listed = [rec for rec, _ in source.starting("pinyin", "", cap, filters) if filters.passes(rec)]
        return [SearchHit(rec, _SCORES["listed"], "listed", None) for rec in listed[:limit]]
    elif _CJK.search(q):
        offer_keyed(source.starting("name", q, cap, filters), q, "name", "name_prefix")
        if len(found) < cap:  # names that merely contain the text rank below every prefix match
            offer(source.containing(q, cap, filters), "name_contains")
        if len(found) < cap:  # the usual input-method slip: a character of the same sound
            sound = pinyin_keys(" ".join(syllables(q, readings=readings)))[0]
            if len(sound) >= 2:
                offer((rec for rec, _ in source.starting("pinyin", sound, cap, filters)), "homophone")
    else:
        key = _NOT_PINYIN.sub("", q.lower().replace("v", "ü"))
        if key:
            offer_keyed(source.starting("pinyin", key, cap, filters), key, "pinyin", "pinyin_prefix")
            offer_keyed(source.starting("initials", key, cap, filters), key, "initials", "initials_prefix")
            # typos in pinyin, when the text as typed finds (almost) nothing; a run of initials
            # (no vowel, like lnjd) has nothing to correct
            if len(key) >= 3 and len(found) < min(limit, _FUZZY_BELOW) and _VOWEL.search(key):
                offer(source.one_edit(key, cap, filters), "fuzzy", penalty=10.0)
    ranked: list[tuple[tuple[float, float, bool, int, str, int], float | None, str, IndexRecord]] = []
    for score, how, rec in found.values():
        if not filters.passes(rec):
            continue
        dist = _distance_m(near, rec) if near else None
        if near and (dist is None or (within_m is not None and dist > within_m)):
            continue
        order = (-score, dist or 0.0, rec.status != "current", len(rec.name), rec.name, rec.id)
        ranked.append((order, dist, how, rec))
    best = heapq.nsmallest(limit, ranked, key=lambda r: r[0])
    return [SearchHit(rec, -o[0], how, dist) for o, dist, how, rec in best]


def _distance_m(near: tuple[float, float], rec: IndexRecord) -> float | None:
    """Distance on the sphere (ranking and display)."""
    return None if rec.lon is None or rec.lat is None else distance_m(near[0], near[1], rec.lon, rec.lat)
