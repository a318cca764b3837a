"""A small OpenAI-compatible SSE server for testing the ``openai`` engine over real HTTP."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


def make_upstream(seen: list[dict[str, Any]]) -> Starlette:
    """Echoes the last user message word by word; the model name picks an error to return."""

    async def completions(request: Request) -> Response:
        if request.headers.get("authorization") != "Bearer up-key":
            return JSONResponse({"error": {"message": "bad key"}}, status_code=401)
        body = await request.json()
        seen.append(body)
        if body["model"] == "missing-model":
            return JSONResponse({"error": {"message": "model not found"}}, status_code=404)
        words = body["messages"][-1]["content"].split()

        async def events() -> AsyncIterator[bytes]:
            for i, word in enumerate(words):
                chunk = {
                    "choices": [
                        {
                            "index": 0,
                            "delta": {"content": ("" if i == 0 else " ") + word},
                            "finish_reason": None,
                        }
                    ]
                }
                yield f"data: {json.dumps(chunk)}\n\n".encode()
            end = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
            yield f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode()

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", completions, methods=["POST"])])
