"""``apex-tui web``: the app served to a browser by textual-serve, behind the printed token.

A real process serves the page; the websocket runs a real app process, which draws the app
(its first frames carry the header). No browser here: the screenshot in the README was taken
with headless Chromium by hand.
"""

from __future__ import annotations

import asyncio
import re
import selectors
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

import httpx
import pytest

from apex_tui.cli_web import is_loopback

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer

CLI = [sys.executable, "-m", "apex_tui"]
ESCAPES = re.compile(r"\x1b\[[0-9;?$]*[A-Za-z]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def read_line_with(stream: IO[bytes], needle: str, timeout: float = 60) -> str:
    """The first line of ``stream`` holding ``needle`` (fails after ``timeout`` seconds)."""
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    seen = []
    while selector.select(timeout):
        line = stream.readline().decode()
        if not line:
            break
        seen.append(line)
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} never appeared; output: {''.join(seen)!r}")


def test_loopback_addresses() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.10", "example.com"]))


def test_without_textual_serve_it_says_what_to_install() -> None:
    code = "import sys; sys.modules['textual_serve'] = None; from apex_tui.cli import main; "
    code += "raise SystemExit(main(['web']))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "pip install 'apex-tui[web]'" in result.stderr


async def test_web_serves_the_app_behind_its_token(
    apex_server: EmbeddedServer, tmp_path: Path
) -> None:
    pytest.importorskip("textual_serve")
    import aiohttp

    config = tmp_path / "config.toml"
    config.write_text('theme = "apex-dark"\n', encoding="utf-8")  # not a first run: no probing
    port = free_port()
    argv = ["web", "--port", str(port), "--base-url", apex_server.base_url, "--config", str(config)]
    proc = subprocess.Popen(
        [*CLI, *argv, "--api-key", "test-key"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.to_thread(read_line_with, proc.stdout, "apex-tui in your browser:")
        url = line.split(": ", 1)[1].strip()
        origin = f"http://127.0.0.1:{port}"
        assert url.startswith(f"{origin}/?token=")
        async with httpx.AsyncClient() as http:
            refused = await http.get(origin + "/")
            assert refused.status_code == 403 and "printed" in refused.text
            page = await http.get(url)
            assert page.status_code == 200
            assert "textual-terminal" in page.text and "apex-tui" in page.text
            cookie = next(iter(page.cookies.jar))
            assert cookie.has_nonstandard_attr("HttpOnly")
            script = await http.get(origin + "/static/js/textual.js")  # with the cookie now
            assert script.status_code == 200
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: cookies for an IP address host
        jar.update_cookies({cookie.name: cookie.value or ""})
        ws_url = f"ws://127.0.0.1:{port}/ws?width=100&height=30"
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            with pytest.raises(aiohttp.WSServerHandshakeError):  # from another page's origin
                await session.ws_connect(ws_url, headers={"Origin": "http://evil.example"})
            async with session.ws_connect(ws_url, headers={"Origin": origin}) as ws:
                drawn = b""
                async with asyncio.timeout(90):
                    while b"Ask Apex" not in drawn:
                        message = await ws.receive()
                        assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT)
                        if message.type == aiohttp.WSMsgType.BINARY:
                            drawn += message.data
                text = ESCAPES.sub("", drawn.decode())
                assert "apex chats" in text and "Ask Apex" in text  # the app, drawn for a browser
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        finally:
            proc.kill()
            proc.communicate()
