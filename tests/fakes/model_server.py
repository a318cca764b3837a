"""A scripted OpenAI-compatible model server (``/v1/chat/completions`` over SSE, ``/v1/models``)
for driving the ``openai`` engine and model-driven research over real HTTP on loopback.

What it answers depends on the request: a research plan prompt gets a messy numbered list, a
step prompt a summary citing the numbers of the sources it was given, the report prompt a
report with its own (to be dropped) reference list; any other chat echoes the last user
message word by word. The model name picks a behaviour: ``reasoner`` streams
``reasoning_content`` first, ``thinker`` writes ``<think>…</think>`` in the content (tags cut
across events), ``strict`` refuses ``stream_options`` with a 400. ``max_tokens`` cuts an
echo with finish reason ``length``. ``faults`` (``"500"``, ``"stall"``) are used up one per
request; :meth:`ModelServer.hold` keeps matching requests waiting until released.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

PLAN_REPLY = (
    "Sure! Here is a plan:\n\n"
    "1. **What is write-ahead logging in SQLite?**\n"
    "- How does SQLite locking work for readers and writers?\n"
    "3) How does PostgreSQL MVCC compare?\n"
    "4. A fourth question that the cap drops?\n"
)


@dataclass
class Call:
    kind: str
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        return str(self.body["messages"][-1]["content"])


def kind_of(body: dict[str, Any]) -> str:
    text = str(body["messages"][-1].get("content", ""))
    if "Write a research plan" in text:
        return "plan"
    if "Current sub-question:" in text:
        return "summary"
    if "Write the final research report" in text:
        return "report"
    return "chat"


@dataclass
class ModelServer:
    key: str | None = "up-key"
    models: list[str] = field(default_factory=lambda: ["tiny", "reasoner"])
    faults: list[str] = field(default_factory=list)
    stall_seconds: float = 5.0
    calls: list[Call] = field(default_factory=list)
    """Every request that got an answer (faulted ones are in ``faulted``)."""
    faulted: list[Call] = field(default_factory=list)
    _hold: Callable[[Call], bool] | None = None
    released: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)

    def kinds(self) -> list[str]:
        return [c.kind for c in self.calls]

    def hold(self, matches: Callable[[Call], bool]) -> None:
        """Matching requests wait (before answering) until :meth:`release`."""
        self._hold, self.holding, self.released = matches, threading.Event(), threading.Event()

    def release(self) -> None:
        self._hold = None
        self.released.set()

    def reply_text(self, call: Call) -> str:
        if call.kind == "plan":
            return PLAN_REPLY
        if call.kind == "summary":
            numbers = re.findall(r"^\[(\d+)\] ", call.prompt, re.M)
            sub = re.search(r"Current sub-question: (.*)", call.prompt)
            cites = "".join(f"[{n}]" for n in numbers) or "no sources"
            return (
                f"About {sub.group(1) if sub else 'this'}: the results agree {cites}. "
                "A made-up source is cited too [99]."
            )
        if call.kind == "report":
            numbers = sorted({int(n) for n in re.findall(r"^\[(\d+)\] ", call.prompt, re.M)})
            pair = ", ".join(str(n) for n in numbers[:2])
            return (
                "# Final Answer\n\nSQLite and PostgreSQL handle concurrency differently "
                f"[{pair}].\n\n## Findings\n\nWAL lets readers go on [1]; MVCC keeps row "
                f"versions [{numbers[-1] if numbers else 1}] and never [42].\n\n"
                "## References\n\n1. http://invented.example/made-up\n"
            )
        return str(call.body["messages"][-1]["content"])

    def events(self, call: Call) -> list[dict[str, Any]]:
        """The SSE payloads of one answer, in order."""
        body = call.body
        model = body.get("model")
        limit = body.get("max_tokens")
        words = self.reply_text(call).split(" ")
        finish = "stop"
        if call.kind == "chat" and isinstance(limit, int) and len(words) > limit:
            words, finish = words[:limit], "length"
        pieces = [("" if i == 0 else " ") + w for i, w in enumerate(words)]
        deltas: list[dict[str, Any]] = []
        if model == "reasoner":
            deltas += [{"reasoning_content": p} for p in ["Let me", " think", " about it."]]
        if model == "thinker":
            pieces = ["<thi", "nk>hidden ", "steps</th", "ink>", *pieces]
        deltas += [{"content": p} for p in pieces]
        out = [{"choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas]
        out.append({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": 11, "completion_tokens": len(pieces), "total_tokens": 0}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            out.append({"choices": [], "usage": usage})
        return out

    def app(self) -> Starlette:
        async def completions(request: Request) -> Response:
            if self.key and request.headers.get("authorization") != f"Bearer {self.key}":
                return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
            body = await request.json()
            call = Call(kind_of(body), body)
            if body.get("model") == "missing-model":
                return JSONResponse({"error": {"message": "model not found"}}, status_code=404)
            if body.get("model") == "strict" and "stream_options" in body:
                return JSONResponse({"error": {"message": "unknown field"}}, status_code=400)
            if self._hold is not None and self._hold(call):
                self.holding.set()
                while not self.released.is_set():
                    await asyncio.sleep(0.02)
                self.faulted.append(call)  # its caller gave up (the server was stopped)
                return JSONResponse({"error": {"message": "held"}}, status_code=503)
            if self.faults:
                fault = self.faults.pop(0)
                self.faulted.append(call)
                if fault == "500":
                    return JSONResponse({"error": {"message": "overloaded"}}, status_code=500)
                if fault == "stall":
                    await asyncio.sleep(self.stall_seconds)
                    return JSONResponse({"error": {"message": "too late"}}, status_code=500)
            self.calls.append(call)
            payloads = self.events(call)

            async def stream() -> AsyncIterator[bytes]:
                for payload in payloads:
                    yield f"data: {json.dumps(payload)}\n\n".encode()
                yield b"data: [DONE]\n\n"

            return StreamingResponse(stream(), media_type="text/event-stream")

        async def models(request: Request) -> Response:
            data = [{"id": name, "object": "model", "owned_by": "test"} for name in self.models]
            return JSONResponse({"object": "list", "data": data})

        return Starlette(
            routes=[
                Route("/v1/chat/completions", completions, methods=["POST"]),
                Route("/v1/models", models),
            ]
        )


def ollama_tags_app(names: list[str]) -> Starlette:
    """An Ollama-shaped server: ``/api/tags`` lists its models (and nothing else answers)."""

    async def tags(request: Request) -> Response:
        return JSONResponse(
            {"models": [{"name": n, "model": n, "size": 1000, "details": {}} for n in names]}
        )

    async def version(request: Request) -> Response:
        return JSONResponse({"version": "0.9.0"})

    return Starlette(routes=[Route("/api/tags", tags), Route("/api/version", version)])
