"""Helpers for driving the local server over real loopback HTTP with httpx (no project client)."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from apex_tui.server.embedded import EmbeddedServer, ServerOptions

SERVICE = "/apex.v1.ApexService"
KEY = "test-key-one"


def fast_options(tmp_path: Path, **overrides: Any) -> ServerOptions:
    values: dict[str, Any] = {
        "db_path": tmp_path / "apex.db",
        "tokens_per_second": 0,
        "research_step_seconds": 0.02,
        "faults_enabled": True,
    }
    values.update(overrides)
    return ServerOptions(**values)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(fast_options(tmp_path)) as running:
        yield running


@pytest.fixture
def client(server: EmbeddedServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    ) as http:
        yield http


def rpc(http: httpx.Client, method: str, body: Any, **headers: str) -> httpx.Response:
    """POST a unary call; ``body`` may be a dict (sent as JSON) or raw bytes."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json", **headers}
    return http.post(f"{SERVICE}/{method}", content=content, headers=hdrs)


def ok(http: httpx.Client, method: str, body: Any, **headers: str) -> dict[str, Any]:
    reply = rpc(http, method, body, **headers)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    data: dict[str, Any] = reply.json()
    return data


def envelope(payload: bytes, flags: int = 0) -> bytes:
    return struct.pack(">BI", flags, len(payload)) + payload


@dataclass
class StreamResult:
    status: int
    chunks: list[dict[str, Any]] = field(default_factory=list)
    end: dict[str, Any] | None = None
    raw: bytes = b""
    error: str = ""

    @property
    def text(self) -> str:
        return "".join(
            (c.get("delta") or {}).get("content", "")
            for chunk in self.chunks
            for c in chunk.get("choices", [])
        )


def parse_frames(raw: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """Split a body into (flags, payload) envelopes; returns leftover bytes of a cut envelope."""
    frames = []
    while len(raw) >= 5:
        flags, size = struct.unpack(">BI", raw[:5])
        if len(raw) < 5 + size:
            break
        frames.append((flags, raw[5 : 5 + size]))
        raw = raw[5 + size :]
    return frames, raw


def stream(http: httpx.Client, body: Any, **headers: str) -> StreamResult:
    """Run ChatCompletionStream and collect every envelope (or note how the stream broke)."""
    payload = body if isinstance(body, bytes) else envelope(json.dumps(body).encode())
    hdrs = {"Content-Type": "application/connect+json", **headers}
    result = StreamResult(status=0)
    try:
        with http.stream(
            "POST", f"{SERVICE}/ChatCompletionStream", content=payload, headers=hdrs
        ) as reply:
            result.status = reply.status_code
            pieces = []
            try:
                for piece in reply.iter_bytes():
                    pieces.append(piece)
            finally:
                result.raw = b"".join(pieces)
    except httpx.RemoteProtocolError as exc:
        result.error = str(exc)
    if result.status != 200:
        return result
    frames, _left = parse_frames(result.raw)
    for flags, data in frames:
        try:
            if flags & 0x02:
                result.end = json.loads(data)
            elif flags == 0:
                result.chunks.append(json.loads(data))
        except json.JSONDecodeError as exc:
            result.error = f"envelope is not JSON: {exc}"
    return result


def chat_body(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": prompt}], **extra}
