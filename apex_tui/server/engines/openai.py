"""The ``openai`` engine: forwards chats to any OpenAI-compatible ``/v1/chat/completions``
(Ollama, vLLM, llama.cpp's server, a hosted provider) and relays its SSE stream as it arrives.

Completion types (see :mod:`apex_tui.server.modes`): web-search runs a search first and adds the
numbered results in a system message asking for ``[n]`` citations; chain-of-thought/reasoning add
a system message asking for numbered steps before the answer. Upstream failures become Connect
errors: 400/422 → invalid_argument, 401/403 → permission_denied, 404 → not_found,
429 → resource_exhausted, 5xx and connection errors → unavailable.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from apex_tui.api.models import ChatCompletionRequest
from apex_tui.api.protocol import ConnectError
from apex_tui.server.engines.base import EngineEvent, Finish
from apex_tui.server.modes import CompletionMode, given_sources
from apex_tui.server.websearch import WebSearcher

_STATUS_CODES = {
    400: "invalid_argument",
    422: "invalid_argument",
    401: "permission_denied",
    403: "permission_denied",
    404: "not_found",
    429: "resource_exhausted",
}
STEPS_PROMPT = (
    "Think step by step. First write a section '### Steps' with numbered reasoning steps, "
    "then a section '### Answer' with the answer in Markdown."
)


def completions_url(base: str) -> str:
    """Accept ``http://host:port``, ``…/v1`` or the full ``…/v1/chat/completions``."""
    base = base.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if base.endswith("/v1"):
        return base + "/chat/completions"
    return base + "/v1/chat/completions"


def _upstream_error(status: int, body: bytes) -> ConnectError:
    detail = ""
    try:
        data = json.loads(body)
        err = data.get("error") if isinstance(data, dict) else None
        detail = str(err.get("message", "")) if isinstance(err, dict) else str(err or "")
    except ValueError:
        detail = body[:200].decode("utf-8", "replace")
    code = _STATUS_CODES.get(status, "unavailable" if status >= 500 else "unknown")
    hint = {
        "permission_denied": "check --upstream-key",
        "not_found": "check --upstream-model and --upstream",
        "resource_exhausted": "the upstream is rate limiting; retry later",
    }.get(code, "check the upstream server")
    return ConnectError(code, f"upstream answered HTTP {status}: {detail[:300]} ({hint})")


class OpenAIEngine:
    name = "openai"

    def __init__(
        self, searcher: WebSearcher, *, url: str, key: str | None, model: str | None
    ) -> None:
        self.searcher = searcher
        self.url = completions_url(url)
        self.key = key
        self.model = model or "default"
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=300.0))

    async def _messages(
        self, request: ChatCompletionRequest, mode: CompletionMode
    ) -> list[dict[str, str]]:
        messages = [{"role": m.role, "content": m.content} for m in request.messages]
        extra: list[str] = []
        if mode.web_search and given_sources(request) is None:
            prompt = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
            results = await self.searcher.search(prompt, 5, 10.0)
            listing = "\n\n".join(
                f"[{i}] {r.url}\n{r.relevant}" for i, r in enumerate(results, start=1)
            )
            extra.append(
                "Answer using these search results and cite them by number like [1]:\n\n"
                + (listing or "(no results)")
            )
        if mode.steps:
            extra.append(STEPS_PROMPT)
        if extra:
            messages.insert(0, {"role": "system", "content": "\n\n".join(extra)})
        return messages

    def _payload(self, request: ChatCompletionRequest, messages: list[dict[str, str]]) -> Any:
        payload: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True}
        params = request.sampling_parameters
        if params is not None:
            if params.temperature:
                payload["temperature"] = params.temperature
            if params.top_p:
                payload["top_p"] = params.top_p
            if params.max_new_tokens:
                payload["max_tokens"] = params.max_new_tokens
        if request.seed is not None:
            payload["seed"] = request.seed
        return payload

    async def stream(
        self, request: ChatCompletionRequest, mode: CompletionMode, *, paced: bool = True
    ) -> AsyncIterator[EngineEvent]:
        payload = self._payload(request, await self._messages(request, mode))
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        finish = "stop"
        completion_tokens = 0
        try:
            async with self._client.stream(
                "POST", self.url, json=payload, headers=headers
            ) as reply:
                if reply.status_code != 200:
                    raise _upstream_error(reply.status_code, await reply.aread())
                async for line in reply.aiter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        event = json.loads(data)
                    except ValueError:
                        raise ConnectError(
                            "unavailable", "upstream sent an SSE event that is not JSON"
                        ) from None
                    if isinstance(event, dict) and event.get("error"):
                        raise ConnectError("unavailable", f"upstream error: {event['error']}")
                    for choice in event.get("choices") or []:
                        text = (choice.get("delta") or {}).get("content") or ""
                        if text:
                            completion_tokens += 1
                            yield text
                        finish = choice.get("finish_reason") or finish
        except httpx.HTTPError as exc:
            raise ConnectError(
                "unavailable",
                f"cannot reach the upstream at {self.url} ({type(exc).__name__}); is it running?",
            ) from None
        yield Finish(finish, 0, completion_tokens)

    async def aclose(self) -> None:
        await self._client.aclose()
