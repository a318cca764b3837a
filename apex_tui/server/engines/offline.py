"""The ``offline`` engine: streams :class:`~apex_tui.server.engines.writer.OfflineWriter` answers.

Labelled as offline in every answer; never pretends to be a model. Same seed, same messages and
same completion type give the same text. Streaming: the answer is split into tokens (a word
with the whitespace before it) and sent in chunks of 1–3 tokens at ``tokens_per_second``
(0 = no sleeping, still many small chunks), sleeping only once it is :data:`PACE_STEP` ahead
of that rate (a sleep per piece was ~1,400 timer wake-ups a second at 2,000 tokens/s, most of
the server's CPU for a stream; no reader tells 5 ms apart). ``max_new_tokens`` (default 1024)
caps the length; a cut answer finishes with ``length``, a whole one with ``stop``.

Web search (completion type ``web-search``/``combined``, i.e. ``task="WebRetrievalTask"``):
the engine searches first (5 results) and cites them as ``[n]`` — unless the client already sent
numbered sources (:func:`~apex_tui.server.modes.given_sources`), which are then cited as given,
for any completion type. Long answers: see the writer's
rules (prompt says "long"/"detailed"/…, then sections fill ``max_new_tokens``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

from apex_tui.api.models import ChatCompletionRequest
from apex_tui.server.engines.base import EngineEvent, Finish
from apex_tui.server.engines.writer import DEFAULT_BUDGET, OfflineWriter, count_tokens, tokens
from apex_tui.server.modes import CompletionMode, given_sources
from apex_tui.server.websearch import WebSearcher

WEB_RESULTS = 5
PACE_STEP = 0.005
"""Seconds ahead of ``tokens_per_second`` the engine may be before it sleeps."""


class OfflineEngine:
    name = "offline"
    model = "apex-tui/offline-writer"

    def __init__(self, searcher: WebSearcher, tokens_per_second: float) -> None:
        self.searcher = searcher
        self.tokens_per_second = tokens_per_second

    async def stream(
        self, request: ChatCompletionRequest, mode: CompletionMode, *, paced: bool = True
    ) -> AsyncIterator[EngineEvent]:
        seed = request.seed if request.seed is not None else random.randrange(1_000_001)
        params = request.sampling_parameters
        budget = params.max_new_tokens if params and params.max_new_tokens > 0 else DEFAULT_BUDGET
        prompt = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        sources = given_sources(request)
        if sources is None and mode.web_search:
            sources = await self.searcher.search(prompt, WEB_RESULTS, 10.0)
        draft = await asyncio.to_thread(
            OfflineWriter(seed).write, list(request.messages), mode, budget, sources
        )
        pieces = tokens(draft.text)
        rng = random.Random(seed)
        rate = self.tokens_per_second if paced else 0.0
        loop = asyncio.get_running_loop()
        start, sent = loop.time(), 0
        index = 0
        while index < len(pieces):
            size = rng.randint(1, 3)
            yield "".join(pieces[index : index + size])
            index += size
            sent += min(size, len(pieces) - index + size)
            delay = start + sent / rate - loop.time() if rate > 0 else 0.0
            # Ahead of the rate by a step: wait. Otherwise still give the loop its turn, as
            # after a network read: behind its rate, the engine would starve the writer.
            await asyncio.sleep(delay if delay >= PACE_STEP else 0)
        prompt_tokens = sum(count_tokens(m.content) for m in request.messages)
        yield Finish("length" if draft.truncated else "stop", prompt_tokens, len(pieces))

    async def aclose(self) -> None:
        return None
