"""Small hostile HTTP servers on loopback sockets (issue 13): one that never answers, one that
drips a byte at a time, endless streams, replies that claim or send far more than any limit,
one that resets the connection, and one with fixed (hostile) replies per method. Each runs on
daemon threads and stops (closing every socket) when the test is done; nothing is ever sent
whole: a "1 GB" reply is sent piece by piece until the client gives up."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

Behaviour = Callable[[socket.socket, threading.Event, str], None]
"""What to do with one request: (connection, the server's stop signal, the request path)."""


def chunk_envelope(text: str) -> bytes:
    payload = json.dumps({"choices": [{"delta": {"content": text}}]}).encode()
    return struct.pack(">BI", 0, len(payload)) + payload


def head(content_type: str, *, length: int | None = None, chunked: bool = False) -> bytes:
    lines = ["HTTP/1.1 200 OK", f"Content-Type: {content_type}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def http_chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _read_request(conn: socket.socket) -> str | None:
    """The path of the request read from ``conn`` (None if it closed first)."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return None
        data += piece
    head_part, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head_part.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        piece = conn.recv(65536)
        if not piece:
            return None
        body += piece
    return head_part.split(b" ")[1].decode("latin-1")


class HostileServer:
    """Answers every request on 127.0.0.1 with ``behaviour(conn, stopping)``."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.stopping = threading.Event()
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with suppress(OSError), conn:
            path = _read_request(conn)
            if path is not None:
                self.requests += 1
                self.behaviour(conn, self.stopping, path)

    def stop(self) -> None:
        self.stopping.set()
        self.sock.close()
        for conn in self._conns:
            with suppress(OSError):
                conn.close()


@contextmanager
def hostile(behaviour: Behaviour) -> Iterator[HostileServer]:
    server = HostileServer(behaviour)
    try:
        yield server
    finally:
        server.stop()


# --- behaviours -------------------------------------------------------------------------------


def silent(conn: socket.socket, stopping: threading.Event, path: str) -> None:
    """Never sends a byte."""
    stopping.wait()


def dripping(first: bytes, every: float, drip: bytes = b" ") -> Behaviour:
    """Sends ``first``, then one ``drip`` every ``every`` seconds for ever."""

    def behave(conn: socket.socket, stopping: threading.Event, path: str) -> None:
        conn.sendall(first)
        while not stopping.wait(every):
            conn.sendall(drip)

    return behave


def endless(first: bytes, piece: bytes, every: float = 0.0) -> Behaviour:
    """Sends ``first``, then ``piece`` again and again (every ``every`` seconds)."""

    def behave(conn: socket.socket, stopping: threading.Event, path: str) -> None:
        conn.sendall(first)
        while not stopping.is_set():
            conn.sendall(piece)
            if every:
                stopping.wait(every)

    return behave


def resetting(conn: socket.socket, stopping: threading.Event, path: str) -> None:
    """Closes the connection with a TCP reset (RST), as a crashed proxy does."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def reply(body: bytes, content_type: str = "application/json") -> bytes:
    """A whole 200 reply with this body."""
    return head(content_type, length=len(body)) + body


def routed(replies: dict[str, bytes]) -> Behaviour:
    """Answers ``/apex.v1.ApexService/<Method>`` with ``replies[Method]`` (whole HTTP replies),
    a 404 for any other method."""

    def behave(conn: socket.socket, stopping: threading.Event, path: str) -> None:
        method = path.rsplit("/", 1)[-1]
        missing = b'{"code":"unimplemented"}'
        conn.sendall(replies.get(method) or reply(missing).replace(b"200 OK", b"404 Not Found"))

    return behave
