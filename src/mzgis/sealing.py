"""Secrets the server must read back, sealed at rest: the shared keys of the second factor (TOTP) cannot be
hashed like passwords, so they are encrypted with a key kept outside the data file (GB/T 22239-2019 level 3,
8.1.4.8 数据保密性: 应采用密码技术保证重要数据在存储过程中的保密性,包括鉴别数据). A copy of the data file or
a dump of the database alone then does not give away anyone's second factor.

AES-256-GCM with a random 96-bit nonce per value and the account's name as associated data (a sealed value
moved to another account does not open). A sealed value is text: ``aesgcm:`` and the base64 of nonce and
ciphertext. The key file holds 32 random bytes in base64 on one line, readable by the server's account only."""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from mzgis.errors import BadInput, InvalidStore

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["KEY_REQUIRED", "PREFIX", "SecretKey", "is_sealed", "new_key_file"]

PREFIX = "aesgcm:"
# why level 3 refuses a second factor in the clear (a new one, and `mzgis serve` without the key file)
KEY_REQUIRED = (
    "按等级保护三级要求,动态口令的密钥须加密保存:请先用 mzgis users secret-key 生成密钥文件,"
    "并设置 MZGIS_SECRET_KEY_FILE",
    "level 3 seals the second factor's keys: set MZGIS_SECRET_KEY_FILE",
)
_KEY_BYTES = 32
_NONCE_BYTES = 12


def is_sealed(value: str | None) -> bool:
    """Whether a stored value is sealed (not the secret in the clear)."""
    return bool(value) and str(value).startswith(PREFIX)


def new_key_file(path: Path) -> Path:
    """Write a new random key to ``path`` (readable by its owner only); an existing file is never replaced
    (the secrets sealed with it would be lost)."""
    if path.exists():
        raise BadInput(f"密钥文件 {path} 已存在,不会覆盖(用它加密的动态口令将无法读取)", "the key file exists")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = base64.b64encode(secrets.token_bytes(_KEY_BYTES)).decode("ascii") + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text)
    return path


class SecretKey:
    """The key secrets are sealed with, read from its file."""

    def __init__(self, key: bytes, *, source: str = "") -> None:
        if len(key) != _KEY_BYTES:
            raise BadInput(f"密钥文件 {source} 不是 mzgis 的密钥(应为 32 字节的 Base64)", "not a 32-byte key")
        self._key = key
        self.source = source

    @classmethod
    def from_file(cls, path: Path) -> SecretKey:
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"无法读取密钥文件 {path}:{exc}", f"cannot read the key file {path}") from None
        try:
            key = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BadInput(f"密钥文件 {path} 不是 mzgis 的密钥(应为 32 字节的 Base64)", "not a key file") from None
        return cls(key, source=str(path))

    def _cipher(self) -> AESGCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        return AESGCM(self._key)

    def seal(self, secret: str, context: str) -> str:
        """``secret`` sealed for ``context`` (the account's name)."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = self._cipher().encrypt(nonce, secret.encode("utf-8"), context.encode("utf-8"))
        return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    def open(self, value: str, context: str) -> str:
        """The secret of a sealed ``value``; a value in the clear (from before sealing) as it is. A value this
        key did not seal, or sealed for another context, is an :class:`InvalidStore`."""
        if not is_sealed(value):
            return value
        from cryptography.exceptions import InvalidTag

        try:
            raw = base64.b64decode(value[len(PREFIX) :], validate=True)
            opened = self._cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode("utf-8"))
            return opened.decode("utf-8")
        except (binascii.Error, ValueError, InvalidTag):
            raise InvalidStore(
                f"“{context}”的动态口令密钥无法用密钥文件 {self.source} 解开(密钥文件不对,或记录被改动)",
                "a sealed secret does not open with this key",
            ) from None
