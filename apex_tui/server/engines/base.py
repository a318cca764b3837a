"""What every completion engine offers the handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from apex_tui.api.models import ChatCompletionRequest
from apex_tui.server.modes import CompletionMode


@dataclass(frozen=True)
class Finish:
    """Last event of an answer: why it stopped and how many tokens it took."""

    reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0


EngineEvent = str | Finish
"""A piece of answer text, or the closing :class:`Finish`."""


class CompletionEngine(Protocol):
    name: str
    model: str

    def stream(
        self, request: ChatCompletionRequest, mode: CompletionMode, *, paced: bool = True
    ) -> AsyncIterator[EngineEvent]:
        """Yield answer pieces as they are written; ``paced=False`` skips any rate limit."""
        ...

    async def aclose(self) -> None: ...
