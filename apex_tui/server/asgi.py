"""Small raw-ASGI helpers shared by the unary and streaming paths (body reading, replies)."""

from __future__ import annotations

import hmac
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from apex_tui.api.protocol import UNARY_CONTENT_TYPE, ConnectError, dumps

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def header(scope: Scope, name: str) -> str | None:
    """First value of a request header (names compared lower-case), decoded as latin-1."""
    wanted = name.lower().encode("latin-1")
    for key, value in scope.get("headers", ()):
        if key.lower() == wanted:
            return bytes(value).decode("latin-1")
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole request body, refused with ``resource_exhausted`` past ``limit`` bytes."""
    too_big = ConnectError(
        "resource_exhausted",
        f"request body is larger than the server's {limit}-byte limit; send a smaller message",
    )
    declared = header(scope, "content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectError("canceled", "client went away while sending the request")
        body = message.get("body", b"")
        size += len(body)
        if size > limit:
            raise too_big
        chunks.append(body)
        if not message.get("more_body", False):
            return b"".join(chunks)


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """Undo ``Content-Encoding`` gzip/deflate, inflating at most ``limit`` bytes: a small body
    that would inflate past it (a "zip bomb") is ``resource_exhausted`` after ``limit`` bytes
    of work, never inflated whole. Other encodings are ``unimplemented``."""
    if not encoding or encoding.strip().lower() == "identity":
        return body
    name = encoding.strip().lower()
    if name not in ("gzip", "deflate"):
        raise ConnectError(
            "unimplemented", f"content encoding {name!r} is not supported; use gzip or none"
        )
    too_big = ConnectError(
        "resource_exhausted",
        f"decompressed request is larger than the server's {limit}-byte limit; "
        "send a smaller message",
    )
    pieces: list[bytes] = []
    size = 0
    rest = body
    try:
        while True:  # one pass per gzip member (a gzip body may hold several)
            inflater = zlib.decompressobj(wbits=31 if name == "gzip" else 15)
            piece = inflater.decompress(rest, limit - size + 1)
            size += len(piece)
            if size > limit:
                raise too_big
            pieces.append(piece)
            if not inflater.eof:
                raise ConnectError("invalid_argument", f"request body is truncated {name} data")
            rest = inflater.unused_data
            if name != "gzip" or not rest:
                break
    except zlib.error:
        raise ConnectError("invalid_argument", f"request body is not valid {name} data") from None
    return b"".join(pieces)


def bearer_key(scope: Scope) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header (scheme case-insensitive)."""
    value = header(scope, "authorization")
    if not value:
        return None
    scheme, _, key = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


def key_allowed(key: str, allowed: list[str] | None) -> bool:
    """Any non-empty key when ``allowed`` is None; otherwise a constant-time match."""
    if allowed is None:
        return bool(key)
    ok = False
    for candidate in allowed:
        ok |= hmac.compare_digest(key.encode(), candidate.encode())
    return ok


def timeout_seconds(scope: Scope) -> float | None:
    """``Connect-Timeout-Ms`` in seconds; a bad value is ``invalid_argument`` (as connect-go)."""
    raw = header(scope, "connect-timeout-ms")
    if raw is None:
        return None
    text = raw.strip()
    if not text.isdigit() or len(text) > 10:
        raise ConnectError(
            "invalid_argument",
            f"Connect-Timeout-Ms {raw!r} must be a positive integer of at most 10 digits",
        )
    return int(text) / 1000


def check_protocol_version(scope: Scope) -> None:
    version = header(scope, "connect-protocol-version")
    if version is not None and version.strip() != "1":
        raise ConnectError(
            "invalid_argument", f"Connect-Protocol-Version {version!r} is not supported; send 1"
        )


async def send_bytes(
    send: Send,
    status: int,
    body: bytes,
    content_type: str,
    extra: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(k.encode(), v.encode()) for k, v in extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def send_error(
    send: Send,
    error: ConnectError,
    status: int | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> None:
    """A Connect error reply: JSON body, status from the code unless given."""
    await send_bytes(
        send, status or error.http_status, dumps(error.to_json()), UNARY_CONTENT_TYPE, extra or []
    )
