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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

from mzgis.admin import AdminLookup, load_admin
from mzgis.clock import beijing_today
from mzgis.errors import BadInput, Conflict, RuleViolation
from mzgis.gazetteer.cleanup import CleanUp
from mzgis.gazetteer.edits import USER_FIELDS, Acting, Actor, Edit, check_reason, edit_date, guard, reverted
from mzgis.gazetteer.finder import NameFinder
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
from mzgis.gazetteer.scopes import Scopes, created_scope, name_record
from mzgis.gazetteer.search import (
    NameIndex,
)
from mzgis.gazetteer.spellings import exception_of
from mzgis.gazetteer.verbs import EditVerbs
from mzgis.layers import LAYERS, check_geometry, check_record, promote_geometry
from mzgis.store import UNCHANGED, AuditEntry, Feature, Store, Transaction
from mzgis.store.base import AnyOf
from mzgis.text import text_problem

__all__ = [
    "PINYIN_READINGS",
    "USER_FIELDS",
    "Actor",
    "CheckResult",
    "Edit",
    "Gazetteer",
    "Precheck",
    "romanize_name",
    "validate_name",
]

LAYER = "place_names"
_EDITABLE = {*USER_FIELDS, "specific", "generic", "romanized"}
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


class Gazetteer(EditVerbs, NameFinder, CleanUp):
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
            raise RuleViolation(f"所在区划代码 {code} 不存在", f"unknown admin code {code}")
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
                raise RuleViolation(f"位置不在{where}范围内", "the geometry lies outside the county")
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
        if problems:  # the fields the name's own (specific, romanization) are worked out into
            raise RuleViolation(";".join(problems), "invalid place name fields", problems=problems)
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
        given = props.get("romanized")
        if given and given != result.romanized:  # a spelling kept on purpose stays while it is the stored one
            kept = exception_of(self.store, exclude_id)
            if kept is not None and given == kept.get("romanized"):
                out["romanized"] = given
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

    @staticmethod
    def _changes(current: Feature, edit: Edit, today: str) -> dict[str, Any]:
        """What an update or a rename changes of ``current``: its editable fields, and on a new name the old
        one among the former names (with its spelling and the dates it was in use)."""
        changes: dict[str, Any] = {k: v for k, v in edit.properties.items() if k in _EDITABLE}
        unknown = set(edit.properties) - _EDITABLE
        if unknown:
            raise BadInput(f"不能直接修改字段:{'、'.join(sorted(unknown))}", "fields not editable")
        if changes.get("status") == "retired" or ("status" in changes and current.properties["status"] == "retired"):
            raise Conflict("废止和恢复请用 retire / restore", "use retire or restore to change retirement")
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
            changes["former_names"] = json.dumps(former, ensure_ascii=False)
        elif edit.action == "rename":
            raise RuleViolation("更名需要一个新名称", "a rename needs a new name")
        return changes

    def _apply(
        self,
        tx: Transaction,
        edit: Edit,
        admin: AdminLookup,
        reason: str,
        scopes: Scopes,
        checked: CheckResult | None = None,
        *,
        actor: Actor,
    ) -> Feature:
        """Apply one edit inside ``tx``; an override of rule errors is recorded in the edit's audit reason.
        ``checked``: a create's result checked ahead (see :class:`Precheck`). ``actor``: who edits; the name
        before and after the edit must lie within the actor's jurisdiction."""
        today = edit_date(edit.on, self._today())
        if edit.action == "create":
            clean, why = self._created(tx, edit, admin, reason, scopes, checked)
            tx.set_reason(why)
            return tx.insert(LAYER, clean, edit.geometry)
        if edit.id is None:
            raise BadInput("缺少地名编号", "an edit needs the id of the name")
        current = tx.current(LAYER, edit.id, edit.expected_version)
        guard(actor, admin, current.properties.get("admin_code"), str(current.properties["name"]))
        props = dict(current.properties)
        geometry = UNCHANGED
        if edit.action in ("update", "rename"):
            props.update(self._changes(current, edit, today))
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
        guard(actor, admin, props.get("admin_code"), str(props["name"]), geometry=moved)
        tx.set_reason(self._reason(reason, findings, edit.override_reason))
        return tx.update(LAYER, current.id, expected_version=current.version, properties=props, geometry=geometry)

    def revisions(self) -> tuple[int, int]:
        """The revisions of the names and the admin units: what a check's result depends on besides rules."""
        return self.store.revision(LAYER), self.store.revision("admin_units")

    def apply(
        self,
        edits: Sequence[Edit],
        *,
        user: str | Acting,
        comment: str = "",
        precheck: Precheck | None = None,
        then: Callable[[Transaction, list[Feature]], None] | None = None,
        scope: str | None = None,
    ) -> list[Feature]:
        """Apply edits as one changeset, all or nothing. ``precheck``: the creates already checked (an
        import's), used under the write lock only if nothing changed since. ``then``: more writes of the same
        changeset (the naming procedure's step), given the transaction and the saved names. ``user``: who
        edits (an ``Acting``, or a name with ``scope`` its jurisdiction): a name outside the jurisdiction,
        before or after an edit, refuses the whole changeset (Forbidden), nothing written. A revert is worked
        out into its update first (``edits.reverted``), its comment naming the version."""
        if not edits:
            raise BadInput("变更集为空", "empty changeset")
        actor = Actor(user, scope) if isinstance(user, str) else Actor(user.name, user.scope)
        check_reason(comment, "修改说明")
        for edit in edits:
            check_reason(edit.override_reason or "", "覆盖理由")
        with self.store.reuse():  # on a file: the reads and the write share one connection
            admin = self.admin()
            for edit in edits:
                if edit.action == "create":
                    name = str(edit.properties.get("name", ""))
                    guard(actor, admin, edit.properties.get("admin_code"), name, geometry=edit.geometry)
            self.fill_derived()  # names added or changed in another tool since (one indexed query when none were)
            if any(e.action == "revert" for e in edits):
                edits, comment = self._reverts(edits, comment, actor, admin)
            with self.store.transaction(user=actor.name, reason=comment) as tx:
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
                scopes.preload(created_scope(e) for e in edits if e.action == "create")
                out = []
                for edit in edits:
                    feature = self._apply(tx, edit, admin, comment, scopes, actor=actor)
                    scopes.saved(feature)
                    out.append(feature)
                if then is not None:
                    then(tx, out)
            return out

    def _reverts(self, edits: Sequence[Edit], comment: str, actor: Actor, admin: AdminLookup) -> tuple[list[Edit], str]:
        """The reverts among ``edits`` as the updates they make (the jurisdiction checked first: an officer
        learns nothing of a name outside it), and the comment naming the version."""
        out: list[Edit] = []
        for edit in edits:
            if edit.action != "revert":
                out.append(edit)
                continue
            if edit.id is None:
                raise BadInput("缺少地名编号", "an edit needs the id of the name")
            current = self.store.get(LAYER, edit.id)
            guard(actor, admin, current.properties.get("admin_code"), str(current.properties["name"]))
            out.append(reverted(current, self.store.audit(layer=LAYER, feature_id=edit.id), edit, comment))
            comment = f"恢复到版本 {edit.to_version}:{comment}"
        return out, comment

    @staticmethod
    def _hold(tx: Transaction, edits: Sequence[Edit]) -> bool:
        """Hold the scopes of the names ``edits`` create (true, for use in a condition)."""
        tx.lock_scopes(created_scope(e) for e in edits)
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
        values = {f.id: self._derived(name_record(f)) | self._spelled_again(f) for f in names}
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

    # ---------------------------------------------------------------- reads

    def get(self, fid: int) -> Feature:
        return self.store.get(LAYER, fid)

    def history(self, fid: int) -> list[AuditEntry]:
        """Every recorded change of a name, oldest first."""
        self.store.get(LAYER, fid)  # NotFound for an unknown id
        return self.store.audit(layer=LAYER, feature_id=fid)
