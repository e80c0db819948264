"""The README's deploy steps, followed as written: production settings, `baogong migrate`,
`baogong collectstatic --noinput`, gunicorn as documented; then pages, hashed static files and
fonts are served by the app (whitenoise), and errors are friendly pages, never debug pages."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    # behind nginx as documented: TLS ends there and it says so in X-Forwarded-Proto
    conn.request("GET", path, headers={"X-Forwarded-Proto": "https", "Accept-Encoding": "identity"})
    response = conn.getresponse()
    body = response.read()
    headers = {k.lower(): v for k, v in response.getheaders()}
    conn.close()
    return response.status, headers, body


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory):
    var = tmp_path_factory.mktemp("var")
    env = {
        k: v
        for k, v in os.environ.items()
        # production refuses a moved test clock (BAOGONG_TEST_CLOCK): this run uses the real one
        if k
        not in {"DEBUG", "BAOGONG_DEBUG", "DATABASE_URL", "CONN_MAX_AGE", "BAOGONG_TEST_CLOCK", "BAOGONG_CLOCK_OFFSET"}
    }
    env.update(
        BAOGONG_PRODUCTION="1",
        SECRET_KEY="deploy-test-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
        ALLOWED_HOSTS="127.0.0.1",
        BAOGONG_VAR_DIR=str(var),
        DATABASE_URL=f"sqlite:///{var / 'baogong.sqlite3'}",
    )
    for step in (["migrate", "--noinput"], ["bootstrap", "--no-demo"], ["collectstatic", "--noinput"]):
        done = subprocess.run([str(BIN / "baogong"), *step], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "baogong.wsgi:application", "--workers", "2", "--threads", "4"]
        + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz within 60 s"
            time.sleep(0.3)
        yield port, var
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_collectstatic_writes_hashed_files_with_their_fonts(production):
    _port, var = production
    fonts = {p.name for p in (var / "static" / "vendor" / "bootstrap-icons" / "fonts").iterdir()}
    assert any(re.fullmatch(r"bootstrap-icons\.[0-9a-f]{12}\.woff2", name) for name in fonts)
    assert any(re.fullmatch(r"bootstrap-icons\.[0-9a-f]{12}\.woff", name) for name in fonts)
    assert (var / "static" / "staticfiles.json").exists()
    # developers' source maps are not compressed (brotli on them took most of the build)
    assert not list((var / "static").rglob("*.map.br")) and not list((var / "static").rglob("*.map.gz"))
    assert list((var / "static").rglob("echarts.min.*.js.br"))


def test_pages_css_and_fonts_resolve_through_whitenoise(production):
    port, _var = production
    status, headers, body = _get(port, "/login/")
    assert status == 200, body[:500]
    html = body.decode()
    assert "登录" in html
    sheets = re.findall(r'href="(/static/[^"]+\.css)"', html)
    scripts = re.findall(r'src="(/static/[^"]+\.js)"', html)
    assert sheets and scripts
    for url in sheets + scripts:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), f"not a hashed name: {url}"
        status, headers, _ = _get(port, url)
        assert status == 200, url
        assert "immutable" in headers.get("cache-control", "") or "max-age=315360000" in headers.get(
            "cache-control", ""
        )
    [icons] = [url for url in sheets if "bootstrap-icons" in url]
    css = _get(port, icons)[2].decode()
    font_urls = re.findall(r'url\("?([^")]+\.woff2?)', css)
    assert len(font_urls) == 2
    base = icons.rsplit("/", 1)[0]
    for font in font_urls:
        status, headers, body = _get(port, f"{base}/{font}")
        assert status == 200, font
        assert body[:4] in {b"wOF2", b"wOFF"}


def test_errors_are_friendly_pages_and_json_never_debug_pages(production):
    port, _var = production
    status, headers, body = _get(port, "/no-such-page/")
    html = body.decode()
    assert status == 404
    assert "您要找的页面不存在" in html and "URLconf" not in html
    status, headers, body = _get(port, "/api/v1/no-such-resource/")
    assert status == 404 and headers["content-type"] == "application/json"
    assert set(__import__("json").loads(body)) == {"code", "message", "details"}
