"""Accounts, roles and sign-in tokens: one service for the CLI (``mzgis users``) and the API.

Roles rise in order: a viewer reads; a planner also runs analyses and what-ifs; an editor also changes
place names and boundary data; an admin also manages accounts. Passwords are kept only as argon2id hashes
(with a random salt; scrypt hashes of earlier versions still verify and are replaced at the next
sign-in); tokens only as SHA-256 hashes, so a copy of the GeoPackage gives away no password or token (it
holds the second factors' shared secrets sealed when a key file is set: :mod:`mzgis.sealing`). Hashing and
the password policy: :mod:`mzgis.passwords`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import math
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from mzgis import totp
from mzgis.clock import parse_stamp, stamp
from mzgis.errors import BadInput, Conflict, Forbidden, InvalidStore, NotFound, NotSignedIn, RuleViolation
from mzgis.passwords import (
    MIN_PASSWORD,
    check_password,
    decoy_hash,
    hash_password,
    outdated,
    password_problem,
    verify_password,
)
from mzgis.sealing import KEY_REQUIRED, SecretKey, is_sealed
from mzgis.security import SecurityLog
from mzgis.store import AccountStore
from mzgis.text import refused_class, text_problem

__all__ = [
    "MIN_PASSWORD",
    "PASSWORD_CHANGE_ZH",
    "ROLES",
    "ROLE_ZH",
    "SECOND_FACTOR_ROLES",
    "WEB_LABEL",
    "AccountPolicy",
    "Role",
    "SignIn",
    "User",
    "Users",
    "check_scope",
    "hash_password",
    "password_problem",
    "require",
    "verify_password",
]

Role = Literal["viewer", "planner", "editor", "approver", "admin"]
# in rank order: each role may do what the roles before it may; an approver (审批) also approves place names
ROLES: tuple[Role, ...] = ("viewer", "planner", "editor", "approver", "admin")
ROLE_ZH: dict[str, str] = {"viewer": "查看", "planner": "规划", "editor": "编辑", "approver": "审批", "admin": "管理员"}
MAX_FAILURES = 5  # failed sign-ins of one name within LOCKOUT lock it for LOCKOUT
LOCKOUT = dt.timedelta(minutes=15)


@cache
def name_pattern() -> str:
    """An account's name: 1–40 characters, no white space, slash, backslash, colon, control or invisible
    character (the API's schema states it)."""
    return f"^[^\\s/\\\\:{refused_class()}]{{1,40}}$"


class _Throttle:
    """Failed sign-ins of names that are no account, kept in this process only (they must not each write to
    the data file): the same limit per name and client as for accounts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[dt.datetime]] = {}

    def claim(self, key: str, now: dt.datetime, *, limit: int) -> tuple[bool, list[dt.datetime]]:
        with self._lock:
            if len(self._failures) > 10_000:  # bounded memory: forget whole keys that are old
                self._failures = {k: v for k, v in self._failures.items() if v and now - v[-1] < LOCKOUT}
            recent = [t for t in self._failures.get(key, []) if now - t < LOCKOUT]
            allowed = len(recent) < limit
            self._failures[key] = [*recent, now] if allowed else recent
            return allowed, recent


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# why a signed-in user must change the password before anything else (``User.password_change``)
PASSWORD_CHANGE_ZH = {
    "initial": "密码由管理员设置,首次登录须改为自己的密码",
    "expired": "密码已到期(定期更换),须修改后继续",
    "second_factor": "按等级保护三级要求,管理员和审批人须设置动态口令(身份验证器)后继续",
}
SECOND_FACTOR_ROLES: tuple[Role, ...] = ("approver", "admin")  # who must have one at level 3
WEB_LABEL = "网页"  # the label of the page's sign-ins: they end after a while without use
_TOUCH = dt.timedelta(minutes=1)  # a token's last use is written at most this often


@dataclass(frozen=True)
class AccountPolicy:
    """The sign-in policy (身份鉴别, GB/T 22239-2019 level 2: 口令定期更换, 登录连接超时自动退出), as settings
    with level-2 defaults; 0 turns a limit off."""

    idle_minutes: float = 30  # a sign-in of the page unused this long ends
    password_days: float = 90  # a password older than this must be changed at the next sign-in
    password_history: int = 5  # a new password may not be one of the last this many (the current one included)
    warn_days: float = 14  # the page warns this long before a password expires
    second_factor_required: bool = False  # level 3: admins and approvers sign in with a one-time code too


@dataclass(frozen=True)
class User:
    """A signed-in (or listed) account."""

    name: str
    role: Role
    disabled: bool = False
    created_at: str = ""
    scope: str | None = None  # the admin code (county, township …) the account's writes are confined to
    password_change: str = ""  # "initial", "expired" (change the password) or "second_factor" (set one) first
    password_expires_at: str | None = None  # when the password must be changed (None: never)
    second_factor: bool = False  # signs in with a one-time code as well as the password

    def can(self, role: Role) -> bool:
        """Whether this user's role is ``role`` or above."""
        return ROLES.index(self.role) >= ROLES.index(role)

    @property
    def role_zh(self) -> str:
        return ROLE_ZH[self.role]


@dataclass(frozen=True)
class SignIn:
    """A new token (shown once) with its account and expiry."""

    token: str
    user: User
    expires_at: str


# a jurisdiction as given (the API's schema states it): 2–12 ASCII digits, spaces around allowed; blank is none
SCOPE_PATTERN = r"^\s*(?:[0-9]{2,12})?\s*$"


def check_scope(scope: str | None) -> str | None:
    """A jurisdiction: an admin code prefix of 2–12 digits (a province 33, a city 3310, a county 331004, a
    township 331004001), or None (no bounds); blank is None."""
    if scope is None or not str(scope).strip():
        return None
    text = str(scope).strip()
    if not re.fullmatch(SCOPE_PATTERN, str(scope)):
        raise BadInput(
            f"管辖范围“{text[:20]}”应为 2–12 位区划代码(如区县 331004、乡镇 331004001)",
            "a scope is an admin code prefix of 2-12 digits",
        )
    return text


def _check_role(role: str) -> Role:
    if role not in ROLES:
        raise BadInput(
            f"不认识的角色“{role}”;可用:viewer(查看)、planner(规划)、editor(编辑)、admin(管理员)",
            f"unknown role {role!r}; use viewer, planner, editor or admin",
        )
    return role


class Users:
    """Accounts and tokens on a store. ``now`` gives the current UTC time (tests pass a fixed clock)."""

    def __init__(
        self,
        store: AccountStore,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        policy: AccountPolicy = AccountPolicy(),  # frozen: one shared default is safe
        secret_key: SecretKey | None = None,
    ) -> None:
        self.store = store
        self.policy = policy
        self.secret_key = secret_key  # seals the second factor's shared keys at rest (mzgis.sealing)
        self.security = SecurityLog(store, now=now)
        self._now = now
        self._throttle = _Throttle()

    def _user(self, record: Mapping[str, Any]) -> User:
        expires = None
        if self.policy.password_days:
            changed = parse_stamp(str(record.get("password_changed_at") or record["created_at"]))
            expires = stamp(changed + dt.timedelta(days=self.policy.password_days))
        change = "initial" if record.get("must_change") else ""
        if not change and expires is not None and expires <= self._stamp():
            change = "expired"
        enrolled = bool(record.get("totp_secret"))
        if not change and not enrolled and self.policy.second_factor_required and record["role"] in SECOND_FACTOR_ROLES:
            change = "second_factor"
        return User(
            record["name"], record["role"], record["disabled"], record["created_at"], record.get("scope"),
            change, expires, enrolled,
        )  # fmt: skip

    def _stamp(self, offset: dt.timedelta = dt.timedelta()) -> str:
        return stamp(self._now() + offset)

    def _record(self, name: str) -> dict[str, Any]:
        record = self.store.account(name)
        if record is None:
            raise NotFound(f"没有用户“{name}”", f"no user {name!r}", name=name)
        return record

    def get(self, name: str) -> User:
        return self._user(self._record(name))

    def list(self) -> list[User]:
        return [self._user(r) for r in self.store.accounts()]

    def add(
        self, name: str, role: str, password: str, *, by: str, scope: str | None = None, temporary: bool = True
    ) -> User:
        """A new account; the name must be new, the role known, the password within the policy; ``scope``:
        the admin code its writes are confined to (none: everywhere); ``temporary``: the password was set by
        an administrator, its holder changes it at the first sign-in."""
        if not re.fullmatch(name_pattern(), name) or text_problem(name):
            raise BadInput("用户名须为 1–40 个字符,不含空格、斜杠或冒号", "a user name is 1-40 characters, no spaces")
        checked = _check_role(role)
        jurisdiction = check_scope(scope)
        check_password(password, name)
        if self.store.account(name) is not None:
            raise Conflict(f"用户“{name}”已存在", f"user {name!r} exists", name=name)
        self.store.save_account(
            {
                "name": name,
                "role": checked,
                "password_hash": hash_password(password),
                "disabled": False,
                "created_at": self._stamp(),
                "created_by": by,
                "scope": jurisdiction,
                "password_changed_at": self._stamp(),
                "must_change": temporary,
            }
        )
        where = f",管辖范围 {jurisdiction}" if jurisdiction else ""
        self.security.record("account_added", account=by, detail=f"{name}:角色 {ROLE_ZH[checked]}{where}")
        return self.get(name)

    def _update(self, name: str, **changes: object) -> User:
        self.store.save_account(self._record(name) | changes)
        return self.get(name)

    def _keep_an_admin(self, name: str) -> None:
        """Refuse to demote or disable the last enabled admin: nobody could manage accounts any more."""
        record = self._record(name)
        if record["role"] != "admin" or record["disabled"]:
            return
        admins = [a for a in self.store.accounts() if a["role"] == "admin" and not a["disabled"]]
        if len(admins) <= 1:
            raise Conflict(
                f"“{name}”是唯一启用的管理员,不能降级或停用;请先让另一个账号成为管理员",
                f"{name} is the only enabled admin",
                name=name,
            )

    def set_role(self, name: str, role: str, *, by: str = "") -> User:
        checked = _check_role(role)
        if checked != "admin":
            self._keep_an_admin(name)
        user = self._update(name, role=checked)
        self.security.record("account_changed", account=by, detail=f"{name}:角色改为 {ROLE_ZH[checked]}")
        return user

    def set_scope(self, name: str, scope: str | None, *, by: str = "") -> User:
        """Confine the account's writes to an admin code (None: everywhere); its sign-ins stay valid and
        carry the new scope at once (the account is read on every request)."""
        user = self._update(name, scope=check_scope(scope))
        self.security.record("account_changed", account=by, detail=f"{name}:管辖范围改为 {user.scope or '不限'}")
        return user

    def set_password(self, name: str, password: str, *, temporary: bool = True, by: str = "", client: str = "") -> User:
        """A new password within the policy and none of the account's last ones; every token of the account
        is revoked. ``temporary``: set by an administrator, its holder changes it at the next sign-in."""
        check_password(password, name)
        record = self._record(name)
        earlier = [record["password_hash"], *json.loads(record.get("password_history") or "[]")]
        kept = earlier[: max(self.policy.password_history - 1, 0)]
        if any(verify_password(password, h) for h in earlier[: self.policy.password_history]):
            raise RuleViolation(
                f"新密码不能与最近 {self.policy.password_history} 次用过的密码相同", "the password was used recently"
            )
        user = self._update(
            name,
            password_hash=hash_password(password),
            password_history=json.dumps(kept),
            password_changed_at=self._stamp(),
            must_change=temporary,
        )
        self.store.delete_tokens(name=name)
        own = by == name
        detail = f"{name}:{'本人修改' if own else '管理员重设'}" + (",下次登录须由本人修改" if temporary else "")
        self.security.record("password_changed", account=by, client=client, detail=detail + ";原有登录与令牌作废")
        return user

    def change_own_password(
        self, name: str, current: str, new: str, *, client: str = "local", hours: float = 12
    ) -> SignIn:
        """The holder's own change: the current password (checked and throttled as a sign-in), a new one
        within the policy; every token of the account is revoked and a new sign-in of the page returned."""
        # (signed in already, second factor and all: the password alone is asked again)
        user = self.authenticate(name, current, client=client, quiet=True, second_factor=False)
        if new == current:
            raise RuleViolation("新密码不能与当前密码相同", "the new password is the current one")
        changed = self.set_password(user.name, new, temporary=False, by=user.name, client=client)
        return self._issue(changed, hours=hours, label=WEB_LABEL)

    def set_disabled(self, name: str, disabled: bool, *, by: str = "") -> User:
        """Disable (every token revoked; sign-in refused) or enable an account."""
        if disabled:
            self._keep_an_admin(name)
        user = self._update(name, disabled=disabled)
        if disabled:
            self.store.delete_tokens(name=name)
        self.security.record("account_changed", account=by, detail=f"{name}:{'停用' if disabled else '启用'}")
        return user

    def _issue(self, user: User, *, hours: float, label: str) -> SignIn:
        token = secrets.token_urlsafe(32)
        expires = self._stamp(dt.timedelta(hours=hours))
        self.store.add_token(_token_hash(token), user.name, created_at=self._stamp(), expires_at=expires, label=label)
        return SignIn(token, user, expires)

    def sign_in(
        self,
        name: str,
        password: str,
        *,
        client: str = "local",
        hours: float = 12,
        label: str = WEB_LABEL,
        code: str | None = None,
    ) -> SignIn:
        """A token for a correct name and password, and one-time code where the account has a second factor
        (see :meth:`authenticate`)."""
        return self._issue(self.authenticate(name, password, client=client, code=code), hours=hours, label=label)

    def set_second_factor(self, name: str, secret: str | None, *, code: str | None = None, by: str = "") -> User:
        """Give the account a second factor (``secret`` from :func:`mzgis.totp.new_secret`; with ``code``, the
        authenticator's code proving it holds the secret) or take it away (``secret`` None)."""
        if secret is not None and code is not None and not totp.verify(secret, code, self._now()):
            raise Forbidden("动态口令不正确:请核对身份验证器中的 6 位数字和手机时间", "wrong one-time code")
        if secret is not None and self.secret_key is None and self.policy.second_factor_required:
            raise RuleViolation(*KEY_REQUIRED)
        stored = secret if secret is None or self.secret_key is None else self.secret_key.seal(secret, name)
        user = self._update(name, totp_secret=stored, totp_used_step=None)
        detail = f"{name}:{'设置' if secret else '取消'}动态口令(身份验证器)"
        self.security.record("account_changed", account=by or name, detail=detail)
        return user

    def _second_factor_key(self, record: Mapping[str, Any]) -> str | None:
        """The account's shared key of the second factor in the clear (None: it has none)."""
        stored = record.get("totp_secret")
        if not stored:
            return None
        if self.secret_key is None:
            if is_sealed(stored):
                raise InvalidStore(
                    "动态口令的密钥已加密保存,但没有配置密钥文件(MZGIS_SECRET_KEY_FILE),无法核对动态口令",
                    "sealed second-factor keys need MZGIS_SECRET_KEY_FILE",
                )
            return str(stored)
        return self.secret_key.open(str(stored), str(record["name"]))

    def _sealed(self, record: Mapping[str, Any]) -> str:
        stored = str(record["totp_secret"])
        assert self.secret_key is not None
        return stored if is_sealed(stored) else self.secret_key.seal(stored, str(record["name"]))

    def seal_second_factors(self, *, by: str = "") -> int:
        """Seal every second factor's shared key still stored in the clear with :attr:`secret_key`; how many."""
        if self.secret_key is None:
            raise BadInput("没有配置密钥文件(MZGIS_SECRET_KEY_FILE)", "no secret key file configured")
        plain = [r for r in self.store.accounts() if r.get("totp_secret") and not is_sealed(r["totp_secret"])]
        for record in plain:
            self.store.save_account(record | {"totp_secret": self._sealed(record)})
        if plain:
            names = "、".join(str(r["name"]) for r in plain)
            self.security.record("account_changed", account=by, detail=f"动态口令密钥改为加密保存:{names}")
        return len(plain)

    def authenticate(
        self,
        name: str,
        password: str,
        *,
        client: str = "local",
        quiet: bool = False,
        code: str | None = None,
        second_factor: bool = True,
    ) -> User:
        """The account of a correct name and password; the same message for every failure. After
        ``MAX_FAILURES`` failed sign-ins of one name from one ``client`` (address) within ``LOCKOUT``, that
        name's sign-ins from that client are refused for ``LOCKOUT``: a stranger elsewhere cannot lock a
        user out. The count and the claim of an attempt are one write, so parallel guesses cannot pass it.
        Names that are no account are counted in this process only and take as long as wrong passwords.
        An account with a second factor also needs ``code``, the authenticator's one-time code (without it:
        NotSignedIn with ``second_factor`` in its details, the attempt counted), unless ``second_factor`` is
        False (a signed-in user confirming the password). Each attempt goes to the
        security log (strangers' at most once per address per quarter hour); a
        success not at all when ``quiet`` (a password sent with every request, a password's change)."""
        name = name.strip()
        now = self._now()
        key = f"{name}\n{client}"
        record = self.store.account(name) if name else None
        if record is None:
            allowed, failures = self._throttle.claim(key, now, limit=MAX_FAILURES)
        else:
            ok, stamps = self.store.claim_sign_in(key, stamp(now), since=stamp(now - LOCKOUT), limit=MAX_FAILURES)
            allowed, failures = ok, [parse_stamp(t) for t in stamps]
        if not allowed:
            minutes = math.ceil((LOCKOUT - (now - failures[-MAX_FAILURES])).total_seconds() / 60)
            self._failed(name, record, client, f"失败次数过多,{minutes} 分钟内拒绝该用户名从此地址登录")
            raise NotSignedIn(f"登录失败次数过多,请 {minutes} 分钟后再试", "too many failed sign-ins; try again later")
        stored = record["password_hash"] if record is not None else decoy_hash()
        right = verify_password(password, stored)
        if not right or record is None or record["disabled"]:
            self._failed(name, record, client, "账号已停用" if right else "密码不正确")
            raise NotSignedIn("用户名或密码不正确,或账号已停用", "wrong user name or password, or account disabled")
        secret = self._second_factor_key(record) if second_factor else None
        if secret and not code:
            raise NotSignedIn("请输入动态口令(身份验证器中的 6 位数字)", "one-time code required", second_factor=True)
        step = totp.matched_step(str(secret), code or "", now) if secret else None
        if secret and (step is None or step <= int(record.get("totp_used_step") or -1)):
            self._failed(name, record, client, "动态口令不正确" if step is None else "动态口令重复使用")
            raise NotSignedIn("动态口令不正确、已过期或已用过", "wrong or reused one-time code", second_factor=True)
        if step is not None:  # a code counts once, even within its half minute; a key from before sealing is sealed
            sealed = record["totp_secret"] if self.secret_key is None else self._sealed(record)
            record = record | {"totp_used_step": step, "totp_secret": sealed}
            self.store.save_account(record)
        self.store.clear_sign_in_failures(key)
        if outdated(stored):  # an earlier version's scrypt hash becomes argon2id at the next sign-in
            self.store.save_account(record | {"password_hash": hash_password(password)})
        if not quiet:
            self.security.record("sign_in", account=record["name"], client=client)
        return self.get(record["name"])

    def _failed(self, name: str, record: Mapping[str, Any] | None, client: str, why: str) -> None:
        if record is None:  # a name that is no account: a stranger's knock
            self.security.stranger("sign_in", client=client, detail=f"用户名“{name[:40]}”不存在")
        else:
            self.security.record("sign_in", account=record["name"], success=False, client=client, detail=why)

    def basic(self, name: str, secret: str, *, client: str = "local") -> User:
        """HTTP Basic, for clients that can send nothing else (QGIS's OGC API provider): the secret is the
        account's token (from ``mzgis users token``, checked by its hash, no password work) or its password
        (throttled like a sign-in)."""
        try:
            user = self.resolve(secret)
        except NotSignedIn:
            return self.authenticate(name, secret, client=client, quiet=True)
        if user.name != name.strip():
            raise NotSignedIn("用户名或密码不正确,或账号已停用", "the token belongs to another account")
        return user

    def issue_token(self, name: str, *, days: float = 90, label: str = "脚本") -> SignIn:
        """A long-lived token for scripts and QGIS (printed once by ``mzgis users token``)."""
        user = self.get(name)
        if user.disabled:
            raise Forbidden(f"用户“{name}”已停用", f"user {name!r} is disabled")
        issued = self._issue(user, hours=days * 24, label=label)
        self.security.record("token_issued", account=name, detail=f"{label},有效 {days:g} 天")
        return issued

    def resolve(self, token: str) -> User:
        """The account a bearer token belongs to; NotSignedIn when unknown, expired or disabled."""
        return self._holder(token)[0]

    def _holder(self, token: str) -> tuple[User, dict[str, Any]]:
        """The account of a valid token and the token's record; NotSignedIn when unknown, expired or disabled."""
        hashed = _token_hash(token)
        record, account = self.store.token_holder(hashed)
        now = self._now()
        if record is None or record["expires_at"] <= stamp(now):
            raise NotSignedIn("登录已失效,请重新登录", "unknown or expired token")
        if record["label"] == WEB_LABEL and self.policy.idle_minutes:
            seen = parse_stamp(str(record.get("last_seen") or record["created_at"]))
            if now - seen >= dt.timedelta(minutes=self.policy.idle_minutes):
                self.store.delete_tokens(token_hash=hashed)
                idle = f"超过 {self.policy.idle_minutes:g} 分钟未操作"
                self.security.record("session_ended", account=str(record["name"]), detail=idle)
                raise NotSignedIn(
                    f"超过 {self.policy.idle_minutes:g} 分钟未操作,已自动退出登录,请重新登录", "idle sign-in ended"
                )
            if now - seen >= _TOUCH:
                self.store.touch_token(hashed, stamp(now))
        user = self._user(account) if account is not None else self.get(record["name"])
        if user.disabled:
            raise NotSignedIn("账号已停用", "account disabled")
        if record["label"] != WEB_LABEL:  # a script's token, issued by an administrator, not a password's use
            user = dataclasses.replace(user, password_change="")
        return user, record

    def sign_out(self, token: str, *, client: str = "") -> None:
        hashed = _token_hash(token)
        record = self.store.token(hashed)
        if self.store.delete_tokens(token_hash=hashed) and record is not None:
            self.security.record("sign_out", account=str(record["name"]), client=client)

    def refresh(self, token: str, *, hours: float = 12) -> SignIn:
        """A new web sign-in for the holder of a valid ``token``, which is revoked: a page in use keeps
        working past the first token's lifetime without asking for the password again."""
        user, record = self._holder(token)
        issued = self._issue(user, hours=hours, label=str(record["label"]))
        self.store.delete_tokens(token_hash=_token_hash(token))
        self.security.record("token_renewed", account=user.name, detail=str(record["label"]))
        return issued


def require(user: User | None, role: Role, *, password_pending: bool = False) -> User:
    """``user`` when signed in with ``role`` or above and no password change pending (unless
    ``password_pending``: the routes that change it, say who is signed in and sign out); otherwise
    NotSignedIn or Forbidden."""
    if user is None:
        raise NotSignedIn("请先登录", "sign-in required")
    if user.password_change and not password_pending:
        raise Forbidden(
            f"{PASSWORD_CHANGE_ZH[user.password_change]}:请先修改密码",
            "the password must be changed first",
            password_change=user.password_change,
        )
    if not user.can(role):
        raise Forbidden(
            f"“{user.name}”的角色是{user.role_zh},此操作需要{ROLE_ZH[role]}或以上权限",
            f"{user.name} is {user.role}; this needs {role} or above",
        )
    return user
