"""Passwords: kept only as argon2id hashes (with a random salt; scrypt hashes of earlier versions still verify
and are made again at the next sign-in), and the level-2 policy of GB/T 22239 (身份鉴别: 口令具有复杂度要求)
every new password must meet."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from importlib.resources import files

import argon2
from argon2 import PasswordHasher

from mzgis.errors import RuleViolation

__all__ = [
    "MIN_PASSWORD",
    "check_password",
    "decoy_hash",
    "hash_password",
    "outdated",
    "password_problem",
    "verify_password",
]

MIN_PASSWORD = 8


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


_HASHER = PasswordHasher()  # argon2id with RFC 9106's recommended parameters (t=3, 64 MiB, p=4)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (PHC string with its own random salt and parameters)."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash: argon2id, or the scrypt hashes of earlier versions."""
    if stored.startswith("$argon2"):
        try:
            return _HASHER.verify(stored, password)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def outdated(stored: str) -> bool:
    """Whether a hash that just verified should be made again (scrypt, or weaker argon2 parameters)."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except argon2.exceptions.InvalidHashError:
        return True


@functools.cache
def decoy_hash() -> str:
    """A hash no password matches, checked for names that are no account: a wrong name takes as long as
    a wrong password (one verification each, the decoy made once per process, not per sign-in), so the time
    of an answer does not tell which names exist."""
    return hash_password(secrets.token_urlsafe(24))


_CLASSES = (
    ("小写字母", str.islower),
    ("大写字母", str.isupper),
    ("数字", lambda c: c.isascii() and c.isdigit()),
    ("符号", lambda c: not (c.isascii() and c.isalnum())),
)


@functools.cache
def _common_passwords() -> frozenset[str]:
    """The passwords too common to allow (``data/common_passwords.txt``), in lower case."""
    text = files("mzgis").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def password_problem(password: str, name: str = "") -> str:
    """What is wrong with a password under the level-2 policy of GB/T 22239 (身份鉴别: 口令具有复杂度要求), or
    "": at least 8 characters of at least three of lower case, upper case, digits and symbols (Chinese and
    other letters count as symbols), not holding the account's name, not among the common ones."""
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符"
    kinds = [zh for zh, test in _CLASSES if any(test(c) for c in password)]
    if len(kinds) < 3:
        return f"密码须含小写字母、大写字母、数字、符号中的至少三类(现有:{'、'.join(kinds) or '无'})"
    if name and len(name) >= 2 and name.lower() in password.lower():
        return "密码不能包含用户名"
    if password.lower() in _common_passwords():
        return "密码过于常见,容易被猜到,请换一个"
    return ""


def check_password(password: str, name: str = "") -> None:
    problem = password_problem(password, name)
    if problem:
        raise RuleViolation(problem, "the password does not meet the policy")
