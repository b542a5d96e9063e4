"""The names every backend shares and the rules of the layer model as each database states them: table and
column names, the store's notes, the reason outside edits carry, and each field's and record's rules (name,
kind, argument), from which each backend's DDL writes its own SQL."""

from __future__ import annotations

import re
from typing import Any

from mzgis.layers import ADMIN_LEVEL_CODE_LENGTH, CODE_PATTERN, Field, Layer

__all__ = [
    "ACCOUNT_FIELDS",
    "ACCOUNT_TABLES",
    "AUDIT_TABLE",
    "CHANGESET_TABLE",
    "CONTROL_POINTS",
    "DEFAULTS",
    "DOCUMENTS_TABLE",
    "DOCUMENT_FIELDS",
    "EXTERNAL_REASON",
    "GEOM",
    "INVISIBLE_POINTS",
    "META_TABLE",
    "MULTILINE_CONTROL_POINTS",
    "SCHEMA_VERSION",
    "SECURITY_FIELDS",
    "SECURITY_TABLE",
    "STORE_ID_KEY",
    "TOKEN_FIELDS",
    "USERS_TABLE",
    "column_constraints",
    "field_rules",
    "q",
    "record_checks",
]

GEOM = "geom"
AUDIT_TABLE = "mzgis_audit"
CHANGESET_TABLE = "mzgis_changesets"
META_TABLE = "mzgis_meta"
# the store's identity (a UUID made with it, kept by copy): exports carry it so an update matches ids only at home
STORE_ID_KEY = "store_id"
# 2: constraints as CHECKs, system defaults, integrity triggers; 3: derived fields (a place name's scope key
# and pinyin) cleared by edits made outside mzgis, so the gazetteer works them out again
SCHEMA_VERSION = "3"
EXTERNAL_REASON = "在 mzgis 之外修改"
DOCUMENTS_TABLE = "mzgis_documents"
# a document's record as listed (its bytes are read one document at a time)
DOCUMENT_FIELDS = ("id", "procedure_id", "filename", "media_type", "bytes", "sha256", "note", "added_at", "added_by")
USERS_TABLE = "mzgis_users"
TOKENS_TABLE = "mzgis_tokens"
FAILURES_TABLE = "mzgis_sign_in_failures"
ACCOUNT_TABLES = (USERS_TABLE, TOKENS_TABLE, FAILURES_TABLE)
# an account's columns, in the order of the table; the password's state (身份鉴别): when it was last set, whether
# its holder must change it at the next sign-in (set by an administrator), the hashes of the earlier ones (JSON);
# the second factor's shared secret (base32, :mod:`mzgis.totp`; none: a password alone) and the time step of the
# last code used (a code counts once)
ACCOUNT_FIELDS = (
    "name", "role", "password_hash", "disabled", "created_at", "created_by", "scope",
    "password_changed_at", "must_change", "password_history", "totp_secret", "totp_used_step",
)  # fmt: skip
# the security log (安全审计): sign-ins, sign-outs, tokens, account changes, refusals, exports, backups; each row
# chained to the one before by ``hash`` (SHA-256 over the row and the previous hash); rows are never changed
SECURITY_TABLE = "mzgis_security_log"
SECURITY_FIELDS = ("id", "at", "account", "event", "success", "client", "detail")
# a token's columns; last_seen: when it was last used (a web sign-in ends after a while without use)
TOKEN_FIELDS = ("token_hash", "name", "created_at", "expires_at", "label", "last_seen")


def q(identifier: str) -> str:
    """An identifier of ours, quoted; anything but a plain name is refused."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", identifier):
        raise ValueError(identifier)
    return f'"{identifier}"'


def field_rules(f: Field) -> list[tuple[str, str, Any]]:
    """(name, kind, argument) of every rule of one field, the same for every database: the name is the
    rule in Chinese (so a tool that refuses a row shows it), the kind says which SQL each dialect writes."""
    label = f"{f.label_zh}({f.name})"
    out: list[tuple[str, str, Any]] = []
    if f.type == "text":
        out.append((f"{label}最多 {f.length_limit} 个字符", "length", f.length_limit))
        out.append((f"{label}不能含控制字符", "controls", f.multiline))
        out.append((f"{label}不能含不可见字符", "invisible", None))
    elif f.type == "integer":
        out.append((f"{label}应为整数", "type", "integer"))
    elif f.type == "real":
        out.append((f"{label}应为数值", "type", "real"))
    elif f.type == "boolean":
        out.append((f"{label}应为 0 或 1", "type", "boolean"))
    elif f.type == "date":
        out.append((f"{label}应为日期 YYYY-MM-DD", "type", "date"))
    if f.choices:
        out.append((f"{label}只能取 {'、'.join(f.choices)}", "choices", f.choices))
    if f.pattern is not None:
        if f.pattern != CODE_PATTERN:  # every pattern of the layer model has its SQL here
            raise ValueError(f"no SQL for the pattern of {f.name}")
        out.append((f"{label}应为 6、9 或 12 位数字", "code", None))
    if f.plain:
        out.append((f"{label}不能含路径字符或以“.”开头", "plain", None))
    if f.minimum is not None:
        out.append((f"{label}不能小于 {f.minimum:g}", "minimum", f.minimum))
    if f.maximum is not None:
        out.append((f"{label}不能大于 {f.maximum:g}", "maximum", f.maximum))
    return out


# characters no text may hold, as code points: controls (tab and line breaks allowed in multi-line fields)
# and invisible ones
CONTROL_POINTS = (*range(1, 32), 127)
MULTILINE_CONTROL_POINTS = (*range(1, 9), 11, 12, *range(14, 32), 127)
INVISIBLE_POINTS = (0xAD, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065), 0xFEFF, 0x3164)


def record_checks(layer: Layer) -> list[tuple[str, str]]:
    """The layer model's rules between fields of one record."""
    if layer.name == "admin_units":
        lengths = " ".join(f"WHEN '{lvl}' THEN {n}" for lvl, n in ADMIN_LEVEL_CODE_LENGTH.items())
        return [
            ("区划代码位数应与层级相符", f'length("code") = CASE "level" {lengths} END'),
            ("区划代码应以上级代码开头", '"parent_code" IS NULL OR "level" = \'county\' OR substr("code", 1, length("parent_code")) = "parent_code"'),
            ("乡镇和村级单位必须有上级代码", '"level" = \'county\' OR "parent_code" IS NOT NULL'),
        ]  # fmt: skip
    if layer.name == "population":
        return [
            ("60岁以上人口不能多于总人口", '"aged_60_plus" <= "total"'),
            ("80岁以上人口不能多于60岁以上人口", '"aged_80_plus" <= "aged_60_plus"'),
        ]
    if layer.name == "eldercare_facilities":
        return [("护理型床位数不能多于床位数", '"nursing_beds" <= "beds"')]
    if layer.name == "boundary_lines":
        return [("界线两侧不能是同一个区划", '"county_a" != "county_b"')]
    if layer.name == "name_procedures":  # each stage needs its step's date (and what it decides), in order
        return [
            ("受理须有受理日期", '"stage" = \'applied\' OR "stage" = \'refused\' OR "accepted_on" IS NOT NULL'),
            ("论证须有论证完成日期和意见", '"stage" NOT IN (\'reviewed\', \'approved\', \'announced\', \'filed\') OR ("reviewed_on" IS NOT NULL AND coalesce("expert_opinion", "public_comment") IS NOT NULL)'),
            ("批准须有批准日期、文号和批准人", '"stage" NOT IN (\'approved\', \'announced\', \'filed\') OR ("approved_on" IS NOT NULL AND "approval_ref" IS NOT NULL AND "approved_by" IS NOT NULL)'),
            ("公告须有公告日期", '"stage" NOT IN (\'announced\', \'filed\') OR "announced_on" IS NOT NULL'),
            ("备案须有备案日期", '"stage" <> \'filed\' OR "filed_on" IS NOT NULL'),
            ("不予批准须有日期和理由", '"stage" <> \'refused\' OR ("refused_on" IS NOT NULL AND "refusal_reason" IS NOT NULL)'),
            ("受理不能早于申报", '"accepted_on" IS NULL OR "accepted_on" >= "applied_on"'),
            ("论证不能早于受理", '"reviewed_on" IS NULL OR "reviewed_on" >= "accepted_on"'),
            ("批准不能早于论证", '"approved_on" IS NULL OR "approved_on" >= "reviewed_on"'),
            ("公告不能早于批准", '"announced_on" IS NULL OR "announced_on" >= "approved_on"'),
            ("备案不能早于公告", '"filed_on" IS NULL OR "filed_on" >= "announced_on"'),
            ("不予批准不能早于申报", '"refused_on" IS NULL OR "refused_on" >= "applied_on"'),
        ]  # fmt: skip
    if layer.name == "place_names":  # an empty specific is filled from the name by the insert trigger
        return [
            (
                "标准名称须为专名加通名;改名时请一并改专名",
                '"specific" = \'\' OR "specific" || coalesce("generic", \'\') = "name"',
            )
        ]
    return []


# defaults that let another tool add a row with only the user's fields (then validated like any other)
DEFAULTS = {("place_names", "status"): "'proposed'", ("place_names", "specific"): "''"}


def column_constraints(layer: str, field: Field) -> str:
    """What follows a column's type in either backend's DDL: the default a tool's NULL gets (filled by the
    insert trigger: QGIS sends NULL for an empty field), else NOT NULL when required; UNIQUE."""
    default = DEFAULTS.get((layer, field.name))
    tail = f" DEFAULT {default}" if default is not None else " NOT NULL" if field.required else ""
    return tail + (" UNIQUE" if field.unique else "")
