"""Fault injection for client tests: a spec asks the server to fail in one specific way.

A spec is ``;``-separated items, given in the ``X-Apex-Fault`` request header or queued with
:meth:`FaultQueue.push` (``EmbeddedServer.inject_fault``). Only honoured when the server was
started with faults enabled. Items:

``status=CODE`` (401/403/429/500/503, any 4xx/5xx) with optional ``retry-after=S``
    reply at once with that HTTP status and a Connect error body (like a gateway would).
``drop-after=N``        streaming: send N data envelopes, then close with no end envelope.
``stall=S``             sleep S seconds before replying.
``stall-after=N:S``     streaming: after N data envelopes, stall S seconds, then go on.
``malformed-json``      a 200 reply whose body (unary) or first envelope (stream) is not JSON.
``bad-envelope``        streaming: an envelope with reserved flag bits set (corrupt framing).
``oversized[=BYTES]``   a reply message of BYTES (default 17 MiB, over a 16 MiB client limit).
``error-end=CODE``      streaming: after ``after=N`` data envelopes (default 1) the stream ends
                        with an end envelope carrying error CODE; unary: an error reply.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from apex_tui.api.protocol import CODES, ConnectError

FAULT_HEADER = "x-apex-fault"
DEFAULT_OVERSIZED_BYTES = 17 * 1024 * 1024

_STATUS_TO_CODE = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    409: "aborted",
    429: "resource_exhausted",
    499: "canceled",
    500: "internal",
    501: "unimplemented",
    502: "unavailable",
    503: "unavailable",
    504: "deadline_exceeded",
}


@dataclass
class Fault:
    """One parsed fault spec; unset parts are ``None``."""

    status: int | None = None
    retry_after: float | None = None
    drop_after: int | None = None
    stall: float | None = None
    stall_after: tuple[int, float] | None = None
    malformed_json: bool = False
    bad_envelope: bool = False
    oversized: int | None = None
    error_end: str | None = None
    after: int = 1

    def status_error(self) -> ConnectError:
        """The Connect error a ``status=`` fault replies with."""
        assert self.status is not None
        code = _STATUS_TO_CODE.get(self.status, "unknown")
        return ConnectError(code, f"injected fault: HTTP {self.status}")


def _number(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"fault item {key}={text!r} needs a number") from None
    if value < 0:
        raise ValueError(f"fault item {key}={text!r} must not be negative")
    return value


def parse_fault(spec: str) -> Fault:
    """Parse a spec; raises ``ValueError`` naming the item that is wrong."""
    fault = Fault()
    for raw in spec.split(";"):
        item = raw.strip()
        if not item:
            continue
        key, _, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if key == "status":
            status = int(_number(key, value))
            if not 400 <= status <= 599:
                raise ValueError(f"fault status={value} must be an HTTP error status (400-599)")
            fault.status = status
        elif key == "retry-after":
            fault.retry_after = _number(key, value)
        elif key == "drop-after":
            fault.drop_after = int(_number(key, value))
        elif key == "stall":
            fault.stall = _number(key, value)
        elif key == "stall-after":
            count, sep, seconds = value.partition(":")
            if not sep:
                raise ValueError("fault stall-after needs N:S, e.g. stall-after=3:2.5")
            fault.stall_after = (int(_number(key, count)), _number(key, seconds))
        elif key == "malformed-json":
            fault.malformed_json = True
        elif key == "bad-envelope":
            fault.bad_envelope = True
        elif key == "oversized":
            fault.oversized = int(_number(key, value)) if value else DEFAULT_OVERSIZED_BYTES
        elif key == "error-end":
            if value not in CODES:
                raise ValueError(f"fault error-end={value!r} is not a Connect code")
            fault.error_end = value
        elif key == "after":
            fault.after = int(_number(key, value))
        else:
            raise ValueError(
                f"unknown fault item {key!r}; known: status, retry-after, drop-after, stall, "
                "stall-after, malformed-json, bad-envelope, oversized, error-end, after"
            )
    return fault


class FaultQueue:
    """Faults queued from the test side, consumed by the next matching requests (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[Fault, str | None, list[int]]] = deque()

    def push(self, spec: str, method: str | None, times: int) -> None:
        fault = parse_fault(spec)
        if times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._queue.append((fault, method, [times]))

    def take(self, method: str) -> Fault | None:
        with self._lock:
            for entry in self._queue:
                fault, wanted, left = entry
                if wanted is None or wanted == method:
                    left[0] -= 1
                    if left[0] <= 0:
                        self._queue.remove(entry)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
