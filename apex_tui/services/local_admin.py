"""Talking to apex-tui's own endpoints of the per-user server (``/apex-tui/v1/status``,
``retire``, ``stop``, ``attach``) with the standard library's ``http.client``, over its Unix
socket or loopback TCP with its access token.

Why not httpx: these calls happen outside the app's event loop (deciding whether to replace a
server, ``apex-tui server …``, the attachment thread) and, on the way to the first frame,
before httpx is imported; ``http.client`` costs a few milliseconds and no loop.
"""

from __future__ import annotations

import http.client
import socket
from typing import TYPE_CHECKING

from apex_tui.services.local_server import LocalServerError
from apex_tui.services.runtime_files import TOKEN_HEADER, ServerRecord

if TYPE_CHECKING:
    from apex_tui.api.local_status import ServerStatus

__all__ = ["TOKEN_HEADER", "AdminError", "open_http", "request", "server_status"]

PREFIX = "/apex-tui/v1/"


class AdminError(LocalServerError):
    """The server did not answer as expected; the message says how."""


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("apex-tui.local", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def open_http(record: ServerRecord, timeout: float | None) -> http.client.HTTPConnection:
    """A connection to the server the record names (not yet connected)."""
    if record.uds is not None:
        return _UnixHTTPConnection(record.uds, timeout)
    host, _, port = record.address.removeprefix("http://").rpartition(":")
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def headers(token: str | None) -> dict[str, str]:
    found = {"User-Agent": "apex-tui", "Accept": "application/json"}
    if token:
        found[TOKEN_HEADER] = token
    return found


def request(
    record: ServerRecord, token: str | None, method: str, name: str, timeout: float = 5.0
) -> bytes:
    """One call to ``/apex-tui/v1/{name}``; the reply body of a 200, else :class:`AdminError`."""
    connection = open_http(record, timeout)
    try:
        connection.request(
            method, PREFIX + name, body=b"" if method == "POST" else None, headers=headers(token)
        )
        reply = connection.getresponse()
        body = reply.read(1 << 20)
    except (OSError, http.client.HTTPException) as exc:
        raise AdminError(f"the local server at {record.address} did not answer ({exc})") from None
    finally:
        connection.close()
    if reply.status != 200:
        snippet = body[:200].decode("utf-8", "replace")
        raise AdminError(f"the local server answered HTTP {reply.status} to {name}: {snippet}")
    return body


def server_status(record: ServerRecord, token: str | None, timeout: float = 5.0) -> ServerStatus:
    """The server's status, parsed through its model; :class:`AdminError` if it cannot be had."""
    from apex_tui.api.local_status import ServerStatus

    body = request(record, token, "GET", "status", timeout)
    try:
        return ServerStatus.from_wire_json(body)
    except ValueError as exc:  # pydantic's ValidationError is one
        raise AdminError(f"the local server's status reply does not fit: {exc}") from None
