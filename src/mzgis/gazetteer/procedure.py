"""The naming procedure (地名管理条例 2022, 第十二条至第十九条): a proposed name is applied for (申报), accepted
(受理), examined by experts and the public (论证/征求意见), approved (批准) — or refused (不予批准) — announced
within 15 days of approval (公告) and filed (备案).

Each application is a row of ``name_procedures``; each step an update of it (versioned and audited, a stale
version refused). Steps go in order, each dated no earlier than the one before (rules of the file too), and
each needs its role: editors record applications, acceptance, review, announcement and filing; approvers
(审批) approve or refuse. Approval makes the place name current with its approval reference and date, in the
same changeset as the step. Documents (the application, expert opinions, the approval letter, photos of
signs) are kept in the data file with the application (:mod:`mzgis.store` documents).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mzgis.errors import BadInput, Conflict, RuleViolation
from mzgis.gazetteer.edits import Actor, Edit, guard
from mzgis.gazetteer.service import Gazetteer
from mzgis.layers import PROCEDURE_STAGES, choice_labels, get_layer
from mzgis.store import Feature, Transaction
from mzgis.text import clean_text

__all__ = ["ANNOUNCE_WITHIN_DAYS", "STEPS", "Procedures", "Step"]

LAYER = "name_procedures"
ANNOUNCE_WITHIN_DAYS = 15  # 第十七条: announced within 15 days of approval
STAGE_ZH = choice_labels(get_layer(LAYER), "stage")


@dataclass(frozen=True)
class Step:
    """A step of the procedure: the stages it may follow, the stage it leads to, the role it needs, the
    date field it sets and the fields it must and may fill."""

    zh: str
    after: tuple[str, ...]
    to: str
    role: str
    date_field: str
    not_before: str  # the date field of the step this one follows: its date may not be earlier
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


STEPS: dict[str, Step] = {
    "accept": Step("受理", ("applied",), "accepted", "editor", "accepted_on", "applied_on"),
    "review": Step(
        "论证",
        ("accepted",),
        "reviewed",
        "editor",
        "reviewed_on",
        "accepted_on",
        optional=("expert_opinion", "public_comment"),
    ),
    "approve": Step(
        "批准", ("reviewed",), "approved", "approver", "approved_on", "reviewed_on", required=("approval_ref",)
    ),
    "refuse": Step(
        "不予批准",
        ("applied", "accepted", "reviewed"),
        "refused",
        "approver",
        "refused_on",
        "applied_on",
        required=("refusal_reason",),
    ),
    "announce": Step(
        "公告", ("approved",), "announced", "editor", "announced_on", "approved_on", optional=("announcement_ref",)
    ),
    "file": Step("备案", ("announced",), "filed", "editor", "filed_on", "announced_on", optional=("filing_ref",)),
}
assert {s.to for s in STEPS.values()} | {"applied"} == set(PROCEDURE_STAGES)


def _date(value: str | dt.date | None, today: dt.date, what: str) -> dt.date:
    if value is None or value == "":
        return today
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise BadInput(f"{what}“{value}”应为日期 YYYY-MM-DD", f"{what} must be YYYY-MM-DD") from None
    if day > today:
        raise RuleViolation(f"{what} {day} 晚于今天({today})", f"{what} is after today")
    return day


def _text(value: Any, what: str, *, limit: int, multiline: bool = False) -> str:
    try:
        text = clean_text(value, multiline=multiline)
    except ValueError as exc:
        raise BadInput(f"{what}{exc}", f"bad {what}") from None
    if not text:
        raise BadInput(f"{what}不能为空", f"{what} is required")
    if len(text) > limit:
        raise BadInput(f"{what}超过 {limit} 个字符", f"{what} too long")
    return text


def _step_fields(step: str, spec: Step, details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields a step writes: its new stage and its details, each required one given, every text checked."""
    given = dict(details or {})
    unknown = set(given) - set(spec.required) - set(spec.optional)
    if unknown:
        raise RuleViolation(f"{spec.zh}不需要这些字段:{'、'.join(sorted(unknown))}", "unknown fields for this step")
    layer = get_layer(LAYER)
    changes: dict[str, Any] = {"stage": spec.to}
    for key in (*spec.required, *spec.optional):
        value = given.get(key)
        if value is None or str(value).strip() == "":
            if key in spec.required:
                raise RuleViolation(f"{spec.zh}须填写{layer.field(key).label_zh}", f"{key} is required")
            continue
        f = layer.field(key)
        changes[key] = _text(value, f.label_zh, limit=f.max_length or 2000, multiline=f.multiline)
    if step == "review" and not ({"expert_opinion", "public_comment"} & set(changes)):
        raise RuleViolation("论证须填写专家论证意见或征求意见结果", "an opinion is required")
    return changes


class Procedures:
    """The naming procedure on a gazetteer's store."""

    def __init__(self, gazetteer: Gazetteer, *, today: Callable[[], dt.date] | None = None) -> None:
        self.gazetteer = gazetteer
        self.store = gazetteer.store
        self._today = today or gazetteer._today

    # ---------------------------------------------------------------- reading

    def get(self, pid: int) -> Feature:
        return self.store.get(LAYER, pid)

    def queue(self, stage: str | None = None) -> list[Feature]:
        """Applications, oldest first; of one stage when given (by its id or its Chinese name: 备案)."""
        by_zh = {zh: k for k, zh in STAGE_ZH.items()}
        stage = by_zh.get(stage, stage) if stage is not None else None
        if stage is not None and stage not in PROCEDURE_STAGES:
            raise BadInput(
                f"办理环节应为 {'、'.join(f'{k}({v})' for k, v in STAGE_ZH.items())} 之一,不是“{stage}”",
                "unknown stage",
            )
        found = self.store.features(LAYER, where={"stage": stage} if stage else None, geometry=False)
        return sorted(found, key=lambda f: (str(f.properties["applied_on"]), f.id))

    def overdue(self, *, today: dt.date | None = None) -> list[tuple[Feature, int]]:
        """Approved names not announced within 15 days: each with the days since approval."""
        today = today or self._today()
        out = []
        for f in self.queue("approved"):
            days = (today - dt.date.fromisoformat(str(f.properties["approved_on"]))).days
            if days > ANNOUNCE_WITHIN_DAYS:
                out.append((f, days))
        return out

    # ---------------------------------------------------------------- steps

    def guard(self, name: Feature, user: str, scope: str | None) -> None:
        """Refuse (Forbidden) a user confined to ``scope`` the application of a name outside it."""
        admin = self.gazetteer.admin()
        guard(Actor(user, scope), admin, name.properties.get("admin_code"), str(name.properties["name"]))

    def guard_application(self, pid: int, user: str, scope: str | None) -> Feature:
        """:meth:`guard` for the name of application ``pid`` (NotFound for an unknown one); the application."""
        current = self.store.get(LAYER, pid)
        self.guard(self.store.get("place_names", int(current.properties["name_id"])), user, scope)
        return current

    def apply(
        self,
        name_id: int,
        *,
        applicant: str,
        reasons: str,
        user: str,
        on: str | dt.date | None = None,
        scope: str | None = None,
    ) -> Feature:
        """Record an application (申报) for a proposed name; one open application per name. ``scope``: the
        user's jurisdiction, which the name must lie in."""
        name = self.gazetteer.store.get("place_names", name_id)  # NotFound for an unknown id
        self.guard(name, user, scope)
        if name.properties.get("status") != "proposed":
            raise Conflict(
                f"“{name.properties['name']}”不是拟用地名(状态:{name.properties.get('status')}),不能申报",
                "only proposed names are applied for",
            )
        open_ones = [
            f for f in self.store.features(LAYER, where={"name_id": name_id}, geometry=False)
            if f.properties["stage"] not in ("filed", "refused")
        ]  # fmt: skip
        if open_ones:
            first = open_ones[0]
            raise Conflict(
                f"“{name.properties['name']}”已有办理中的申报(编号 {first.id},{STAGE_ZH[first.properties['stage']]})",
                "an application is open",
            )
        row = {
            "name_id": name_id,
            "name": name.properties["name"],
            "stage": "applied",
            "applicant": _text(applicant, "申报单位(人)", limit=100),
            "reasons": _text(reasons, "申报理由", limit=2000, multiline=True),
            "applied_on": _date(on, self._today(), "申报日期").isoformat(),
        }
        with self.store.transaction(user=user, reason=f"申报地名“{row['name']}”") as tx:
            tx.admit(LAYER)
            return tx.insert(LAYER, row, None)

    def step(
        self,
        pid: int,
        step: str,
        *,
        version: int,
        user: str,
        on: str | dt.date | None = None,
        details: Mapping[str, Any] | None = None,
        scope: str | None = None,
    ) -> Feature:
        """Take ``step`` (accept, review, approve, refuse, announce, file) of application ``pid`` at
        ``version``; ``details``: the step's fields (approval_ref, expert_opinion …). Roles are the caller's
        to check (:data:`STEPS` names them); ``scope``: the user's jurisdiction, which the name must lie in."""
        spec = STEPS.get(step)
        if spec is None:
            raise BadInput(
                f"办理步骤应为 {'、'.join(f'{k}({s.zh})' for k, s in STEPS.items())} 之一,不是“{step}”", "unknown step"
            )
        current = self.guard_application(pid, user, scope)
        stage = str(current.properties["stage"])
        if stage not in spec.after:
            allowed = "、".join(f"{k}({s.zh})" for k, s in STEPS.items() if stage in s.after) or "无(已办结)"
            raise Conflict(
                f"“{current.properties['name']}”在{STAGE_ZH[stage]}环节,不能{spec.zh};可办理:{allowed}",
                f"step {step} not allowed at stage {stage}",
            )
        changes = _step_fields(step, spec, details)
        day = _date(on, self._today(), f"{spec.zh}日期")
        previous = spec.not_before
        if str(current.properties[previous]) > day.isoformat():
            raise RuleViolation(
                f"{spec.zh}日期 {day} 早于{get_layer(LAYER).field(previous).label_zh} {current.properties[previous]}",
                "steps must be in date order",
            )
        changes[spec.date_field] = day.isoformat()
        if step == "accept":
            changes["accepted_by"] = user
        reason = f"{spec.zh}:{current.properties['name']}"
        if step != "approve":
            with self.store.transaction(user=user, reason=reason) as tx:
                tx.admit(LAYER)
                return tx.update(LAYER, pid, expected_version=version, properties=changes)
        changes["approved_by"] = user
        # approval: the name becomes current with its approval reference and date, in the same changeset
        name = self.store.get("place_names", int(current.properties["name_id"]))
        out: list[Feature] = []

        def record_step(tx: Transaction, _: list[Feature]) -> None:
            tx.admit(LAYER)
            out.append(tx.update(LAYER, pid, expected_version=version, properties=changes))

        self.gazetteer.apply(
            [
                Edit(
                    "update",
                    id=name.id,
                    expected_version=name.version,
                    properties={
                        "status": "current",
                        "approval_ref": changes["approval_ref"],
                        "approved_on": day.isoformat(),
                    },
                )
            ],
            user=user,
            comment=f"批准地名“{name.properties['name']}”({changes['approval_ref']})",
            then=record_step,
        )
        return out[0]
