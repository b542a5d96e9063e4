"""The gazetteer service: every edit of a place name, for the CLI, the API and the tests alike.

Create, update, rename, move, retire, restore; changesets applied all-or-nothing; history; search; the
naming rules checked on every save (errors block unless overridden with a recorded reason). Names are
never deleted. Each change is one store transaction that raises ``version`` by one and leaves an audit
row (who, when, reason, before/after); a stale ``expected_version`` is a conflict and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from shapely.geometry import shape as shapely_shape
from shapely.geometry.base import BaseGeometry

from mzgis.admin import AdminLookup, load_admin
from mzgis.clock import beijing_today
from mzgis.errors import BadInput, Conflict, Forbidden, NotFound, RuleViolation, TooLarge
from mzgis.gazetteer.names import name_parts
from mzgis.gazetteer.near import NearIndex
from mzgis.gazetteer.romanize import Spelling, romanize, spelling
from mzgis.gazetteer.rules import (
    RULE_NAMES_ZH,
    Finding,
    NameRecord,
    RuleSet,
    check_name,
    has_errors,
    load_rules,
    rival_keys,
    scope_key,
    spell,
)
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
from mzgis.layers import LAYERS, LIMITS, check_geometry, check_record, promote_geometry
from mzgis.store import UNCHANGED, AuditEntry, Feature, Store, Transaction
from mzgis.store.base import AnyOf, check_version
from mzgis.text import text_problem

__all__ = [
    "PINYIN_READINGS",
    "USER_FIELDS",
    "CheckResult",
    "Edit",
    "Gazetteer",
    "Precheck",
    "romanize_name",
    "validate_name",
]

LAYER = "place_names"
# the fields of a name an officer sets (an import reads them, a revert takes them back from an earlier
# version); the parts and romanization follow the name, former names follow a rename
USER_FIELDS = (
    "name",
    "category",
    "subcategory",
    "admin_code",
    "status",
    "origin",
    "approval_ref",
    "approved_on",
    "census_code",
    "history",
    "description",
)
_EDITABLE = {*USER_FIELDS, "specific", "generic", "romanized"}
# how far outside a scope's polygon a scoped officer may still place a name: about a metre (digitising)
_SCOPE_TOLERANCE_DEG = 1e-5
_SPACE = re.compile(r"\s")


@dataclass(frozen=True)
class CheckResult:
    """A proposed name checked without saving: its parts, romanization and findings."""

    name: str
    specific: str
    generic: str
    romanized: str
    findings: list[Finding]
    category: str = ""  # as stored (a Chinese category name given is its code here)
    # the words the romanization rests on: (汉字, spelling) each, so an officer sees and can correct the split
    words: tuple[tuple[str, str], ...] = ()

    @property
    def blocked(self) -> bool:
        return has_errors(self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "specific": self.specific,
            "generic": self.generic,
            "romanized": self.romanized,
            "words": [list(w) for w in self.words],
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class Edit:
    """One edit of a changeset."""

    action: Literal["create", "update", "rename", "move", "retire", "restore"]
    id: int | None = None
    expected_version: int | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    geometry: BaseGeometry | None = None
    on: str | None = None  # date of a rename or retirement (default: today)
    override_reason: str | None = None


@dataclass(frozen=True)
class Precheck:
    """The creates of a changeset checked ahead of the write, outside the write lock (an import checks every
    row first to report on it): their results and the revisions of the names and admin units they were
    computed at. Under the lock they are used only when both revisions are unchanged (nothing any tool wrote
    since could change a finding); otherwise every edit is checked again."""

    revisions: tuple[int, int]
    results: Sequence[CheckResult]


def validate_name(name: Any) -> str:
    """The name as given, or BadInput when it is empty, too long or holds spaces (full-width or not)."""
    text = "" if name is None else str(name)
    problem = text_problem(text)
    if problem:
        raise BadInput(f"名称{problem}", "the name holds control, invisible or unencodable characters")
    text = unicodedata.normalize("NFC", text)
    if "\u3000" in text:
        raise BadInput("名称含全角空格", "the name contains a full-width space")
    if text.strip() != text or _SPACE.search(text):
        raise BadInput("名称不能含空格", "the name contains whitespace")
    if not text:
        raise BadInput("名称不能为空", "empty name")
    limit = LAYERS[LAYER].field("name").max_length or 40
    if len(text) > limit:
        raise BadInput(f"名称过长(超过 {limit} 字)", f"name longer than {limit} characters")
    return text


def _check_reason(text: str, what: str) -> None:
    """A reason, override reason or comment: at most ``LIMITS.reason_chars``, no control characters."""
    if len(text) > LIMITS.reason_chars:
        raise TooLarge(f"{what}过长(最多 {LIMITS.reason_chars} 个字符)", f"{what} over {LIMITS.reason_chars} chars")
    problem = text_problem(text, multiline=True)
    if problem:
        raise BadInput(f"{what}{problem}", "control or invisible characters in a reason")


def _edit_date(on: str | None, today: dt.date) -> str:
    """The date of a rename or retirement: ``on`` as YYYY-MM-DD (not after today), or today."""
    if on is None or not str(on).strip():
        return today.isoformat()
    try:
        day = dt.date.fromisoformat(str(on).strip())
    except ValueError:
        raise BadInput(f"日期“{on}”不对,应为 YYYY-MM-DD", f"date {on!r} is not YYYY-MM-DD") from None
    if day > today:
        raise BadInput(f"日期 {day} 晚于今天({today})", f"date {day} is after today") from None
    return day.isoformat()


# subcategories spelled as one word (rule 3 of the 1984 rules: natural villages and towns)
JOINED_SUBCATEGORIES = frozenset({"natural_village"})


def romanize_name(
    name: str,
    category: str | None = None,
    *,
    subcategory: str | None = None,
    rules: RuleSet | None = None,
    tones: bool = False,
) -> str:
    """The standard romanization of a whole name: split into specific and generic, then spelled by the rules
    (a natural village, ``subcategory`` natural_village, as one word)."""
    specific, generic = name_parts(validate_name(name), category)
    joined = subcategory in JOINED_SUBCATEGORIES
    return romanize(specific, generic, readings=(rules or load_rules()).readings, tones=tones, joined=joined)


PINYIN_READINGS = "pinyin_readings"  # the store's note: the readings its names' pinyin was worked out under


def _record(f: Feature, *, stored_pinyin: bool = False) -> NameRecord:
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


def _created_scope(edit: Edit) -> str:
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
        return _record(f, stored_pinyin=self._stored_pinyin)

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


class Gazetteer:
    """Place-name operations on a store."""

    def __init__(
        self,
        store: Store,
        *,
        rules: RuleSet | None = None,
        today: Callable[[], dt.date] = beijing_today,
    ) -> None:
        self.store = store
        self.rules = rules or load_rules()
        self._today = today
        self._index: tuple[int, NameIndex] | None = None
        self._held: tuple[int, NameIndex | None] | None = None  # names a store's own search lacks, by revision
        self._near: tuple[int, NearIndex] | None = None
        self._admin: tuple[int, AdminLookup] | None = None

    # ---------------------------------------------------------------- checks

    def _check_admin(self, admin: AdminLookup, code: str, geometry: BaseGeometry | None) -> list[Finding]:
        if not admin.known(code):
            raise BadInput(f"所在区划代码 {code} 不存在", f"unknown admin code {code}")
        out: list[Finding] = []
        if geometry is not None:
            # the layer's own checks first (type, vertex bound, validity): nothing else is asked of a bad shape
            problems = check_geometry(LAYERS[LAYER], promote_geometry(LAYERS[LAYER], geometry))
            if problems:
                raise RuleViolation(
                    f"标准地名的几何不合格:{';'.join(problems)}", "invalid place-name geometry", problems=problems
                )
            if not admin.in_county(geometry, code=code):
                county = admin.county_of(code)
                named = county.properties.get("name") if county is not None else None
                where = f"{named}（{county.properties['code']}）" if named and county is not None else "本区县"
                raise BadInput(f"位置不在{where}范围内", "the geometry lies outside the county")
            if not admin.contains(code, geometry):
                out.append(
                    Finding(
                        "admin_mismatch",
                        "warning",
                        f"位置不在所在区划“{admin.name(code)}”内",
                        "the geometry lies outside the admin unit it names",
                    )
                )
        return out

    def check(
        self,
        name: str,
        category: str,
        admin_code: str,
        *,
        subcategory: str | None = None,
        generic: str | None = None,
        geometry: BaseGeometry | None = None,
        exclude_id: int | None = None,
        scopes: Scopes | None = None,
        admin: AdminLookup | None = None,
    ) -> CheckResult:
        """Check a proposed name without saving (unknown admin codes and bad input raise BadInput). It is
        compared with the names of its scope (from ``scopes``, or read from the store)."""
        name = validate_name(name)
        clean, problems = check_record(
            LAYERS[LAYER],
            {"name": name, "specific": name, "category": category, "admin_code": admin_code, "status": "current"},
        )
        if problems:
            raise BadInput(";".join(problems), "invalid place name fields", problems=problems)
        category = str(clean["category"])  # 交通运输设施 → transport_facility
        with self.store.reuse():  # on a file: the check's reads share one connection
            admin = admin or self.admin()
            extra = self._check_admin(admin, admin_code, geometry)
            rec = NameRecord(name, category, admin_code, subcategory, generic or None, exclude_id)
            findings = check_name(rec, (scopes or self.scopes(narrow=True)).of(rec), rules=self.rules) + extra
        specific, gen = name_parts(name, category, generic)
        spelled = self._spelling(specific, gen, subcategory in JOINED_SUBCATEGORIES)
        return CheckResult(name, specific, gen, spelled.text, findings, category, spelled.words)

    def _spelling(self, specific: str, generic: str, joined: bool) -> Spelling:
        cache = self.rules.romanized
        spelled = cache.get((specific, generic, joined))
        if spelled is None:
            if len(cache) > 200_000:  # bounded: a long-running server sees many names once
                cache.clear()
            spelled = cache[(specific, generic, joined)] = spelling(
                specific, generic, readings=self.rules.readings, joined=joined
            )
        return spelled

    def romanize(self, name: str, category: str | None = None, *, tones: bool = False) -> str:
        """The standard romanization of a whole name (split into specific and generic first)."""
        return romanize_name(name, category, rules=self.rules, tones=tones)

    # ---------------------------------------------------------------- edits

    def _prepared(
        self,
        tx: Transaction,
        props: Mapping[str, Any],
        geometry: BaseGeometry | None,
        *,
        exclude_id: int | None,
        override_reason: str | None,
        admin: AdminLookup,
        scopes: Scopes,
        result: CheckResult | None = None,
    ) -> tuple[dict[str, Any], list[Finding]]:
        """Fill specific, generic and romanization; run the rules (unless ``result`` holds them, checked
        ahead at the same revisions); refuse errors without an override."""
        generic = props.get("generic") or None
        result = result or self.check(
            props.get("name", ""),
            str(props.get("category", "")),
            str(props.get("admin_code", "")),
            subcategory=props.get("subcategory"),
            generic=generic,
            geometry=geometry,
            exclude_id=exclude_id,
            scopes=scopes,
            admin=admin,
        )
        out = dict(props)
        out["name"], out["specific"], out["generic"] = result.name, result.specific, result.generic
        out["romanized"] = result.romanized
        out["category"] = result.category or props.get("category")
        out |= self._derived(
            NameRecord(
                result.name,
                str(out["category"]),
                str(props.get("admin_code")),
                props.get("subcategory"),
                result.generic or None,
            )
        )
        if result.blocked and not (override_reason and override_reason.strip()):
            errors = [f for f in result.findings if f.severity == "error"]
            raise RuleViolation(
                f"“{result.name}”不符合地名规则:" + ";".join(f.message for f in errors) + "(如确需保存,请填写覆盖理由)",
                f"{result.name!r} breaks naming rules: {', '.join(f.rule for f in errors)}",
                findings=[f.as_dict() for f in result.findings],
            )
        return out, result.findings

    @staticmethod
    def _reason(reason: str, findings: list[Finding], override_reason: str | None) -> str:
        errors = [RULE_NAMES_ZH.get(f.rule, (f.rule,))[0] for f in findings if f.severity == "error"]  # as read
        if errors and override_reason:
            return f"{reason};规则覆盖({'、'.join(errors)}):{override_reason}".lstrip(";")
        return reason

    def _created(
        self,
        tx: Transaction,
        edit: Edit,
        admin: AdminLookup,
        reason: str,
        scopes: Scopes,
        checked: CheckResult | None,
    ) -> tuple[dict[str, Any], str]:
        """A new name's fields as stored and the reason its history records (with any override)."""
        props = {k: v for k, v in edit.properties.items() if k in _EDITABLE}
        props.setdefault("status", "current")
        if props["status"] == "retired":
            raise BadInput("不能新建已废止的地名", "cannot create a retired name")
        clean, found = self._prepared(
            tx,
            props,
            edit.geometry,
            exclude_id=None,
            override_reason=edit.override_reason,
            admin=admin,
            scopes=scopes,
            result=checked,
        )
        return clean, self._reason(reason, found, edit.override_reason)

    def _apply(
        self,
        tx: Transaction,
        edit: Edit,
        admin: AdminLookup,
        reason: str,
        scopes: Scopes,
        checked: CheckResult | None = None,
        *,
        jurisdiction: tuple[str | None, str] = (None, ""),
    ) -> Feature:
        """Apply one edit inside ``tx``; an override of rule errors is recorded in the edit's audit reason.
        ``checked``: a create's result checked ahead (see :class:`Precheck`). ``jurisdiction``: the user's
        scope and name; the name before and after the edit must lie within the scope."""
        today = _edit_date(edit.on, self._today())
        if edit.action == "create":
            clean, why = self._created(tx, edit, admin, reason, scopes, checked)
            tx.set_reason(why)
            return tx.insert(LAYER, clean, edit.geometry)
        if edit.id is None:
            raise BadInput("缺少地名编号", "an edit needs the id of the name")
        current = tx.current(LAYER, edit.id, edit.expected_version)
        scope, user = jurisdiction
        self.guard(scope, current.properties.get("admin_code"), str(current.properties["name"]), user, admin)
        props = dict(current.properties)
        geometry = UNCHANGED
        if edit.action in ("update", "rename"):
            changes = {k: v for k, v in edit.properties.items() if k in _EDITABLE}
            unknown = set(edit.properties) - _EDITABLE
            if unknown:
                raise BadInput(f"不能直接修改字段:{'、'.join(sorted(unknown))}", "fields not editable")
            if changes.get("status") == "retired" or (
                "status" in changes and current.properties["status"] == "retired"
            ):
                raise BadInput("废止和恢复请用 retire / restore", "use retire or restore to change retirement")
            if "name" in changes and changes["name"] != current.properties["name"]:
                if "generic" not in changes:
                    changes["generic"] = None  # split the new name afresh
                former = json.loads(current.properties.get("former_names") or "[]")
                former.append(
                    {
                        "name": current.properties["name"],
                        "romanized": current.properties.get("romanized"),
                        "from": current.properties.get("approved_on"),
                        "to": today,
                    }
                )
                props["former_names"] = json.dumps(former, ensure_ascii=False)
            elif edit.action == "rename":
                raise BadInput("更名需要一个新名称", "a rename needs a new name")
            props.update(changes)
            if edit.geometry is not None:
                geometry = edit.geometry
        elif edit.action == "move":
            if edit.geometry is None:
                raise BadInput("移动需要新的位置", "a move needs a geometry")
            geometry = edit.geometry
        elif edit.action == "retire":
            if current.properties["status"] == "retired":
                raise Conflict("该地名已经废止", "the name is already retired")
            if not reason.strip():
                raise BadInput("废止地名必须说明原因", "retiring a name needs a reason")
            props |= {"status": "retired", "retired_on": today, "retire_reason": reason}
        elif edit.action == "restore":
            if current.properties["status"] != "retired":
                raise Conflict("该地名不是已废止状态,无需恢复", "the name is not retired")
            props |= {"status": "current", "retired_on": None, "retire_reason": None}
        else:  # pragma: no cover - Literal guards it
            raise BadInput(f"未知操作 {edit.action}", "unknown action")
        findings: list[Finding] = []
        if edit.action != "retire":
            new_geom = current.geometry if geometry is UNCHANGED else geometry
            props, findings = self._prepared(
                tx,
                props,
                new_geom,
                exclude_id=current.id,
                override_reason=edit.override_reason,
                admin=admin,
                scopes=scopes,
            )
        moved = None if geometry is UNCHANGED else geometry  # not moved out of it either, by code or position
        self.guard(scope, props.get("admin_code"), str(props["name"]), user, admin, geometry=moved)
        tx.set_reason(self._reason(reason, findings, edit.override_reason))
        return tx.update(LAYER, current.id, expected_version=current.version, properties=props, geometry=geometry)

    @staticmethod
    def guard(
        scope: str | None,
        code: Any,
        name: str,
        user: str,
        admin: AdminLookup,
        *,
        geometry: BaseGeometry | None = None,
    ) -> None:
        """Refuse (Forbidden) a write of the name ``name`` in unit ``code`` by a user confined to ``scope``;
        ``geometry``: a new position (a create or a move), which must lie in the scope's polygon where the
        scope has one (within a metre or so: a point on the boundary is inside)."""
        if scope is None:
            return

        def shown(c: str) -> str:
            unit = admin.units.get(c)
            return f"{unit.properties['name']}（{c}）" if unit is not None else c

        if not str(code or "").startswith(scope):
            raise Forbidden(
                f"“{user}”的管辖范围是{shown(scope)},不能修改属于{shown(str(code or '?'))}的地名“{name}”;未作任何修改",
                f"{user} may write only within {scope}; {name} belongs to {code}",
            )
        home = admin.units.get(scope)
        if geometry is None or geometry.is_empty or home is None or home.geometry is None:
            return
        if admin.contains(scope, geometry, tolerance_deg=_SCOPE_TOLERANCE_DEG):
            return
        at = geometry.representative_point()
        held = [str(u.properties["code"]) for u in admin.at(at.x, at.y)]
        held = [c for c in held if not scope.startswith(c)]  # not the county the scope belongs to
        peer = next((c for c in held if len(c) == len(scope)), held[0] if held else None)  # a unit like the scope
        where = f"{shown(peer)}内" if peer else "管辖范围之外"
        raise Forbidden(
            f"“{user}”的管辖范围是{shown(scope)},地名“{name}”的位置({at.x:.6f}, {at.y:.6f})在{where},"
            "不能放到那里;未作任何修改",
            f"{user} may place names only within {scope}; the position of {name} is outside it",
        )

    def revisions(self) -> tuple[int, int]:
        """The revisions of the names and the admin units: what a check's result depends on besides rules."""
        return self.store.revision(LAYER), self.store.revision("admin_units")

    def apply(
        self,
        edits: Sequence[Edit],
        *,
        user: str,
        comment: str = "",
        precheck: Precheck | None = None,
        then: Callable[[Transaction, list[Feature]], None] | None = None,
        scope: str | None = None,
    ) -> list[Feature]:
        """Apply edits as one changeset, all or nothing. ``precheck``: the creates already checked (an
        import's), used under the write lock only if nothing changed since. ``then``: more writes of the same
        changeset (the naming procedure's step), given the transaction and the saved names. ``scope``: the
        jurisdiction (an admin code prefix) of the user: a name outside it, before or after an edit, refuses
        the whole changeset (Forbidden), nothing written."""
        if not edits:
            raise BadInput("变更集为空", "empty changeset")
        _check_reason(comment, "修改说明")
        for edit in edits:
            _check_reason(edit.override_reason or "", "覆盖理由")
        with self.store.reuse():  # on a file: the reads and the write share one connection
            admin = self.admin()
            for edit in edits:
                if edit.action == "create":
                    name = str(edit.properties.get("name", ""))
                    self.guard(scope, edit.properties.get("admin_code"), name, user, admin, geometry=edit.geometry)
            self.fill_derived()  # names added or changed in another tool since (one indexed query when none were)
            with self.store.transaction(user=user, reason=comment) as tx:
                tx.admit(LAYER)  # every edit below passes the rules and romanization of _apply
                # fill_derived made the stored pinyin follow these readings; one edit reads only its rivals
                scopes = self.scopes(tx, stored_pinyin=True, narrow=len(edits) == 1 and precheck is None)
                if (
                    precheck is not None
                    and len(precheck.results) == len(edits)
                    and all(e.action == "create" for e in edits)
                    and self._hold(tx, edits)
                    and self.revisions() == precheck.revisions  # read under the locks: no one else writes these scopes
                ):
                    # checked already: the rows are completed and written together
                    created = [
                        self._created(tx, e, admin, comment, scopes, checked)
                        for e, checked in zip(edits, precheck.results, strict=True)
                    ]
                    ids = tx.insert_many(
                        LAYER,
                        [(clean, e.geometry) for (clean, _), e in zip(created, edits, strict=True)],
                        reasons=[why for _, why in created],
                    )
                    return [
                        Feature(LAYER, fid, 1, clean, e.geometry, tx.stamp, tx.user)
                        for fid, (clean, _), e in zip(ids, created, edits, strict=True)
                    ]
                # each scope's names read under the write lock when first needed, kept current edit by edit
                scopes.preload(_created_scope(e) for e in edits if e.action == "create")
                out = []
                for edit in edits:
                    feature = self._apply(tx, edit, admin, comment, scopes, jurisdiction=(scope, user))
                    scopes.saved(feature)
                    out.append(feature)
                if then is not None:
                    then(tx, out)
            return out

    @staticmethod
    def _hold(tx: Transaction, edits: Sequence[Edit]) -> bool:
        """Hold the scopes of the names ``edits`` create (true, for use in a condition)."""
        tx.lock_scopes(_created_scope(e) for e in edits)
        return True

    def fill_derived(self) -> int:
        """Give every name stored without its derived fields (added or changed in another tool, whose edits
        clear them, or stored by an earlier version) its scope key and pinyin; after the readings changed,
        every name its pinyin again. Returns how many names were written."""
        current = self._stored_pinyin()
        if current:
            names: Iterable[Feature] = self.store.features(LAYER, where={"scope_key": None}, geometry=False)  # indexed
        else:
            names = self.store.iter_features(LAYER)
        values = {f.id: self._derived(_record(f)) | self._spelled_again(f) for f in names}
        if current and not values:
            return 0  # nothing to write: no transaction
        return self.store.set_derived(LAYER, values, meta={PINYIN_READINGS: self.rules.readings.digest})

    def _standard_spelling(self, p: Mapping[str, Any]) -> str:
        """The romanization a stored name's words, category and subcategory give."""
        specific, generic = name_parts(str(p["name"]), p.get("category"), p.get("generic") or None)
        return self._spelling(specific, generic, p.get("subcategory") in JOINED_SUBCATEGORIES).text

    def _spelled_again(self, f: Feature) -> dict[str, str]:
        """The romanization of a name another tool renamed without spelling it (its trigger cleared it)."""
        p = f.properties
        if p.get("romanized") or not p.get("name"):
            return {}
        return {"romanized": self._standard_spelling(p)}

    def _derived(self, rec: NameRecord) -> dict[str, str]:
        return {"scope_key": scope_key(rec), "pinyin": spell(rec.name, self.rules)}

    def _stored_pinyin(self) -> bool:
        return self.store.meta(PINYIN_READINGS) == self.rules.readings.digest

    def scopes(
        self,
        reader: Store | Transaction | None = None,
        *,
        stored_pinyin: bool | None = None,
        narrow: bool = False,
    ) -> Scopes:
        """Scope lookups on the store (or inside a transaction). ``stored_pinyin``: whether the stored
        pinyin follows the rules' readings, when known (after ``fill_derived``); else read from the store.
        ``narrow``: for the check of one name, read only the names that may compete with it (a scope's
        other names are not read; with untrusted pinyin the whole scope is)."""
        source = reader or self.store
        trusted = self._stored_pinyin() if stored_pinyin is None else stored_pinyin
        # the rules compare attributes only: the geometries are not read
        return Scopes(
            lambda where, any_of: source.features(LAYER, where=where, any_of=any_of, geometry=False),
            stored_pinyin=trusted,
            lock=reader.lock_scopes if isinstance(reader, Transaction) else None,
            rivals=self._rivals if narrow else None,
        )

    def _rivals(self, rec: NameRecord) -> AnyOf:
        name, sound, specific = rival_keys(rec, self.rules)
        return AnyOf(equal=(("name", name),), starts=(("name", specific),), unspaced=(("pinyin", sound),))

    def admin(self) -> AdminLookup:
        """The admin units, read once and kept until they change (in any process: keyed by revision)."""
        revision = self.store.revision("admin_units")
        if self._admin is None or self._admin[0] != revision:
            self._admin = (revision, load_admin(self.store))
        return self._admin[1]

    def create(
        self,
        properties: Mapping[str, Any],
        geometry: BaseGeometry | None,
        *,
        user: str,
        reason: str = "",
        override_reason: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        return self.apply(
            [Edit("create", properties=properties, geometry=geometry, override_reason=override_reason)],
            user=user,
            comment=reason,
            scope=scope,
        )[0]

    def update(
        self,
        fid: int,
        changes: Mapping[str, Any],
        *,
        expected_version: int | None,
        user: str,
        reason: str = "",
        geometry: BaseGeometry | None = None,
        override_reason: str | None = None,
        on: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        edit = Edit("update", fid, expected_version, changes, geometry, on, override_reason)
        return self.apply([edit], user=user, comment=reason, scope=scope)[0]

    def rename(
        self,
        fid: int,
        new_name: str,
        *,
        expected_version: int | None,
        user: str,
        reason: str,
        on: str | None = None,
        override_reason: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        edit = Edit("rename", fid, expected_version, {"name": new_name}, None, on, override_reason)
        return self.apply([edit], user=user, comment=reason, scope=scope)[0]

    def move(
        self,
        fid: int,
        geometry: BaseGeometry,
        *,
        expected_version: int | None,
        user: str,
        reason: str = "",
        scope: str | None = None,
    ) -> Feature:
        edit = Edit("move", fid, expected_version, geometry=geometry)
        return self.apply([edit], user=user, comment=reason, scope=scope)[0]

    def retire(
        self,
        fid: int,
        *,
        expected_version: int | None,
        user: str,
        reason: str,
        on: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        return self.apply([Edit("retire", fid, expected_version, on=on)], user=user, comment=reason, scope=scope)[0]

    def restore(
        self,
        fid: int,
        *,
        expected_version: int | None,
        user: str,
        reason: str = "",
        override_reason: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        edit = Edit("restore", fid, expected_version, override_reason=override_reason)
        return self.apply([edit], user=user, comment=reason, scope=scope)[0]

    def revert(
        self,
        fid: int,
        to_version: int,
        *,
        expected_version: int | None,
        user: str,
        reason: str,
        override_reason: str | None = None,
        scope: str | None = None,
    ) -> Feature:
        """A new version with the content of version ``to_version`` (its fields and position, from the
        history), checked like any edit; nothing of the history is lost. A reason is required; a version
        whose retirement differs from today's is refused (retire or restore instead), as is one whose
        position was changed outside mzgis (the history notes only that it changed)."""
        if not reason.strip():
            raise BadInput("恢复到旧版本必须说明原因", "reverting needs a reason")
        current = self.store.get(LAYER, fid)
        self.guard(scope, current.properties.get("admin_code"), str(current.properties["name"]), user, self.admin())
        check_version(current, expected_version)  # a stale revert is refused before anything else
        state: dict[str, Any] = {}
        for entry in self.history(fid):
            if entry.version > to_version:
                break
            state |= entry.after or {}
        if to_version < 1 or to_version >= current.version or not state:
            raise BadInput(
                f"版本应在 1–{current.version - 1} 之间(当前版本 {current.version})",
                f"no version {to_version} to revert to",
            )
        if (state.get("status") == "retired") != (current.properties["status"] == "retired"):
            raise BadInput("版本的废止状态与现在不同;废止和恢复请用 retire / restore", "use retire or restore")
        shape = state.get("geometry")
        if isinstance(shape, str):  # an edit made outside mzgis: the history says only that it moved
            raise BadInput(f"版本 {to_version} 的位置是在 mzgis 之外修改的,历史中没有坐标,无法还原", "position unknown")
        geometry = None if shape is None else shapely_shape(shape)
        changes: dict[str, Any] = {
            k: state.get(k) for k in USER_FIELDS if k in state and state.get(k) != current.properties.get(k)
        }
        moved = geometry is not None and current.geometry is not None and not geometry.equals(current.geometry)
        if not changes and not moved:
            raise BadInput(f"版本 {to_version} 与当前内容相同,无需恢复", "nothing to revert")
        edit = Edit(
            "update", fid, expected_version, changes, geometry if moved else None, override_reason=override_reason
        )
        return self.apply([edit], user=user, comment=f"恢复到版本 {to_version}:{reason}", scope=scope)[0]

    # ---------------------------------------------------------------- reads

    def get(self, fid: int) -> Feature:
        return self.store.get(LAYER, fid)

    def history(self, fid: int) -> list[AuditEntry]:
        """Every recorded change of a name, oldest first."""
        self.store.get(LAYER, fid)  # NotFound for an unknown id
        return self.store.audit(layer=LAYER, feature_id=fid)

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
        if not query.strip() and near is None:
            raise BadInput("请输入查询词或位置", "give a query or a point")
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

    def _spelling_findings(self, f: Feature) -> list[Finding]:
        """A stored romanization other than the standard one (typed in another tool, or by an older version):
        a finding of its own, with the spelling proposed."""
        p = f.properties
        stored = p.get("romanized")
        if not stored or not p.get("name"):
            return []  # none yet: mzgis spells it at its next look
        expected = self._standard_spelling(p)
        if stored == expected:
            return []
        message = f"罗马字母拼写“{stored}”不是标准拼写,应为“{expected}”"
        return [Finding("spelling_mismatch", "warning", message, f"romanized {stored!r}, standard {expected!r}")]

    def check_all(self) -> list[tuple[Feature, list[Finding]]]:
        """Every rule over the whole gazetteer (the clean-up report): names with findings, in id order."""
        stored_pinyin = self._stored_pinyin()
        features = list(self.store.iter_features(LAYER))
        records = [_record(f, stored_pinyin=stored_pinyin) for f in features]
        admin = self.admin()
        groups: dict[str, list[NameRecord]] = defaultdict(list)
        for rec in records:  # each name is compared with its own scope only: the work grows with n, not n²
            groups[scope_key(rec)].append(rec)
        out = []
        for f, rec in zip(features, records, strict=True):
            if rec.status == "retired":
                continue
            findings = check_name(rec, groups[scope_key(rec)], rules=self.rules)
            if f.geometry is not None and not admin.contains(rec.admin_code, f.geometry):
                findings.append(
                    Finding("admin_mismatch", "warning", f"位置不在所在区划“{admin.name(rec.admin_code)}”内", "outside")
                )
            findings += self._spelling_findings(f)
            if findings:
                out.append((f, findings))
        return out
