"""Searching place names: Chinese (exact, prefix, contains), full pinyin, initials (路南街道 → lnjd),
typo-tolerant pinyin, with filters and near a point; ranked, with the form that matched.

:class:`NameIndex` is built once from the gazetteer's records (pure data in, pure data out) and answers
queries from sorted arrays and n-gram postings, so a query touches only its candidates.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mzgis.gazetteer.romanize import Readings, load_readings, syllables

__all__ = ["IndexRecord", "NameIndex", "SearchHit", "edit_distance"]

_CJK = re.compile(r"[\u3400-\u9fff]")
_SCORES = {
    "name": 100.0,
    "pinyin": 95.0,
    "initials": 90.0,
    "name_prefix": 80.0,
    "pinyin_prefix": 75.0,
    "initials_prefix": 70.0,
    "name_contains": 60.0,
    "fuzzy": 50.0,
    "near": 0.0,
}
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


@dataclass(frozen=True)
class SearchHit:
    """A ranked result: the record, its score, how it matched and, near a point, its distance."""

    record: IndexRecord
    score: float
    matched: str
    distance_m: float | None = None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            best = min(best, cur[j])
        if best > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _grams(text: str, n: int) -> set[str]:
    return {text[i : i + n] for i in range(len(text) - n + 1)}


class NameIndex:
    """An in-memory index of place names."""

    def __init__(self, records: Iterable[IndexRecord], *, readings: Readings | None = None) -> None:
        readings = readings or load_readings()
        self.records: list[IndexRecord] = list(records)
        self.pinyin: list[str] = []
        self.initials: list[str] = []
        for rec in self.records:
            sylls = [s for s in syllables(rec.name, readings=readings) if s.isalpha()]
            self.pinyin.append("".join(sylls).lower())
            self.initials.append("".join(s[0] for s in sylls).lower())
        n = len(self.records)
        self._by_name = sorted(range(n), key=lambda i: self.records[i].name)
        self._names_sorted = [self.records[i].name for i in self._by_name]
        self._by_pinyin = sorted(range(n), key=lambda i: self.pinyin[i])
        self._pinyin_sorted = [self.pinyin[i] for i in self._by_pinyin]
        self._by_initials = sorted(range(n), key=lambda i: self.initials[i])
        self._initials_sorted = [self.initials[i] for i in self._by_initials]
        self._chars: dict[str, list[int]] = defaultdict(list)
        self._trigrams: dict[str, list[int]] = defaultdict(list)
        for i, rec in enumerate(self.records):
            for ch in set(rec.name):
                self._chars[ch].append(i)
            for g in _grams(self.pinyin[i], 3):
                self._trigrams[g].append(i)

    def __len__(self) -> int:
        return len(self.records)

    # -------------------------------------------------------------- candidates

    @staticmethod
    def _prefix(sorted_keys: Sequence[str], order: Sequence[int], prefix: str) -> list[int]:
        lo = bisect.bisect_left(sorted_keys, prefix)
        out: list[int] = []
        for pos in range(lo, len(sorted_keys)):
            if not sorted_keys[pos].startswith(prefix) or len(out) >= _PREFIX_CAP:
                break
            out.append(order[pos])
        return out

    def _contains(self, text: str) -> list[int]:
        postings = sorted((self._chars.get(ch, []) for ch in set(text)), key=len)
        if not postings or not postings[0]:
            return []
        candidates = set(postings[0]).intersection(*postings[1:]) if len(postings) > 1 else set(postings[0])
        return [i for i in candidates if text in self.records[i].name]

    def _fuzzy(self, q: str, max_dist: int) -> list[tuple[int, int]]:
        grams = _grams(q, 3)
        counts: dict[int, int] = defaultdict(int)
        for g in grams:
            for i in self._trigrams.get(g, ()):
                counts[i] += 1
        # a string within d edits of q's prefix shares at least |grams| - 3d of its trigrams
        need = max(1, len(grams) - 3 * max_dist)
        out: list[tuple[int, int]] = []
        for i, c in counts.items():
            if c < need:
                continue
            p = self.pinyin[i]
            d = min(edit_distance(q, p[:k], max_dist) for k in range(max(1, len(q) - 1), len(q) + 2))
            if d <= max_dist:
                out.append((i, d))
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
    ) -> list[SearchHit]:
        """Ranked hits for ``query`` (Chinese, pinyin or initials); with ``near`` and no query, the nearest."""
        q = query.strip()
        matches: dict[int, tuple[float, str]] = {}

        def offer(ids: Iterable[int], how: str, penalty: float = 0.0) -> None:
            score = _SCORES[how] - penalty
            for i in ids:
                if i not in matches or matches[i][0] < score:
                    matches[i] = (score, how)

        if not q:
            offer(range(len(self.records)), "near")
        elif _CJK.search(q):
            offer(self._prefix(self._names_sorted, self._by_name, q), "name_prefix")
            offer((i for i in self._prefix(self._names_sorted, self._by_name, q) if self.records[i].name == q), "name")
            offer(self._contains(q), "name_contains")
        else:
            key = re.sub(r"[^a-zü]", "", q.lower().replace("v", "ü"))
            if key:
                pin = self._prefix(self._pinyin_sorted, self._by_pinyin, key)
                offer(pin, "pinyin_prefix")
                offer((i for i in pin if self.pinyin[i] == key), "pinyin")
                ini = self._prefix(self._initials_sorted, self._by_initials, key)
                offer(ini, "initials_prefix")
                offer((i for i in ini if self.initials[i] == key), "initials")
                if len(key) >= 3 and len(matches) < limit:
                    max_dist = 1 if len(key) <= 6 else 2
                    for i, d in self._fuzzy(key, max_dist):
                        offer([i], "fuzzy", penalty=10.0 * d)
        hits: list[SearchHit] = []
        for i, (score, how) in matches.items():
            rec = self.records[i]
            if category and rec.category != category:
                continue
            if township and not rec.admin_code.startswith(township):
                continue
            if status and rec.status != status:
                continue
            dist = _distance_m(near, rec) if near else None
            if near and (dist is None or (within_m is not None and dist > within_m)):
                continue
            hits.append(SearchHit(rec, score, how, dist))
        hits.sort(
            key=lambda h: (
                -h.score,
                h.distance_m if h.distance_m is not None else 0.0,
                h.record.status != "current",
                len(h.record.name),
                h.record.name,
                h.record.id,
            )
        )
        return hits[:limit]


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
