"""Searching place names: Chinese (exact, prefix, contains), full pinyin, initials (路南街道 → lnjd),
typo-tolerant pinyin, with filters and near a point; ranked, with the form that matched.

:class:`NameIndex` is built once from the gazetteer's records (pure data in, pure data out) and answers
queries from sorted arrays and n-gram postings, so a query touches only its candidates.
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from mzgis.gazetteer.romanize import Readings, load_readings, syllables
from mzgis.layers import LIMITS

__all__ = ["MAX_QUERY", "IndexRecord", "NameIndex", "SearchHit"]

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
}
MAX_QUERY = LIMITS.query_chars
_PREFIX_CAP = 5000  # prefix matches collected before ranking (a one-letter query matches many)


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


class SearchHit(NamedTuple):
    """A ranked result: the record, its score, how it matched and, near a point, its distance."""

    record: IndexRecord
    score: float
    matched: str
    distance_m: float | None = None


def _grams(text: str, n: int) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)}


class NameIndex:
    """An in-memory index of place names."""

    def __init__(
        self, records: Iterable[IndexRecord], *, readings: Readings | None = None, previous: NameIndex | None = None
    ) -> None:
        """``previous``: the index this one replaces (with the same readings); the pinyin of the names it
        knew is taken over, so a rebuild after a few edits works out only the new names' pinyin."""
        readings = readings or load_readings()
        self._readings = readings
        self.records: list[IndexRecord] = list(records)
        self._position = {rec.id: i for i, rec in enumerate(self.records)}
        self._names = [rec.name for rec in self.records]
        # name → (pinyin, initials): working out the syllables is most of the build
        self._spelled: dict[str, tuple[str, str]] = previous._spelled if previous is not None else {}
        self.pinyin: list[str] = []
        self.initials: list[str] = []
        for rec in self.records:
            spelled = self._spelled.get(rec.name)
            if spelled is None:
                known = rec.pinyin.split(" ") if rec.pinyin is not None else syllables(rec.name, readings=readings)
                sylls = [s for s in known if s.isalpha()]
                spelled = self._spelled[rec.name] = ("".join(sylls).lower(), "".join(s[0] for s in sylls).lower())
            self.pinyin.append(spelled[0])
            self.initials.append(spelled[1])
        n = len(self.records)
        self._by_name = sorted(range(n), key=lambda i: self.records[i].name)
        self._names_sorted = [self.records[i].name for i in self._by_name]
        self._by_pinyin = sorted(range(n), key=lambda i: self.pinyin[i])
        self._pinyin_sorted = [self.pinyin[i] for i in self._by_pinyin]
        self._by_initials = sorted(range(n), key=lambda i: self.initials[i])
        self._initials_sorted = [self.initials[i] for i in self._by_initials]
        self._chars: dict[str, list[int]] = defaultdict(list)
        self._bigrams: dict[str, list[int]] = defaultdict(list)
        for i, rec in enumerate(self.records):
            for ch in set(rec.name):
                self._chars[ch].append(i)
            for g in _grams(rec.name, 2):
                self._bigrams[g].append(i)

    def __len__(self) -> int:
        return len(self.records)

    def positions(self, ids: Iterable[int]) -> list[int]:
        """The positions in ``records`` of the names with these ids (ids the index does not hold are skipped)."""
        return [self._position[i] for i in ids if i in self._position]

    def record(self, fid: int) -> IndexRecord | None:
        i = self._position.get(fid)
        return None if i is None else self.records[i]

    # -------------------------------------------------------------- candidates

    @staticmethod
    def _prefix(sorted_keys: Sequence[str], order: Sequence[int], prefix: str, cap: int = _PREFIX_CAP) -> list[int]:
        """Ids whose key starts with ``prefix``, in key order (an exact key first), at most ``cap``."""
        lo = bisect.bisect_left(sorted_keys, prefix)
        hi = bisect.bisect_left(sorted_keys, prefix + "\U0010ffff", lo, min(len(sorted_keys), lo + cap))
        return [order[pos] for pos in range(lo, hi)]

    def _contains(self, text: str, cap: int) -> list[int]:
        """Names containing ``text``: candidates from the rarest character pair (or the character), verified."""
        if len(text) == 1:
            return self._chars.get(text, [])[:cap]
        postings = min((self._bigrams.get(g, []) for g in _grams(text, 2)), key=len)
        out: list[int] = []
        for i in postings:
            if text in self.records[i].name:
                out.append(i)
                if len(out) >= cap:
                    break
        return out

    def _fuzzy(self, q: str, cap: int) -> list[int]:
        """Names whose pinyin starts with a string one edit from ``q`` (substitution, insertion, deletion or
        a swap of neighbours). The variants that change position ``i`` all start with ``q[:i]``, so the
        positions are walked while some pinyin starts with that head, each within the head's range: the
        work stops at the longest stored pinyin, whatever the length of the query."""
        keys, order = self._pinyin_sorted, self._by_pinyin
        letters = "abcdefghijklmnopqrstuvwxyzü"
        out: list[int] = []
        seen = {q}
        lo, hi = 0, len(keys)
        for i in range(len(q) + 1):
            head, tail = q[:i], q[i:]
            if i:
                lo = bisect.bisect_left(keys, head, lo, hi)
                hi = bisect.bisect_left(keys, head + "\U0010ffff", lo, hi)
                if lo >= hi:
                    break
            variants = [head + c + tail for c in letters]  # insertion
            if tail:
                variants += [head + c + tail[1:] for c in letters]  # substitution
                variants.append(head + tail[1:])  # deletion
            if len(tail) > 1:
                variants.append(head + tail[1] + tail[0] + tail[2:])  # swap
            for v in variants:
                if len(v) >= 2 and v not in seen:
                    seen.add(v)
                    start = bisect.bisect_left(keys, v, lo, hi)
                    end = bisect.bisect_left(keys, v + "\U0010ffff", start, min(hi, start + cap))
                    out += [order[pos] for pos in range(start, end)]
        return out

    # -------------------------------------------------------------- search

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
        """Ranked hits for ``query`` (Chinese, pinyin or initials); with ``near`` and no query, the nearest:
        among ``nearby`` (ids a spatial index found) when given, else among all names."""
        q = query.strip()
        matches: dict[int, tuple[float, str]] = {}
        # without filters, the first `limit` matches of each lookup in key order hold the best `limit`
        # (an exact key sorts first in its prefix range; the rest of a range scores the same)
        cap = _PREFIX_CAP if (category or township or status or near) else limit

        def offer(ids: Iterable[int], how: str, penalty: float = 0.0) -> None:
            score = _SCORES[how] - penalty
            for i in ids:
                if i not in matches or matches[i][0] < score:
                    matches[i] = (score, how)

        def offer_prefix(keys: Sequence[str], ids: list[int], key: str, exact: str, prefix: str) -> None:
            # ids come in key order, so the exact matches are the first ones
            n_exact = 0
            while n_exact < len(ids) and keys[ids[n_exact]] == key:
                n_exact += 1
            offer(ids[:n_exact], exact)
            offer(ids[n_exact:], prefix)

        if not q:
            offer(range(len(self.records)) if nearby is None else self.positions(nearby), "near")
        elif _CJK.search(q):
            offer_prefix(self._names, self._prefix(self._names_sorted, self._by_name, q, cap), q, "name", "name_prefix")
            if len(matches) < cap:  # names that merely contain the text rank below every prefix match
                offer(self._contains(q, cap), "name_contains")
            if len(matches) < cap:  # the usual input-method slip: a character of the same sound
                sound = "".join(s for s in syllables(q, readings=self._readings) if s.isalpha()).lower()
                if len(sound) >= 2:
                    offer(self._prefix(self._pinyin_sorted, self._by_pinyin, sound, cap), "homophone")
        else:
            key = _NOT_PINYIN.sub("", q.lower().replace("v", "ü"))
            if key:
                pin = self._prefix(self._pinyin_sorted, self._by_pinyin, key, cap)
                offer_prefix(self.pinyin, pin, key, "pinyin", "pinyin_prefix")
                ini = self._prefix(self._initials_sorted, self._by_initials, key, cap)
                offer_prefix(self.initials, ini, key, "initials", "initials_prefix")
                # typos in pinyin, when the text as typed finds (almost) nothing; a run of initials
                # (no vowel, like lnjd) has nothing to correct
                if len(key) >= 3 and len(matches) < min(limit, _FUZZY_BELOW) and _VOWEL.search(key):
                    offer(self._fuzzy(key, cap), "fuzzy", penalty=10.0)
        ranked: list[tuple[tuple[float, float, bool, int, str, int], float | None, str]] = []
        for i, (score, how) in matches.items():
            rec = self.records[i]
            if not passes(rec, category=category, township=township, status=status):
                continue
            dist = _distance_m(near, rec) if near else None
            if near and (dist is None or (within_m is not None and dist > within_m)):
                continue
            order = (-score, dist or 0.0, rec.status != "current", len(rec.name), rec.name, rec.id)
            ranked.append((order, dist, how))
        best = heapq.nsmallest(limit, ranked)
        return [SearchHit(self.records[self._position[o[5]]], -o[0], how, dist) for o, dist, how in best]


def passes(rec: IndexRecord, *, category: str | None, township: str | None, status: str | None) -> bool:
    """Whether a name passes a search's filters."""
    return (
        (not category or rec.category == category)
        and (not township or rec.admin_code.startswith(township))
        and (not status or rec.status == status)
    )


def _distance_m(near: tuple[float, float], rec: IndexRecord) -> float | None:
    """Distance on the sphere, good to well under a percent at county scale (ranking and display)."""
    if rec.lon is None or rec.lat is None:
        return None
    lon0, lat0 = near
    dlat = math.radians(rec.lat - lat0)
    dlon = math.radians(rec.lon - lon0)
    a = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(lat0)) * math.cos(math.radians(rec.lat)) * math.sin(dlon / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))
