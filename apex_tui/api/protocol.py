"""Connect protocol pieces that both ends need (shared/apex-api.md §1): codes, status tables,
the error object, and the envelope framing of the streaming method. Pure Python, no I/O."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PROTOCOL_VERSION = "1"
UNARY_CONTENT_TYPE = "application/json"
STREAM_CONTENT_TYPE = "application/connect+json"

FLAG_COMPRESSED = 0x01
FLAG_END_STREAM = 0x02
ENVELOPE_HEADER = struct.Struct(">BI")

CODES: tuple[str, ...] = (
    "canceled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
)

CODE_TO_HTTP: dict[str, int] = {
    "canceled": 499,
    "unknown": 500,
    "invalid_argument": 400,
    "deadline_exceeded": 504,
    "not_found": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "resource_exhausted": 429,
    "failed_precondition": 400,
    "aborted": 409,
    "out_of_range": 400,
    "unimplemented": 501,
    "internal": 500,
    "unavailable": 503,
    "data_loss": 500,
    "unauthenticated": 401,
}
"""What a server sends for each code (§1.5)."""

_HTTP_TO_CODE: dict[int, str] = {
    400: "internal",
    401: "unauthenticated",
    403: "permission_denied",
    404: "unimplemented",
    429: "unavailable",
    502: "unavailable",
    503: "unavailable",
    504: "unavailable",
}


def code_from_http_status(status: int) -> str:
    """The code a client infers when a non-200 reply carries no valid Connect error (§1.6)."""
    return _HTTP_TO_CODE.get(status, "unknown")


@dataclass
class ConnectError(Exception):
    """A Connect RPC error: a code from :data:`CODES` and an optional message."""

    code: str
    message: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.message}" if self.message else self.code)

    @property
    def http_status(self) -> int:
        return CODE_TO_HTTP.get(self.code, 500)

    def to_json(self) -> dict[str, Any]:
        """The error object as connect-go writes it: empty message and details omitted."""
        body: dict[str, Any] = {"code": self.code}
        if self.message:
            body["message"] = self.message
        if self.details:
            body["details"] = self.details
        return body

    @classmethod
    def from_json(cls, data: Any) -> ConnectError | None:
        """Parse an error object; ``None`` when it is not a valid one (no known ``code``)."""
        if not isinstance(data, dict):
            return None
        code = data.get("code")
        if not isinstance(code, str) or code not in CODES:
            return None
        message = data.get("message")
        details = data.get("details")
        return cls(
            code=code,
            message=message if isinstance(message, str) else "",
            details=details if isinstance(details, list) else [],
        )


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as Connect servers write it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_envelope(payload: bytes, *, end_stream: bool = False) -> bytes:
    """One Connect envelope: flags byte, big-endian length, payload."""
    return ENVELOPE_HEADER.pack(FLAG_END_STREAM if end_stream else 0, len(payload)) + payload


def end_stream_message(error: ConnectError | None = None) -> bytes:
    """The final envelope of a stream: ``{}`` on success, ``{"error": …}`` on failure."""
    body: dict[str, Any] = {} if error is None else {"error": error.to_json()}
    return encode_envelope(dumps(body), end_stream=True)


class EnvelopeError(ValueError):
    """The byte stream is not valid Connect framing."""


@dataclass
class Envelope:
    flags: int
    payload: bytes

    @property
    def is_end_stream(self) -> bool:
        return bool(self.flags & FLAG_END_STREAM)


class EnvelopeDecoder:
    """Incremental decoder: feed bytes as they arrive, take whole envelopes out."""

    def __init__(self, max_message_bytes: int = 16 * 1024 * 1024) -> None:
        self._buffer = bytearray()
        self._max = max_message_bytes

    def feed(self, data: bytes) -> Iterator[Envelope]:
        self._buffer += data
        while len(self._buffer) >= ENVELOPE_HEADER.size:
            flags, size = ENVELOPE_HEADER.unpack_from(self._buffer)
            if flags & ~(FLAG_COMPRESSED | FLAG_END_STREAM):
                raise EnvelopeError(f"reserved envelope flag bits set: {flags:#04x}")
            if size > self._max:
                raise EnvelopeError(f"envelope of {size} bytes exceeds the {self._max}-byte limit")
            end = ENVELOPE_HEADER.size + size
            if len(self._buffer) < end:
                break
            payload = bytes(self._buffer[ENVELOPE_HEADER.size : end])
            del self._buffer[:end]
            if flags & FLAG_COMPRESSED:
                raise EnvelopeError("compressed envelope, but no compression was negotiated")
            yield Envelope(flags, payload)

    @property
    def pending(self) -> int:
        """Bytes of an incomplete envelope still buffered (non-zero at EOF = truncated)."""
        return len(self._buffer)
