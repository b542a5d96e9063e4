from __future__ import annotations

import stat
from pathlib import Path

import pytest

from mzgis.errors import BadInput, InvalidStore
from mzgis.sealing import PREFIX, SecretKey, is_sealed, new_key_file


def test_a_secret_is_sealed_for_its_account_and_opens_only_there(tmp_path: Path) -> None:
    key = SecretKey.from_file(new_key_file(tmp_path / "secret.key"))
    sealed = key.seal("JBSWY3DPEHPK3PXP", "管理员")
    assert sealed.startswith(PREFIX) and "JBSWY3DPEHPK3PXP" not in sealed and is_sealed(sealed)
    assert key.seal("JBSWY3DPEHPK3PXP", "管理员") != sealed  # a new nonce each time
    assert key.open(sealed, "管理员") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidStore, match="“审批科”的动态口令密钥无法用密钥文件"):
        key.open(sealed, "审批科")  # moved to another account: does not open
    other = SecretKey.from_file(new_key_file(tmp_path / "other.key"))
    with pytest.raises(InvalidStore, match="密钥文件不对,或记录被改动"):
        other.open(sealed, "管理员")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidStore):
        key.open(tampered, "管理员")
    assert key.open("JBSWY3DPEHPK3PXP", "管理员") == "JBSWY3DPEHPK3PXP"  # from before sealing: as it is
    assert not is_sealed("JBSWY3DPEHPK3PXP") and not is_sealed(None)


def test_the_key_file_is_the_owners_and_never_replaced(tmp_path: Path) -> None:
    path = new_key_file(tmp_path / "keys" / "secret.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.read_bytes()
    with pytest.raises(BadInput, match="已存在,不会覆盖"):
        new_key_file(path)
    assert path.read_bytes() == before
    (tmp_path / "short.key").write_text("c2hvcnQ=\n")
    with pytest.raises(BadInput, match="不是 mzgis 的密钥"):
        SecretKey.from_file(tmp_path / "short.key")
    (tmp_path / "junk.key").write_text("not base64 at all!\n")
    with pytest.raises(BadInput, match="不是 mzgis 的密钥"):
        SecretKey.from_file(tmp_path / "junk.key")
    with pytest.raises(BadInput, match="无法读取密钥文件"):
        SecretKey.from_file(tmp_path / "missing.key")
