"""How long the client waits and how much it reads, so a slow, silent or hostile server can
never hold it for ever or fill its memory (issue 13): a connect timeout, an overall deadline
for each unary call (retries included), and for the answer stream a first-message timeout,
an idle timeout, an overall deadline and a size cap, all enforced while reading.

Defaults, and why:

- ``connect_timeout`` 10 s: a TCP (and TLS) handshake to a live host takes milliseconds;
  ten seconds covers a bad network without leaving a dead host hanging.
- ``call_timeout`` 60 s: a stored-chat call answers in milliseconds; a web search may take its
  ``max_response_time`` (30 s by default; the client adds that to the budget of that call).
- ``stream_first_message_timeout`` 300 s: a real model may think (or load) for minutes
  before its first token; the offline engine answers at once.
- ``stream_idle_timeout`` 120 s: once tokens flow, two silent minutes mean a stuck server.
- ``stream_timeout`` 900 s: the longest answer (4,096 tokens from a slow local model at
  5 tokens/s is ~14 min) still fits; an endless stream does not.
- ``max_reply_bytes`` 8 MiB (a unary reply; 10,000 chats are ~2 MB) and ``max_stream_bytes``
  64 MiB (one answer; 4,096 tokens are ~1 MB on the wire).

Each is a ``[client]`` key in the config (``apex-tui config set client.stream_timeout 1800``).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from apex_tui.api.errors import ApexError, ApexLimitError

if TYPE_CHECKING:  # the config reads ClientLimits; it need not load httpx for that
    import httpx

__all__ = ["ClientLimits", "StreamGuard", "read_capped", "timeout_header"]

MiB = 1024 * 1024


@dataclass(frozen=True)
class ClientLimits:
    """Time (seconds) and size (bytes) limits of one client; see the module docstring."""

    connect_timeout: float = 10.0
    call_timeout: float = 60.0
    stream_first_message_timeout: float = 300.0
    stream_idle_timeout: float = 120.0
    stream_timeout: float = 900.0
    max_reply_bytes: int = 8 * MiB
    max_stream_bytes: int = 64 * MiB

    def __post_init__(self) -> None:
        for item in fields(self):
            if getattr(self, item.name) <= 0:
                raise ValueError(f"client.{item.name} must be positive")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(item.name for item in fields(cls))

    def with_values(self, **values: Any) -> ClientLimits:
        """A copy with the given limits changed (``None`` keeps the current value)."""
        known = {k: v for k, v in values.items() if v is not None}
        merged = {name: known.get(name, getattr(self, name)) for name in self.names()}
        return ClientLimits(**merged)


def setting_hint(name: str, advice: str) -> str:
    """A hint that names the config key which changes a limit."""
    return f"{advice}, or raise it: `apex-tui config set client.{name} N`"


def timeout_header(seconds: float) -> dict[str, str]:
    """``Connect-Timeout-Ms`` for a budget of ``seconds`` (rounded up, at least 1 ms)."""
    return {"Connect-Timeout-Ms": str(max(1, math.ceil(seconds * 1000)))}


def call_deadline_error(method: str, seconds: float) -> ApexError:
    return ApexError(
        "deadline_exceeded",
        f"{method}: no complete reply within {seconds:g} s (retries included)",
        hint=setting_hint("call_timeout", "The server is slow or not answering; retry later"),
        transport=True,
    )


def _too_big(method: str, limit: int) -> ApexLimitError:
    return ApexLimitError(
        "resource_exhausted",
        f"{method}: the reply is larger than the client's {limit}-byte limit; stopped reading",
        hint=setting_hint("max_reply_bytes", "Check that the base URL is an Apex server"),
    )


async def read_capped(reply: httpx.Response, limit: int, method: str) -> bytes:
    """The body of a streamed reply, refused as soon as it passes ``limit`` bytes (by its
    Content-Length before reading, else while reading): a 1 GB reply is never held."""
    declared = reply.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_big(method, limit)
    pieces: list[bytes] = []
    size = 0
    async for piece in reply.aiter_bytes():
        size += len(piece)
        if size > limit:
            raise _too_big(method, limit)
        pieces.append(piece)
    return b"".join(pieces)


class StreamGuard:
    """Enforces the stream limits while its bytes are read: the first message within
    ``stream_first_message_timeout`` of the start, no silence longer than
    ``stream_idle_timeout`` after it, the whole within ``stream_timeout`` (or the caller's own
    deadline) and at most ``max_stream_bytes``. Failures are :class:`ApexLimitError`s; the
    transport turns them into stream errors that carry the partial text."""

    def __init__(self, limits: ClientLimits, total: float | None = None) -> None:
        self.limits = limits
        self.total = total or limits.stream_timeout
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._started = loop.time()
        self._end = self._started + self.total
        self._flowing = False
        self._size = 0

    def first_message_in(self) -> float:
        """Seconds left to get the reply's headers (part of the first-message budget)."""
        return max(0.0, min(self._first_deadline(), self._end) - self._loop.time())

    def _first_deadline(self) -> float:
        return self._started + self.limits.stream_first_message_timeout

    def message_arrived(self) -> None:
        self._flowing = True

    async def chunks(self, source: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
        """``source``'s chunks, each awaited under the deadline that applies at that moment."""
        while True:
            now = self._loop.time()
            read_by = now + self.limits.stream_idle_timeout if self._flowing else None
            deadline = min(read_by or self._first_deadline(), self._end)
            try:
                async with asyncio.timeout_at(deadline):
                    chunk = await anext(source)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise self.timed_out() from None
            self._size += len(chunk)
            if self._size > self.limits.max_stream_bytes:
                raise ApexLimitError(
                    "resource_exhausted",
                    f"the answer stream passed the client's {self.limits.max_stream_bytes}-byte"
                    " limit; stopped reading",
                    hint=setting_hint("max_stream_bytes", "What arrived so far is kept"),
                )
            yield chunk

    def timed_out(self) -> ApexLimitError:
        """The error for whichever deadline has passed."""
        now = self._loop.time()
        if now >= self._end - 0.001:
            message = f"the answer stream ran past its {self.total:g} s deadline"
            name = "stream_timeout"
        elif self._flowing:
            message = f"the answer stream went silent for {self.limits.stream_idle_timeout:g} s"
            name = "stream_idle_timeout"
        else:
            message = (
                f"no answer from the server within {self.limits.stream_first_message_timeout:g} s"
            )
            name = "stream_first_message_timeout"
        return ApexLimitError(
            "deadline_exceeded",
            message,
            hint=setting_hint(name, "Retry; what arrived so far is kept"),
        )
