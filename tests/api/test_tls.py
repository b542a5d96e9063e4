"""Transport security: HTTPS with a certificate (and HSTS), plain HTTP only on this machine unless told."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mzgis.api.serving import check_transport
from mzgis.cli import app
from mzgis.errors import BadInput
from tests.conftest import serving

TLS = Path(__file__).resolve().parents[1] / "data" / "tls"
CERT, KEY, OTHER_KEY = TLS / "localhost.crt", TLS / "localhost.key", TLS / "other.key"


def test_plain_http_stays_on_this_machine_unless_told() -> None:
    assert check_transport("127.0.0.1", None, None, insecure_http=False) == ""
    with pytest.raises(BadInput, match=r"不加密\(HTTP\)时只能在本机监听;要在 0\.0\.0\.0 上为其他电脑提供服务"):
        check_transport("0.0.0.0", None, None, insecure_http=False)
    warning = check_transport("0.0.0.0", None, None, insecure_http=True)
    assert warning.startswith("警告:以不加密的 HTTP 在 0.0.0.0 上监听,密码和令牌将以明文在网络上传输")
    assert check_transport("0.0.0.0", CERT, KEY, insecure_http=False) == ""  # HTTPS may listen anywhere


def test_a_certificate_needs_its_own_key() -> None:
    with pytest.raises(BadInput, match="须同时给出"):
        check_transport("0.0.0.0", CERT, None, insecure_http=False)
    with pytest.raises(BadInput, match="找不到证书文件"):
        check_transport("0.0.0.0", CERT, TLS / "missing.key", insecure_http=False)
    with pytest.raises(BadInput, match="证书与私钥无法使用"):
        check_transport("0.0.0.0", CERT, OTHER_KEY, insecure_http=False)  # not the pair


def test_serve_refuses_the_network_without_tls_before_it_starts(demo_path: Path) -> None:
    refused = CliRunner().invoke(app, ["serve", "--db", str(demo_path), "--host", "0.0.0.0", "--port", "1"])
    assert refused.exit_code == 2 and "请用 --certfile 和 --keyfile 启用 HTTPS" in refused.output


def test_https_serves_with_hsts_and_plain_http_gets_no_answer(demo_path: Path) -> None:
    with serving(demo_path, tls=(CERT, KEY)) as url:
        assert url.startswith("https://")
        trust = ssl.create_default_context(cafile=str(CERT))
        with urllib.request.urlopen(f"{url}/api/health", context=trust, timeout=10) as response:
            assert response.status == 200
            assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
        with pytest.raises(urllib.error.URLError):  # a client that does not trust the certificate
            urllib.request.urlopen(f"{url}/api/health", timeout=10)
        plain = url.replace("https://", "http://")
        with pytest.raises((urllib.error.URLError, ConnectionError)):  # no page in clear
            urllib.request.urlopen(f"{plain}/api/health", timeout=10).read()
