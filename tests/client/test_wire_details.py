"""Wire details the local server cannot show: the headers the client sends, and replies only
the public host produces (the ``[{}]`` quirk, non-Connect error bodies). A one-shot HTTP
responder on a loopback socket captures the real request and sends a fixed real reply."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from apex_tui import __version__
from apex_tui.api.client import ApexClient
from apex_tui.api.errors import ApexError


class OneShotServer:
    """Accepts connections on 127.0.0.1 and answers each request with ``reply`` bytes."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.requests: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                while len(body) < length:
                    body += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + body)
                conn.sendall(self.reply)


def _http(status: str, body: bytes, content_type: str = "application/json") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


@pytest.fixture
def quirky() -> Iterator[OneShotServer]:
    server = OneShotServer(_http("200 OK", b'{"chatCompletions":[{}],"unknownField":1}'))
    yield server
    server.sock.close()


async def test_headers_and_the_empty_object_quirk(quirky: OneShotServer) -> None:
    async with ApexClient(quirky.base_url, "sk-test", timeout=12.5) as client:
        assert await client.get_stored_chat_completions("nope") == []
    head = quirky.requests[0].decode().lower()
    assert head.startswith("post /apex.v1.apexservice/getstoredchatcompletions http/1.1")
    assert "authorization: bearer sk-test" in head
    assert "connect-protocol-version: 1" in head
    assert "connect-timeout-ms: 12500" in head
    assert "content-type: application/json" in head
    assert "x-client-id: apex-tui" in head
    assert f"x-client-version: {__version__}" in head
    assert quirky.requests[0].endswith(b'{"chatId":"nope"}')


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        ("400 Bad Request", b'{"error": "Invalid request"}', "internal"),
        ("502 Bad Gateway", b"<html>bad gateway</html>", "unavailable"),
        ("418 I'm a teapot", b"", "unknown"),
    ],
)
async def test_non_connect_error_bodies_use_the_status_table(
    status: str, body: bytes, code: str
) -> None:
    server = OneShotServer(_http(status, body, "text/html"))
    try:
        async with ApexClient(server.base_url, "k", max_retries=0) as client:
            with pytest.raises(ApexError) as caught:
                await client.delete_chats(["x"])
    finally:
        server.sock.close()
    assert caught.value.code == code
    assert caught.value.http_status == int(status.split()[0])
    assert caught.value.hint
