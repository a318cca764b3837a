"""A client for one OpenAI-compatible ``/v1/chat/completions`` (Ollama, vLLM, llama.cpp's
server, LM Studio, a hosted provider), shared by the ``openai`` engine and deep research.

It streams (SSE) and turns each event into an :class:`UpstreamDelta`: answer text, reasoning
text (``reasoning_content`` as vLLM and llama.cpp send it, ``reasoning`` as Ollama does), the
finish reason and token usage (asked for with ``stream_options.include_usage``; an upstream
that refuses that option with a 400/422 is asked again without it, one that ignores it simply
gives no usage). An answer is read up to :data:`MAX_REPLY_CHARS`. Failures become Connect
errors: 400/422 → invalid_argument, 401/403 → permission_denied, 404 → not_found,
429 → resource_exhausted, 5xx, timeouts and connection errors → unavailable.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx

from apex_tui.api.protocol import ConnectError

__all__ = [
    "UpstreamClient",
    "UpstreamDelta",
    "UpstreamReply",
    "completions_url",
]

_STATUS_CODES = {
    400: "invalid_argument",
    422: "invalid_argument",
    401: "permission_denied",
    403: "permission_denied",
    404: "not_found",
    429: "resource_exhausted",
}
MAX_EVENT_CHARS = 1_000_000
"""An SSE line longer than this is not a chat delta; the stream is refused."""
MAX_REPLY_CHARS = 2_000_000
"""One answer (content and reasoning) is cut here, finishing as ``length``: far beyond any
``max_tokens`` a model honours, it bounds one that does not (the unary call and research
collect the whole answer in memory)."""


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
        if isinstance(err, dict):
            detail = str(err.get("message", ""))
        elif err:
            detail = str(err)
        elif isinstance(data, dict) and "detail" in data:
            detail = str(data["detail"])
    except ValueError:
        detail = body[:200].decode("utf-8", "replace")
    code = _STATUS_CODES.get(status, "unavailable" if status >= 500 else "unknown")
    hint = {
        "permission_denied": "check --upstream-key",
        "not_found": "check --upstream-model and --upstream",
        "resource_exhausted": "the upstream is rate limiting; retry later",
    }.get(code, "check the upstream server")
    return ConnectError(code, f"upstream answered HTTP {status}: {detail[:300]} ({hint})")


@dataclass(frozen=True)
class UpstreamDelta:
    """One streamed event: any of its parts may be empty."""

    content: str = ""
    reasoning: str = ""
    finish_reason: str = ""
    usage: dict[str, int] | None = None


@dataclass
class UpstreamReply:
    """A whole answer, collected from the stream."""

    text: str = ""
    reasoning: str = ""
    finish_reason: str = ""
    usage: dict[str, int] | None = None
    deltas: int = 0
    """Content events received (a token count when the upstream sends no usage)."""


def _usage(raw: Any) -> dict[str, int] | None:
    if not isinstance(raw, dict):
        return None
    usage: dict[str, int] = {}
    for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = raw.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            usage[name] = value
    return usage or None


def _deltas(event: Any) -> list[UpstreamDelta]:
    """The parts of one SSE event (a chat.completion.chunk), tolerating missing fields."""
    if not isinstance(event, dict):
        raise ConnectError("unavailable", "upstream sent an SSE event that is not a JSON object")
    if event.get("error"):
        raise ConnectError("unavailable", f"upstream error: {str(event['error'])[:300]}")
    found: list[UpstreamDelta] = []
    choices = event.get("choices")
    for choice in choices if isinstance(choices, list) else []:
        if not isinstance(choice, dict):
            continue
        delta = choice.get("delta")
        delta = delta if isinstance(delta, dict) else {}
        content = delta.get("content")
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        finish = choice.get("finish_reason")
        found.append(
            UpstreamDelta(
                content=content if isinstance(content, str) else "",
                reasoning=reasoning if isinstance(reasoning, str) else "",
                finish_reason=finish if isinstance(finish, str) else "",
            )
        )
    usage = _usage(event.get("usage"))
    if usage is not None:
        found.append(UpstreamDelta(usage=usage))
    return found


class UpstreamClient:
    """Talks to one upstream with one connection pool; ``model`` is sent with every call."""

    def __init__(
        self,
        url: str,
        *,
        key: str | None,
        model: str | None,
        timeout: float = 300.0,
    ) -> None:
        self.url = completions_url(url)
        self.key = key
        self.model = model or "default"
        self.timeout = timeout
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(min(30.0, timeout), read=timeout), follow_redirects=False
        )
        self._usage_option = True
        """False once the upstream refused ``stream_options`` (then it is never sent again)."""

    def payload(self, messages: list[dict[str, str]], params: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": messages, "stream": True}
        body.update({k: v for k, v in params.items() if v is not None})
        if self._usage_option:
            body["stream_options"] = {"include_usage": True}
        return body

    async def stream(
        self, messages: list[dict[str, str]], params: dict[str, Any] | None = None
    ) -> AsyncIterator[UpstreamDelta]:
        """Stream one chat completion; raises :class:`ConnectError` on any failure."""
        params = params or {}
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        received = 0
        for attempt in range(2):
            payload = self.payload(messages, params)
            try:
                async with self._client.stream(
                    "POST", self.url, json=payload, headers=headers
                ) as reply:
                    if reply.status_code != 200:
                        body = await reply.aread()
                        if reply.status_code in (400, 422) and self._usage_option and attempt == 0:
                            self._usage_option = False  # an upstream that refuses the option
                            continue
                        raise _upstream_error(reply.status_code, body)
                    async for line in reply.aiter_lines():
                        if len(line) > MAX_EVENT_CHARS:
                            raise ConnectError("unavailable", "upstream sent an oversized event")
                        if not line.startswith("data:"):
                            continue
                        data = line[5:].strip()
                        if data == "[DONE]":
                            return
                        try:
                            event = json.loads(data)
                        except ValueError:
                            raise ConnectError(
                                "unavailable", "upstream sent an SSE event that is not JSON"
                            ) from None
                        for delta in _deltas(event):
                            received += len(delta.content) + len(delta.reasoning)
                            yield delta
                        if received > MAX_REPLY_CHARS:
                            yield UpstreamDelta(finish_reason="length")
                            return
                    return
            except httpx.TimeoutException:
                raise ConnectError(
                    "unavailable",
                    f"the upstream at {self.url} did not answer within {self.timeout:g} s",
                ) from None
            except httpx.HTTPError as exc:
                raise ConnectError(
                    "unavailable",
                    f"cannot reach the upstream at {self.url} ({type(exc).__name__}); "
                    "is it running?",
                ) from None

    async def complete(
        self, messages: list[dict[str, str]], params: dict[str, Any] | None = None
    ) -> UpstreamReply:
        """One whole answer (streamed and collected, so a slow model is not a timeout)."""
        reply = UpstreamReply()
        text: list[str] = []
        reasoning: list[str] = []
        async for delta in self.stream(messages, params):
            if delta.content:
                text.append(delta.content)
                reply.deltas += 1
            if delta.reasoning:
                reasoning.append(delta.reasoning)
            reply.finish_reason = delta.finish_reason or reply.finish_reason
            reply.usage = delta.usage or reply.usage
        reply.text, reply.reasoning = "".join(text), "".join(reasoning)
        return reply

    async def aclose(self) -> None:
        await self._client.aclose()
