"""The clean-up report's checks: every rule over the whole gazetteer, each name against its own scope, with
the position against its unit and the stored spelling against the standard one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from mzgis.admin import AdminLookup
from mzgis.gazetteer.rules import Finding, NameRecord, RuleSet, check_name, scope_key
from mzgis.gazetteer.scopes import name_record
from mzgis.gazetteer.spellings import exceptions
from mzgis.store import Feature, Store

__all__ = ["CleanUp"]

LAYER = "place_names"


class CleanUp:
    """The whole-gazetteer check (a part of :class:`~mzgis.gazetteer.service.Gazetteer`)."""

    store: Store
    rules: RuleSet

    def admin(self) -> AdminLookup:
        raise NotImplementedError

    def _stored_pinyin(self) -> bool:
        raise NotImplementedError

    def _standard_spelling(self, p: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def _spelling_findings(self, f: Feature, kept: Mapping[int, Mapping[str, Any]] | None = None) -> list[Finding]:
        """A stored romanization other than the standard one (typed in another tool, or by an older version):
        a finding of its own, with the spelling proposed; not where an officer recorded it as an exception
        (``kept``: the exceptions by name id)."""
        p = f.properties
        stored = p.get("romanized")
        if not stored or not p.get("name"):
            return []  # none yet: mzgis spells it at its next look
        if kept is not None and (kept.get(f.id) or {}).get("romanized") == stored:
            return []  # kept on purpose, with its reason
        expected = self._standard_spelling(p)
        if stored == expected:
            return []
        message = f"罗马字母拼写“{stored}”不是标准拼写,应为“{expected}”"
        return [Finding("spelling_mismatch", "warning", message, f"romanized {stored!r}, standard {expected!r}")]

    def check_all(self) -> list[tuple[Feature, list[Finding]]]:
        """Every rule over the whole gazetteer (the clean-up report): names with findings, in id order."""
        stored_pinyin = self._stored_pinyin()
        features = list(self.store.iter_features(LAYER))
        records = [name_record(f, stored_pinyin=stored_pinyin) for f in features]
        admin = self.admin()
        kept = exceptions(self.store)
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
            findings += self._spelling_findings(f, kept)
            if findings:
                out.append((f, findings))
        return out
