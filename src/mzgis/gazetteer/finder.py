"""Finding names: the search (by name, pinyin, initials, fuzzy, nearness) over the store's own indexes where
it has them, else an in-memory index kept by revision, and the live spatial index of the names' positions."""

from __future__ import annotations

from mzgis.errors import BadInput, NotFound
from mzgis.gazetteer.near import NearIndex
from mzgis.gazetteer.rules import RuleSet
from mzgis.gazetteer.search import (
    MAX_QUERY,
    Filters,
    IndexRecord,
    Merged,
    NameIndex,
    NameSource,
    SearchHit,
    StoredNames,
    search_names,
)
from mzgis.store import Feature, Store

__all__ = ["NameFinder"]

LAYER = "place_names"


def _index_record(f: Feature, *, stored_pinyin: bool = False) -> IndexRecord:
    """What the search keeps of a stored name (its stored pinyin only when it follows the current readings)."""
    point = f.geometry.representative_point() if f.geometry is not None else None
    return IndexRecord(
        f.id,
        str(f.properties["name"]),
        str(f.properties["category"]),
        str(f.properties["admin_code"]),
        str(f.properties["status"]),
        None if point is None else point.x,
        None if point is None else point.y,
        str(f.properties.get("romanized") or ""),
        f.properties.get("pinyin") if stored_pinyin else None,
    )


class NameFinder:
    """The gazetteer's searches (a part of :class:`~mzgis.gazetteer.service.Gazetteer`)."""

    store: Store
    rules: RuleSet
    _index: tuple[int, NameIndex] | None
    _held: tuple[int, NameIndex | None] | None
    _near: tuple[int, NearIndex] | None

    def _stored_pinyin(self) -> bool:
        raise NotImplementedError

    def index(self) -> NameIndex:
        """The in-memory search index, rebuilt when the gazetteer has changed since it was built."""
        revision = self.store.revision(LAYER)
        if self._index is None or self._index[0] != revision:
            stored_pinyin = self._stored_pinyin()
            records = [_index_record(f, stored_pinyin=stored_pinyin) for f in self.store.iter_features(LAYER)]
            previous = self._index[1] if self._index is not None else None
            self._index = (revision, NameIndex(records, readings=self.rules.readings, previous=previous))
        return self._index[1]

    def _stored_names(self) -> tuple[StoredNames, NameSource] | None:
        """The store's own search (a database's indexes) when it has one and the stored pinyin follows the
        rules' readings: itself (for the nearest names) and as the search's source, with the names stored
        without their pinyin (edited in another tool since) held in memory; None: the in-memory index answers."""
        stored = self.store.name_source()
        if stored is None or not self._stored_pinyin():
            return None
        revision = self.store.revision(LAYER)
        if self._held is None or self._held[0] != revision:
            waiting = self.store.features(LAYER, where={"scope_key": None})  # indexed; derived fields missing
            held = NameIndex([_index_record(f) for f in waiting], readings=self.rules.readings) if waiting else None
            self._held = (revision, held)
        return stored, (stored if self._held[1] is None else Merged(stored, self._held[1]))

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
        if len(query) > MAX_QUERY:
            raise BadInput(
                f"查询词过长(最多 {MAX_QUERY} 个字符,收到 {len(query)} 个)", f"query longer than {MAX_QUERY} characters"
            )
        if limit < 1 or limit > 1000:
            raise BadInput("结果数应在 1–1000 之间", "limit must be 1..1000")
        filters = Filters(category, township, status)
        in_store = self._stored_names()
        nearby = None
        source: NameSource
        if in_store is None:
            idx = source = self.index()
            if near is not None and not query.strip():  # the nearest: from the live R-tree, not a scan of every name

                def accept(fid: int) -> bool:
                    rec = idx.record(fid)
                    return rec is not None and filters.passes(rec)

                found = self.near_index().nearest(near[0], near[1], limit, within_m=within_m, accept=accept)
                nearby = idx.records_of(fid for fid, _ in found)
        else:
            stored, source = in_store
            if near is not None and not query.strip():  # the nearest: the database's KNN on the sphere
                nearby = stored.nearest(near[0], near[1], limit, within_m=within_m, filters=filters)
        return search_names(
            source,
            query,
            readings=self.rules.readings,
            filters=filters,
            near=near,
            within_m=within_m,
            limit=limit,
            nearby=nearby,
        )

    def near_index(self) -> NearIndex:
        """The live spatial index of the names' positions: built once, then the names changed since (by any
        tool: the audit says which) are deleted and inserted again; a change of most of it is a rebuild."""
        revision = self.store.revision(LAYER)
        if self._near is not None and self._near[0] == revision:
            return self._near[1]
        changed = self.store.changed_since(LAYER, self._near[0]) if self._near is not None else None
        if self._near is None or changed is None or len(changed) > max(1000, len(self._near[1]) // 10):
            records = self.index().records
            tree = NearIndex((r.id, r.lon, r.lat) for r in records if r.lon is not None and r.lat is not None)
        else:
            tree = self._near[1]
            for fid in changed:
                try:
                    geom = self.store.get(LAYER, fid).geometry
                except NotFound:
                    geom = None  # deleted (outside mzgis: names are retired, never deleted, by mzgis)
                point = geom.representative_point() if geom is not None else None
                tree.update(fid, None if point is None else point.x, None if point is None else point.y)
        self._near = (revision, tree)
        return tree
