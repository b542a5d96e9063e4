"""The one-time passwords against the RFC's own test values (RFC 4226 appendix D, RFC 6238 appendix B)."""

from __future__ import annotations

import base64
import datetime as dt

from mzgis.totp import code_at, hotp, new_secret, otpauth_uri, verify

RFC_KEY = b"12345678901234567890"


def test_hotp_gives_the_values_of_rfc_4226() -> None:
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    assert [hotp(RFC_KEY, n) for n in range(10)] == expected


def test_totp_gives_the_values_of_rfc_6238_with_sha1() -> None:
    secret = base64.b32encode(RFC_KEY).decode()
    for seconds, eight_digits in [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
    ]:
        moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
        assert code_at(secret, moment) == eight_digits[2:]  # the same truncation, six digits kept


def test_a_code_is_accepted_within_one_step_of_drift_only() -> None:
    secret, now = new_secret(), dt.datetime(2026, 12, 7, 8, 0, 15, tzinfo=dt.UTC)
    code = code_at(secret, now)
    assert verify(secret, code, now) and verify(secret, f" {code[:3]} {code[3:]} ", now)  # spaces as apps show
    assert verify(secret, code, now + dt.timedelta(seconds=30)) and verify(secret, code, now - dt.timedelta(seconds=30))
    assert not verify(secret, code, now + dt.timedelta(seconds=75))
    assert not verify(secret, "１２３４５６", now) and not verify(secret, "12345", now)
    assert otpauth_uri("ABC", "地名科").startswith(
        "otpauth://totp/mzgis%3A%E5%9C%B0%E5%90%8D%E7%A7%91?secret=ABC&issuer=mzgis"
    )
