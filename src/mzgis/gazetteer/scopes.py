"""The names a check or a changeset compares with, by scope: the unit a name must be unique in (its scope
key), read once per scope (or, for one name, only its possible rivals) and kept current edit by edit."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mzgis.gazetteer.edits import Edit
from mzgis.gazetteer.rules import NameRecord, scope_key
from mzgis.store import Feature
from mzgis.store.base import AnyOf

__all__ = ["Scopes", "created_scope", "name_record"]


def name_record(f: Feature, *, stored_pinyin: bool = False) -> NameRecord:
    """What the rules need of a stored name; its stored pinyin only when it follows the current readings."""
    p = f.properties
    return NameRecord(  # the rules compare normalised names (a file edited elsewhere may hold others)
        name=unicodedata.normalize("NFC", str(p["name"])),
        category=str(p["category"]),
        admin_code=str(p["admin_code"]),
        subcategory=p.get("subcategory"),
        generic=p.get("generic"),
        id=f.id,
        status=str(p["status"]),
        pinyin=p.get("pinyin") if stored_pinyin else None,
    )


def created_scope(edit: Edit) -> str:
    """The scope a created name will be in."""
    p = edit.properties
    return scope_key(
        NameRecord(
            str(p.get("name", "")), str(p.get("category", "")), str(p.get("admin_code", "")), p.get("subcategory")
        )
    )


class Scopes:
    """The names of each scope that a check or a changeset touches, read by their indexed scope key (once
    per scope) and kept current edit by edit. Names stored without a key (added in another tool) are read
    once and sorted into their scopes here."""

    _BATCH = 500  # scope keys read per query when many are preloaded

    def __init__(
        self,
        read: Callable[[Mapping[str, Any], AnyOf | None], list[Feature]],
        *,
        stored_pinyin: bool = False,
        lock: Callable[[Iterable[str]], None] | None = None,
        rivals: Callable[[NameRecord], AnyOf] | None = None,
    ) -> None:
        self._read = read
        self._lock = lock  # inside a transaction: hold each scope before its names are read
        self._stored_pinyin = stored_pinyin  # whether the stored pinyin follows the rules' readings
        self._by_key: dict[str, list[NameRecord]] = {}
        self._key_of: dict[int, str] = {}  # id → the scope its record is listed in
        self._unscoped: list[NameRecord] | None = None
        # one name's check: only the names of its scope that may compete with it are read, each time
        self._rivals = rivals if stored_pinyin else None  # the stored pinyin must be the rules' to query it
        self._added: list[NameRecord] = []

    def _record(self, f: Feature) -> NameRecord:
        return name_record(f, stored_pinyin=self._stored_pinyin)

    def preload(self, keys: Iterable[str]) -> None:
        """Read the names of many scopes in a few queries (an import's rows span many scopes)."""
        wanted = sorted({k for k in keys if k not in self._by_key})
        if self._lock is not None:
            self._lock(wanted)
        if self._rivals is not None:
            return  # each check reads its own rivals
        for i in range(0, len(wanted), self._BATCH):
            chunk = wanted[i : i + self._BATCH]
            found: dict[str, list[NameRecord]] = {k: [] for k in chunk}
            for f in self._read({"scope_key": chunk}, None):
                found[str(f.properties["scope_key"])].append(self._record(f))
            for key, members in found.items():
                self._fill(key, members)

    def _unscoped_in(self, key: str) -> list[NameRecord]:
        """The names stored without a scope key (another tool's edits) that belong to scope ``key``."""
        if self._unscoped is None:
            self._unscoped = [self._record(f) for f in self._read({"scope_key": None}, None)]
        return [r for r in self._unscoped if scope_key(r) == key]

    def _fill(self, key: str, stored: list[NameRecord]) -> None:
        members = stored + self._unscoped_in(key)
        self._by_key[key] = members
        self._key_of.update((r.id, key) for r in members if r.id is not None)

    def _members(self, key: str) -> list[NameRecord]:
        if key not in self._by_key:
            if self._lock is not None:
                self._lock([key])
            self._fill(key, [self._record(f) for f in self._read({"scope_key": key}, None)])
        return self._by_key[key]

    def of(self, rec: NameRecord) -> list[NameRecord]:
        """The names ``rec`` competes with (its own scope's; with ``rivals``, those of them that may)."""
        key = scope_key(rec)
        if self._rivals is None:
            return list(self._members(key))
        if self._lock is not None:
            self._lock([key])
        stored = [self._record(f) for f in self._read({"scope_key": key}, self._rivals(rec))]
        return stored + self._unscoped_in(key) + [r for r in self._added if scope_key(r) == key]

    def add(self, rec: NameRecord) -> None:
        """A name checked earlier in the same import or changeset."""
        key = scope_key(rec)
        if self._rivals is not None:
            self._added.append(rec)
            return
        self._members(key).append(rec)
        if rec.id is not None:
            self._key_of[rec.id] = key

    def saved(self, feature: Feature) -> None:
        """A name as just saved: out of the scope it was listed in, into its current one (with ``rivals``,
        nothing to do: each check reads the transaction's own state)."""
        if self._rivals is not None:
            return
        old = self._key_of.get(feature.id)
        if old is not None:
            self._by_key[old] = [r for r in self._by_key[old] if r.id != feature.id]
        self.add(self._record(feature))
