"""Small answer pieces merged while the client is behind: :class:`ChunkCoalescer`.

Why: an engine makes an answer in pieces of one to three tokens, and every piece sent on its
own is an encode, an envelope and a write here, and a read, a parse and a view update at the
client. A client that keeps up gets each piece the moment it is made. One that does not (the
previous write has not returned: the transport paused writing because the client is not
reading, e.g. while it renders a large table) would otherwise receive, later, hundreds of
tiny envelopes it then has to parse one by one. So writing runs in its own task: pieces that
arrive while a write is under way wait, and once the writer is free they go out as one chunk
— the same text in the same order, in fewer envelopes. Pieces an upstream delivered in one
network read go out together for the same reason.

A reader drawing for a person is behind a piece a millisecond, too: the app draws streamed
text at most 30 times a second. So after each write the writer waits :data:`SPACING` before it
takes what came meanwhile: a stream is at most ~100 envelopes a second, and a piece waits at
most that long. When pieces come faster than that (:data:`BUSY_PIECES` or more merged into one
write: ~400 pieces a second, an upstream at ~800 tokens/s or more) the wait is one of the
app's frames instead (:data:`BUSY_SPACING`): an envelope a frame is all a reader can show, and
each one fewer is a read, a parse and a wake-up fewer there and a write fewer here. It goes
back to :data:`SPACING` as soon as a write holds fewer pieces (under ~120 a second); a model at
20-400 tokens/s never gets there. With an upstream at 2,000 tokens/s that is ~30 pieces an
envelope, ~300 envelopes for a 20,000-token answer instead of ~900.

What is never held back: the first piece (the writer is free, so it is written at once; so is
a piece after a pause longer than the spacing), and the last (the stream's end cuts the wait
short and waits for everything to be written: :meth:`ChunkCoalescer.finish`).
Only plain text pieces merge (one choice, content and the role, no finish reason, usage,
tool calls or log-probabilities); any other chunk keeps its place and its boundaries. At most
:data:`MAX_PENDING_CHARS` characters (and :data:`MAX_PENDING_CHUNKS` chunks) wait: beyond that
the producer waits for the writer, so a client that stops reading still holds the engine back
as it did when every piece was written in turn.

Measured (``bench/stream.py``, the 20,000-token answer at the server's fastest setting, the
app reading on the same machine): see bench/README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType

from apex_tui.api.models import ChatCompletionChunkResponse

__all__ = [
    "BUSY_PIECES",
    "BUSY_SPACING",
    "MAX_PENDING_CHARS",
    "MAX_PENDING_CHUNKS",
    "SPACING",
    "ChunkCoalescer",
    "merge_chunks",
    "text_piece",
    "wait_after",
]

MAX_PENDING_CHARS = 64_000
"""Characters that may wait for the writer before the producer waits too (one merged chunk
stays far below the client's message limit)."""
SPACING = 0.010
"""Seconds the writer waits after a write before it writes again (what came meanwhile merged)."""
BUSY_SPACING = 1 / 30
"""The wait after a write that merged :data:`BUSY_PIECES` or more: about one frame of the app."""
BUSY_PIECES = 4
"""Pieces in one write that show they come faster than the writer writes at :data:`SPACING`."""
MAX_PENDING_CHUNKS = 4_096
"""Chunks that may wait for the writer (bounds pieces without text too)."""

Write = Callable[[ChatCompletionChunkResponse], Awaitable[None]]


def _text_only(chunk: ChatCompletionChunkResponse) -> str | None:
    """The chunk's text if it is a plain text piece that may merge with its neighbours."""
    if chunk.usage is not None or chunk.service_tier or chunk.system_fingerprint:
        return None
    if len(chunk.choices) != 1:
        return None
    choice = chunk.choices[0]
    delta = choice.delta
    if (
        delta is None
        or choice.finish_reason
        or choice.index
        or choice.logprobs is not None
        or delta.function_call is not None
        or delta.tool_calls
        or delta.refusal
    ):
        return None
    return delta.content


def text_piece(
    prototype: ChatCompletionChunkResponse, text: str, role: str = ""
) -> ChatCompletionChunkResponse:
    """``prototype`` (a chunk of one choice with a delta) carrying ``text`` and ``role``.

    A copy, not a new model: ``model_construct`` resolves every default it is not given, ~4x a
    copy's cost, and answers are made of thousands of pieces."""
    choice = prototype.choices[0]
    assert choice.delta is not None
    delta = choice.delta.model_copy(update={"content": text, "role": role})
    return prototype.model_copy(update={"choices": [choice.model_copy(update={"delta": delta})]})


def merge_chunks(
    chunks: list[ChatCompletionChunkResponse],
) -> Iterator[ChatCompletionChunkResponse]:
    """``chunks`` with each run of plain text pieces joined into one (the run's first chunk,
    its role and the run's text); other chunks as they are, in order."""
    run: list[ChatCompletionChunkResponse] = []
    texts: list[str] = []

    def joined() -> ChatCompletionChunkResponse:
        first = run[0]
        if len(run) == 1:
            return first
        role = first.choices[0].delta.role if first.choices[0].delta is not None else ""
        return text_piece(first, "".join(texts), role)

    for chunk in chunks:
        text = _text_only(chunk)
        role = chunk.choices[0].delta.role if text is not None else ""  # type: ignore[union-attr]
        if text is not None and (not run or not role):  # a new role starts a new chunk
            run.append(chunk)
            texts.append(text)
            continue
        if run:
            yield joined()
            run, texts = [], []
        if text is not None:
            run.append(chunk)
            texts.append(text)
        else:
            yield chunk
    if run:
        yield joined()


def wait_after(pieces: int, spacing: float, busy_spacing: float) -> float:
    """How long the writer waits after a write of ``pieces`` chunks: ``spacing``, or
    ``busy_spacing`` when that many pieces came within one wait (they come faster than it)."""
    return busy_spacing if pieces >= BUSY_PIECES else spacing


class ChunkCoalescer:
    """Writes chunks through ``write`` in order; see the module docstring.

    Use as ``async with ChunkCoalescer(write) as out: await out.put(chunk) ...``: leaving the
    block normally (or with an error, such as an engine failure) waits until every chunk put
    has been written, so an end envelope sent afterwards comes after all the text; a
    cancellation (a deadline, the client gone) stops the writer at once. ``merge=False``
    writes each chunk in turn (injected faults count chunks); ``spacing=0`` merges only what
    waits while a write is under way; ``busy_spacing`` is the wait after a busy write (see
    :func:`wait_after`).
    """

    def __init__(
        self,
        write: Write,
        *,
        merge: bool = True,
        max_pending_chars: int = MAX_PENDING_CHARS,
        max_pending_chunks: int = MAX_PENDING_CHUNKS,
        spacing: float = SPACING,
        busy_spacing: float = BUSY_SPACING,
    ) -> None:
        self._write = write
        self._spacing = spacing
        self._busy_spacing = busy_spacing
        self._finishing = asyncio.Event()
        self._merge = merge
        self._max_pending = max_pending_chars
        self._max_pending_chunks = max_pending_chunks
        self._pending: list[ChatCompletionChunkResponse] = []
        self._pending_chars = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._error: BaseException | None = None
        self.chunks_in = 0
        """Chunks put."""
        self.chunks_out = 0
        """Chunks written (fewer than put when pieces were merged)."""

    async def __aenter__(self) -> ChunkCoalescer:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.finish()
        elif issubclass(exc_type, Exception):
            with contextlib.suppress(Exception):  # the error in flight is the one to report
                await self.finish()
        self._stop()

    async def put(self, chunk: ChatCompletionChunkResponse) -> None:
        """Hand over one chunk; returns at once unless too much text waits for the writer."""
        self._check()
        self.chunks_in += 1
        if not self._merge:
            await self._write(chunk)
            self.chunks_out += 1
            return
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())
        self._pending.append(chunk)
        self._pending_chars += len(chunk.text)
        self._idle.clear()
        self._wake.set()
        if (
            self._pending_chars >= self._max_pending
            or len(self._pending) >= self._max_pending_chunks
        ):
            self._room.clear()
            await self._room.wait()
            self._check()

    async def finish(self) -> None:
        """Wait until every chunk put has been written (raises what the writer raised); the
        writer no longer waits between writes."""
        self._finishing.set()
        if self._task is not None:
            await self._idle.wait()
        self._check()

    @property
    def idle(self) -> bool:
        """True when everything put has been written and the writer waits for nothing."""
        return self._idle.is_set()

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def _stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    async def _run(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._pending:
                    batch, self._pending, self._pending_chars = self._pending, [], 0
                    self._room.set()
                    for chunk in merge_chunks(batch):
                        await self._write(chunk)
                        self.chunks_out += 1
                    wait = wait_after(len(batch), self._spacing, self._busy_spacing)
                    if wait > 0 and not self._finishing.is_set():
                        with contextlib.suppress(TimeoutError):  # pieces meanwhile: merged
                            await asyncio.wait_for(self._finishing.wait(), wait)
                self._idle.set()
        except Exception as exc:  # the producer raises it at its next put or at finish
            self._error = exc
            self._pending.clear()
            self._room.set()
            self._idle.set()
