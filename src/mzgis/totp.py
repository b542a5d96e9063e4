"""Time-based one-time passwords (RFC 6238, over RFC 4226's HOTP; SHA-1, 6 digits, 30-second steps: what
authenticator apps expect: FreeOTP, Google or Microsoft Authenticator and the like), the optional second factor
of a sign-in (身份鉴别, GB/T 22239-2019 level 3: 采用口令、密码技术、生物技术等两种或两种以上组合的鉴别技术)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote

__all__ = ["code_at", "matched_step", "new_secret", "otpauth_uri", "verify"]

STEP_S = 30
DIGITS = 6


def new_secret() -> str:
    """A new shared secret: 20 random bytes in base32 (what the app is given, by hand or as a URI)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def _key(secret: str) -> bytes:
    text = secret.strip().replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: the HMAC of the counter, dynamically truncated to ``digits`` decimal digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, digest)).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def code_at(secret: str, moment: dt.datetime) -> str:
    """The code the app shows at ``moment``."""
    return hotp(_key(secret), int(moment.timestamp()) // STEP_S)


def matched_step(secret: str, code: str, moment: dt.datetime, *, drift_steps: int = 1) -> int | None:
    """The time step whose code ``code`` is: that of ``moment``, or a step before or after (a phone's clock a
    little off); None when it is none of them. A server keeps the last step used, so no code counts twice."""
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    key, step = _key(secret), int(moment.timestamp()) // STEP_S
    for d in range(-drift_steps, drift_steps + 1):
        if hmac.compare_digest(hotp(key, step + d), code):
            return step + d
    return None


def verify(secret: str, code: str, moment: dt.datetime, *, drift_steps: int = 1) -> bool:
    """Whether ``code`` is the one of ``moment``, or of a step before or after."""
    return matched_step(secret, code, moment, drift_steps=drift_steps) is not None


def otpauth_uri(secret: str, account: str, *, issuer: str = "mzgis") -> str:
    """The ``otpauth://`` URI an authenticator app takes (as a QR code or pasted)."""
    label = quote(f"{issuer}:{account}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits={DIGITS}&period={STEP_S}"
