"""The store interface: what every backend (GeoPackage now, PostGIS later) offers the services.

Every change runs in a transaction; each changed feature's ``version`` rises by one; each change leaves
an audit row (who, when, layer, id, before/after) in the same database, committed with the change.
"""

from __future__ import annotations

import abc
import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from mzgis.clock import stamp
from mzgis.errors import RuleViolation, StaleVersion
from mzgis.layers import Layer, get_layer
from mzgis.store.seal import ChainReport
from mzgis.store.tables import ACCOUNT_FIELDS, STORE_ID_KEY

if TYPE_CHECKING:
    from mzgis.lookup import StoredNames

__all__ = [
    "FILLED_WHEN_EMPTY",
    "SYSTEM_TABLES",
    "UNCHANGED",
    "AccountStore",
    "AuditEntry",
    "Backend",
    "Feature",
    "LayerInfo",
    "Loader",
    "Store",
    "Transaction",
    "check_version",
    "fill_sql",
    "require_user",
    "utc_now",
]

Bounds = tuple[float, float, float, float]


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # sentinel: keep the geometry as it is


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string with milliseconds (the audit clock)."""
    return stamp(dt.datetime.now(dt.UTC))


def require_user(user: str) -> None:
    """Every change records who made it."""
    if not user.strip():
        raise RuleViolation("修改必须记录操作人", "a change needs a user")


@dataclass(frozen=True)
class Feature:
    """One stored feature (or attribute row): its id, version, attributes and geometry."""

    layer: str
    id: int
    version: int
    properties: dict[str, Any]
    geometry: BaseGeometry | None
    updated_at: str
    updated_by: str


def check_version(feature: Feature, expected: int | None) -> None:
    """Refuse an edit of a version that is no longer current (:class:`StaleVersion`: who changed it, the
    current version and content); nothing to check when no version is expected."""
    if expected is None or feature.version == expected:
        return
    lay = get_layer(feature.layer)
    name = feature.properties.get("name") or feature.properties.get("marker_id")
    what = f"{lay.label_zh}“{name}”(#{feature.id})" if name else f"{lay.label_zh} #{feature.id}"
    raise StaleVersion(
        what,
        expected=expected,
        current_version=feature.version,
        updated_by=feature.updated_by,
        updated_at=feature.updated_at,
        current=feature.properties,
    )


@dataclass(frozen=True)
class AuditEntry:
    """One change of one feature, as recorded in the audit table."""

    id: int
    changeset_id: int
    changed_at: str
    changed_by: str
    layer: str
    feature_id: int
    action: Literal["insert", "update", "delete"]
    version: int
    reason: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class LayerInfo:
    """A layer's name, Chinese label, geometry type, feature count and extent (lon/lat)."""

    name: str
    label_zh: str
    geometry: str | None
    count: int
    extent: Bounds | None = field(default=None)


@dataclass(frozen=True)
class AnyOf:
    """A condition a feature meets by meeting any of its parts, each a field and a text: ``equal`` (the field
    is the text), ``starts`` (the field starts with it; an empty text is no part), ``unspaced`` (the field
    without its spaces is the text). Without parts no feature meets it."""

    equal: tuple[tuple[str, str], ...] = ()
    starts: tuple[tuple[str, str], ...] = ()
    unspaced: tuple[tuple[str, str], ...] = ()


class Transaction(abc.ABC):
    """The changes of one transaction; all are committed together or none.

    A layer with a ``gate`` (place names: the gazetteer's rules and romanization) is written only after
    :meth:`admit` — called by that service, or by a writer that says in its code why it may pass."""

    admitted: frozenset[str] = frozenset()
    user: str  # who, as recorded on every change of the transaction
    stamp: str  # when (UTC ISO 8601), likewise

    def admit(self, layer: str) -> None:
        """Allow writes of a gated ``layer`` in this transaction (its service checks them itself)."""
        self.admitted = self.admitted | {layer}

    def check_gate(self, layer: Layer) -> None:
        """Refuse a write of a gated layer that was not admitted; nothing is written."""
        if layer.gate and layer.name not in self.admitted:
            raise RuleViolation(
                f"{layer.label_zh}只能经{layer.gate}写入;请用 mzgis names 命令、网页或 /api/names",
                f"{layer.name} is written only through its service ({layer.name} is gated)",
            )

    def lock_scopes(self, keys: Iterable[str]) -> None:  # noqa: B027 - a hook only some backends need
        """Hold the scopes ``keys`` (a place name's scope key: the unit its name must be unique in) until
        the transaction ends, before reading the names a save compares with: two savers in one scope take
        turns, savers in different scopes never wait for each other. Nothing to do where the whole store
        has one writer at a time (the GeoPackage)."""

    @abc.abstractmethod
    def insert(self, layer: str, properties: Mapping[str, Any], geometry: BaseGeometry | None) -> Feature:
        """Add a feature (version 1)."""

    @abc.abstractmethod
    def insert_many(
        self,
        layer: str,
        rows: Sequence[tuple[Mapping[str, Any], BaseGeometry | None]],
        *,
        reasons: Sequence[str] | None = None,
    ) -> list[int]:
        """Add many features (version 1) and return their ids; ``reasons``: each row's history reason (the
        transaction's reason when not given). All are checked first; a refused row refuses them all."""

    @abc.abstractmethod
    def update(
        self,
        layer: str,
        fid: int,
        *,
        expected_version: int | None,
        properties: Mapping[str, Any] | None = None,
        geometry: BaseGeometry | None = UNCHANGED,
    ) -> Feature:
        """Change attributes and/or the geometry; a stale ``expected_version`` is a Conflict."""

    @abc.abstractmethod
    def delete(self, layer: str, fid: int, *, expected_version: int | None) -> None:
        """Remove a feature; a stale ``expected_version`` is a Conflict."""

    @abc.abstractmethod
    def get(self, layer: str, fid: int) -> Feature:
        """Read a feature inside the transaction (sees its own changes)."""

    @abc.abstractmethod
    def features(
        self,
        layer: str,
        *,
        where: Mapping[str, Any] | None = None,
        any_of: AnyOf | None = None,
        geometry: bool = True,
    ) -> list[Feature]:
        """Read features inside the transaction (under its write lock, with its own changes); ``any_of``: as
        in ``Store.features``."""

    @abc.abstractmethod
    def current(self, layer: str, fid: int, expected_version: int | None) -> Feature:
        """The feature, or a Conflict (with the current version, who changed it and its content) when
        ``expected_version`` is given and stale."""

    @abc.abstractmethod
    def set_reason(self, reason: str) -> None:
        """The reason recorded in the audit rows of the changes that follow (the changeset keeps its comment)."""


class Store(abc.ABC):
    """Persistence of all layers behind one interface."""

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where the data lives (a path or a connection name without secrets)."""

    def name_source(self) -> StoredNames | None:
        """The gazetteer's search answered by the store's own indexes, when it has them (a database); None:
        the gazetteer keeps its search index in memory."""
        return None

    def reuse(self) -> AbstractContextManager[None]:
        """Reads and writes of this thread inside the block may share one connection (a save's several reads
        and its write); a store whose connections are pooled anyway does nothing."""
        return nullcontext()

    def close(self) -> None:  # noqa: B027 - only backends with connections to a server have any
        """Give back what the store holds open (a database's connections); a file store holds nothing."""

    @abc.abstractmethod
    def layer_infos(self) -> list[LayerInfo]:
        """Every layer with its count and extent."""

    @abc.abstractmethod
    def count(self, layer: str, *, bbox: Bounds | None = None, scope: str | None = None) -> int:
        """Number of features in a layer (whose envelope meets ``bbox``, within ``scope``, when given)."""

    @abc.abstractmethod
    def get(self, layer: str, fid: int) -> Feature:
        """One feature; NotFound when absent."""

    @abc.abstractmethod
    def features(
        self,
        layer: str,
        *,
        bbox: Bounds | None = None,
        where: Mapping[str, Any] | None = None,
        limit: int | None = None,
        offset: int = 0,
        after_id: int | None = None,
        scope: str | None = None,
        any_of: AnyOf | None = None,
        geometry: bool = True,
    ) -> list[Feature]:
        """Features in id order (without their geometries when ``geometry`` is False: a lookup of
        attributes need not decode them), optionally within a lon/lat bbox, matching field values (None matches a
        missing value; a list matches any of its values), with ids after ``after_id`` (keyset paging) and
        within ``scope``: an admin code (county 331004, township 331004001) that the layer's scope fields
        start with (``Layer.scope_fields``; BadInput for a layer without them, such as the markers); and meeting
        any part of ``any_of`` when given."""

    @abc.abstractmethod
    def read_frame(self, layer: str, *, bbox: Bounds | None = None, scope: str | None = None) -> gpd.GeoDataFrame:
        """A layer as a GeoDataFrame indexed by id (EPSG:4490), for analysis (``scope`` as in ``features``)."""

    @abc.abstractmethod
    def transaction(self, *, user: str, reason: str = "") -> AbstractContextManager[Transaction]:
        """A transaction recorded as one changeset by ``user`` with ``reason``."""

    @abc.abstractmethod
    def set_derived(
        self, layer: str, values: Mapping[int, Mapping[str, Any]], *, meta: Mapping[str, str] | None = None
    ) -> int:
        """Write derived fields (worked out by the layer's service, e.g. a place name's scope key) of the
        features ``values`` names, without a new version or an audit row: they restate data, they do not
        change it. Other fields are refused. ``meta``: notes about how they were worked out (see ``meta``),
        written in the same transaction. Returns how many features were written."""

    @abc.abstractmethod
    def meta(self, key: str) -> str | None:
        """A note the services keep in the store (e.g. the readings the stored pinyin follows)."""

    @abc.abstractmethod
    def set_meta(self, key: str, value: str | None, *, keep: bool = False) -> None:
        """Keep (or, with None, drop) a note in the store: settings the bureau shares, such as saved
        column mappings of import sources. ``keep``: a note already there stays (the first writer wins)."""

    def identity(self) -> str:
        """The store's identity, a UUID made with it and kept by ``copy``; a store made before identities
        gets one now (the first of several processes to ask decides it)."""
        found = self.meta(STORE_ID_KEY)
        if found:
            return found
        self.set_meta(STORE_ID_KEY, str(uuid.uuid4()), keep=True)
        return str(self.meta(STORE_ID_KEY))

    @abc.abstractmethod
    def metas(self, prefix: str) -> dict[str, str]:
        """Every note whose key starts with ``prefix``."""

    @abc.abstractmethod
    def revision(self, layer: str) -> int:
        """A number that grows with every committed change of ``layer`` (for caches)."""

    @abc.abstractmethod
    def changed_since(self, layer: str, revision: int) -> list[int]:
        """The ids of the features of ``layer`` added, edited or deleted (by any tool) after ``revision``."""

    @abc.abstractmethod
    def audit(
        self,
        *,
        layer: str | None = None,
        feature_id: int | None = None,
        limit: int | None = None,
        user: str | None = None,
        since: str | None = None,
        outside: bool | None = None,
    ) -> list[AuditEntry]:
        """Audit rows, newest last: of ``layer`` / ``feature_id``, by ``user`` (the recorded name, or the
        account it starts with), from ``since`` (a stored UTC time) on, made outside mzgis or by it
        (``outside`` True / False), the newest ``limit``."""

    # Conveniences: each change in a transaction of its own.
    def insert(
        self,
        layer: str,
        properties: Mapping[str, Any],
        geometry: BaseGeometry | None,
        *,
        user: str,
        reason: str = "",
    ) -> Feature:
        with self.transaction(user=user, reason=reason) as tx:
            return tx.insert(layer, properties, geometry)

    def update(
        self,
        layer: str,
        fid: int,
        *,
        expected_version: int | None,
        user: str,
        properties: Mapping[str, Any] | None = None,
        geometry: BaseGeometry | None = UNCHANGED,
        reason: str = "",
    ) -> Feature:
        with self.transaction(user=user, reason=reason) as tx:
            return tx.update(layer, fid, expected_version=expected_version, properties=properties, geometry=geometry)

    def delete(self, layer: str, fid: int, *, expected_version: int | None, user: str, reason: str = "") -> None:
        with self.transaction(user=user, reason=reason) as tx:
            tx.delete(layer, fid, expected_version=expected_version)

    @abc.abstractmethod
    def verify_history(self, *, anchor: tuple[int, str] | None = None) -> ChainReport:
        """Walk the sealed chain of the history: rows checked, rows not sealed yet, the first row changed or
        deleted after it was sealed, or (``anchor``) cut off since a backup (:mod:`mzgis.store.seal`)."""

    def iter_features(self, layer: str, *, page: int = 5000) -> Iterator[Feature]:
        """All features of a layer, page by page (keyset: each page one index step, whatever the size)."""
        after: int | None = None
        while True:
            batch = self.features(layer, limit=page, after_id=after)
            yield from batch
            if len(batch) < page:
                return
            after = batch[-1].id


# what saving an existing account leaves as it was
ACCOUNT_KEPT = ("name", "created_at", "created_by")


def account_values(record: Mapping[str, Any]) -> list[Any]:
    """An account record's values in the order of ``ACCOUNT_FIELDS`` (the password counted as set when the
    account was made unless the record says when; no earlier passwords unless it lists them)."""
    filled = {
        "disabled": bool(record.get("disabled")),
        "must_change": bool(record.get("must_change")),
        "password_changed_at": record.get("password_changed_at") or record.get("created_at"),
        "password_history": record.get("password_history") or "[]",
    }
    return [filled[k] if k in filled else record.get(k) for k in ACCOUNT_FIELDS]


class AccountStore(abc.ABC):
    """Accounts, sign-in tokens and failed sign-ins (kept beside the data, outside the layers and the audit);
    what :class:`mzgis.users.Users` works on. A backend offers it beside its feature store."""

    @abc.abstractmethod
    def account(self, name: str) -> dict[str, Any] | None:
        """The account ``name`` (the ``ACCOUNT_FIELDS``: name, role, password_hash, disabled, created_at,
        created_by, scope: the admin code its writes are confined to, or None; password_changed_at,
        must_change, password_history: the earlier passwords' hashes as JSON text) or None."""

    @abc.abstractmethod
    def accounts(self) -> list[dict[str, Any]]:
        """Every account, by name."""

    @abc.abstractmethod
    def save_account(self, record: Mapping[str, Any]) -> None:
        """Insert or replace an account record (keys as :meth:`account` returns)."""

    @abc.abstractmethod
    def add_token(self, token_hash: str, name: str, *, created_at: str, expires_at: str, label: str) -> None:
        """Record a sign-in token (only its hash) for account ``name``."""

    @abc.abstractmethod
    def token(self, token_hash: str) -> dict[str, Any] | None:
        """The token record (token_hash, name, created_at, expires_at, label, last_seen) or None."""

    def token_holder(self, token_hash: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The token record and its account's record, (None, None) without such a token: what every request
        with a token asks, in one look where the backend can."""
        record = self.token(token_hash)
        return record, None if record is None else self.account(str(record["name"]))

    @abc.abstractmethod
    def touch_token(self, token_hash: str, at: str) -> None:
        """Note that the token was used at ``at``."""

    @abc.abstractmethod
    def delete_tokens(self, *, token_hash: str | None = None, name: str | None = None) -> int:
        """Remove one token, or every token of an account; returns how many."""

    @abc.abstractmethod
    def add_security_event(self, event: Mapping[str, Any]) -> None:
        """Append a row (at, account, event, success, client, detail) to the security log, its hash chained
        to the newest row's under the log's write lock (:func:`mzgis.store.seal.security_digest`)."""

    @abc.abstractmethod
    def security_events(self, *, after_id: int = 0, limit: int = 1000, newest: bool = False) -> list[dict[str, Any]]:
        """Rows of the security log after ``after_id`` (the first ``limit``, or the last: ``newest``), oldest
        first, each with its hash."""

    @abc.abstractmethod
    def sign_in_failures(self, key: str, *, since: str) -> list[str]:
        """When sign-ins under ``key`` (account name and client address) failed after ``since``, oldest first."""

    @abc.abstractmethod
    def claim_sign_in(self, key: str, at: str, *, since: str, limit: int) -> tuple[bool, list[str]]:
        """Atomically: drop failures of every key before ``since``; when ``key`` has fewer than ``limit``
        failures since then, record this attempt as one (cleared again by a success) and allow it. Returns
        whether it is allowed and the key's earlier failures, oldest first. Parallel attempts cannot all
        pass: the count and the claim are one write."""

    @abc.abstractmethod
    def clear_sign_in_failures(self, name: str) -> None:
        """Forget the failed sign-ins as ``name`` (after a successful one)."""


class DocumentStore(abc.ABC):
    """Documents kept with naming applications (bytes checked by the service before they get here)."""

    @abc.abstractmethod
    def add_document(self, record: dict[str, Any], data: bytes) -> int:
        """Keep ``data`` with its record (procedure_id, filename, media_type, sha256, note, added_at,
        added_by); its id."""

    @abc.abstractmethod
    def documents(self, procedure_id: int) -> list[dict[str, Any]]:
        """The records (without the bytes) of an application's documents, oldest first."""

    @abc.abstractmethod
    def document(self, doc_id: int) -> tuple[dict[str, Any], bytes] | None:
        """A document's record and bytes; None when there is none."""


# The tables besides the layers that a copy of a whole store carries (sign-in tokens and failed sign-ins
# belong to one server and are not copied), each with the fields ``system_rows`` gives and ``Loader.rows`` takes.
SYSTEM_TABLES: dict[str, tuple[str, ...]] = {
    "changesets": ("id", "created_at", "created_by", "comment"),
    "audit": ("id", "changeset_id", "changed_at", "changed_by", "layer", "feature_id", "action", "version", "reason",
              "before", "after"),
    "meta": ("key", "value"),
    "accounts": ACCOUNT_FIELDS,  # the password's state and the second factor too (a copy keeps them)
    "documents": ("id", "procedure_id", "filename", "media_type", "bytes", "sha256", "note", "data", "added_at",
                  "added_by"),
}  # fmt: skip


class Loader(abc.ABC):
    """Rows written as they are (ids, versions, who and when kept; no new history): filling an empty store
    from another, in one transaction — committed when the block ends, nothing written when it fails."""

    @abc.abstractmethod
    def features(self, layer: str, features: Sequence[Feature]) -> None:
        """Write features with their ids, versions and stamps."""

    @abc.abstractmethod
    def rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write rows of one of :data:`SYSTEM_TABLES` (fields as named there)."""


class Backend(Store, AccountStore, DocumentStore):
    """A storage backend: its feature store, account store and document store (the GeoPackage file holds
    all three; so does a PostGIS database)."""

    @abc.abstractmethod
    def system_rows(self, table: str, *, after: Any = None, limit: int = 5000) -> list[dict[str, Any]]:
        """Rows of one of :data:`SYSTEM_TABLES` in key order, after key ``after`` (keyset paging), as they are."""

    @abc.abstractmethod
    def bulk_load(self, *, merge: bool = False) -> AbstractContextManager[Loader]:
        """A :class:`Loader` for this store, in one transaction, which must hold no features and no history;
        with ``merge``, the store may hold others (the rows given must not take their ids): the rows loaded
        are one more change of each layer they touch."""

    @abc.abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """Reads of this thread inside the block see the store as it was when the block began (features,
        history, notes), whatever others commit meanwhile: a copy of a store in use is of one moment. Only
        reads belong in the block."""


# fields besides the derived ones that mzgis fills where another tool left them empty (set_derived): a
# place name's romanization, which an outside rename clears for mzgis to spell again
FILLED_WHEN_EMPTY: dict[str, set[str]] = {"place_names": {"romanized"}}


def fill_sql(layer: str, column: str, placeholder: str) -> str:
    """The SET clause of one column of ``set_derived``: a derived field is written, a field filled when empty
    only where it is empty (an officer's value is never overwritten)."""
    q = '"' + column + '"'
    if column in FILLED_WHEN_EMPTY.get(layer, set()):
        return f"{q} = coalesce({q}, {placeholder})"
    return f"{q} = {placeholder}"
