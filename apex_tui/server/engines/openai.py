"""The ``openai`` engine: forwards chats to any OpenAI-compatible ``/v1/chat/completions``
(Ollama, vLLM, llama.cpp's server, a hosted provider) and relays its stream as it arrives.

Completion types (see :mod:`apex_tui.server.modes`, prompts in :mod:`apex_tui.server.prompts`):
web-search and combined search first with the server's searcher (unless the client sent its
numbered sources) and give the model the results with citation instructions; chain-of-thought
asks for numbered steps before the answer; reasoning asks for private reasoning in
``<think>…</think>``. Reasoning the model streams apart from the answer (``reasoning_content``)
is sent to the client inside ``<think>…</think>`` in the content: the Apex wire has no
reasoning field, and clients split the block off (``apex_tui.services.reasoning``). The
finish reason and the upstream's token usage end the stream (a token count of the streamed
pieces when the upstream reports no usage). Upstream failures: see
:mod:`apex_tui.server.upstream`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from apex_tui.api.models import ChatCompletionRequest
from apex_tui.server import prompts
from apex_tui.server.engines.base import EngineEvent, Finish
from apex_tui.server.modes import CompletionMode, given_sources
from apex_tui.server.upstream import UpstreamClient, completions_url
from apex_tui.server.websearch import WebSearcher

__all__ = ["THINK_CLOSE", "THINK_OPEN", "OpenAIEngine", "completions_url"]

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
WEB_RESULTS = 5
WEB_SEARCH_SECONDS = 20.0


def sampling(request: ChatCompletionRequest) -> dict[str, Any]:
    """The OpenAI fields of a request: its model (when it names one; else the server's
    ``--upstream-model``) and sampling (unset ones are left to the upstream)."""
    params: dict[str, Any] = {}
    if request.model and request.model.strip().lower() != "default":
        params["model"] = request.model.strip()
    sp = request.sampling_parameters
    if sp is not None:
        if sp.temperature:
            params["temperature"] = sp.temperature
        if sp.top_p:
            params["top_p"] = sp.top_p
        if sp.max_new_tokens:
            params["max_tokens"] = sp.max_new_tokens
    if request.seed is not None:
        params["seed"] = request.seed
    return params


class OpenAIEngine:
    name = "openai"

    def __init__(
        self,
        searcher: WebSearcher,
        *,
        url: str,
        key: str | None,
        model: str | None,
        timeout: float = 300.0,
    ) -> None:
        self.searcher = searcher
        self.upstream = UpstreamClient(url, key=key, model=model, timeout=timeout)
        self.url = self.upstream.url
        self.model = self.upstream.model

    async def _messages(
        self, request: ChatCompletionRequest, mode: CompletionMode
    ) -> list[dict[str, str]]:
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        extra: list[str] = []
        if mode.web_search and given_sources(request) is None:
            prompt = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
            results = await self.searcher.search(prompt, WEB_RESULTS, WEB_SEARCH_SECONDS)
            listing = "\n\n".join(
                f"[{i}] {r.url}\n{r.relevant}" for i, r in enumerate(results, start=1)
            )
            extra.append(prompts.search_context(listing))
        if mode.steps == "chain-of-thought":
            extra.append(prompts.COMBINED if mode.web_search else prompts.CHAIN_OF_THOUGHT)
        elif mode.steps == "reasoning":
            extra.append(prompts.REASONING)
        if extra:
            messages.insert(0, {"role": "system", "content": "\n\n".join(extra)})
        return messages

    async def stream(
        self, request: ChatCompletionRequest, mode: CompletionMode, *, paced: bool = True
    ) -> AsyncIterator[EngineEvent]:
        messages = await self._messages(request, mode)
        finish, usage, pieces = "stop", None, 0
        thinking = False
        async for delta in self.upstream.stream(messages, sampling(request)):
            if delta.reasoning:
                yield delta.reasoning if thinking else THINK_OPEN + delta.reasoning
                thinking = True
            if delta.content:
                pieces += 1
                yield (THINK_CLOSE + delta.content) if thinking else delta.content
                thinking = False
            finish = delta.finish_reason or finish
            usage = delta.usage or usage
        if thinking:
            yield THINK_CLOSE
        if usage is not None:
            yield Finish(finish, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
        else:
            yield Finish(finish, 0, pieces)

    async def aclose(self) -> None:
        await self.upstream.aclose()
