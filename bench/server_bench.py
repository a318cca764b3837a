"""Figures for the local Apex server on loopback (one line per figure).

* streaming throughput to one client with the fastest offline setting (tokens_per_second=0):
  a ~20,000-token long answer (prose, lists, tables, code blocks), in chunks/s and chars/s;
* GetChatSessions latency p50/p99 with 10,000 stored chats for the calling key.

Run: ``python bench/server_bench.py``
"""

from __future__ import annotations

import hashlib
import json
import statistics
import struct
import tempfile
import time
from pathlib import Path

import httpx

from apex_tui.server.embedded import EmbeddedServer, ServerOptions

KEY = "bench-key"
SERVICE = "/apex.v1.ApexService"


def stream_figures(http: httpx.Client) -> None:
    body = {
        "messages": [{"role": "user", "content": "Write a long detailed essay about Bittensor"}],
        "seed": 1,
        "samplingParameters": {"maxNewTokens": 20000},
    }
    payload = json.dumps(body).encode()
    framed = struct.pack(">BI", 0, len(payload)) + payload
    headers = {"Content-Type": "application/connect+json"}
    started = time.perf_counter()
    pieces: list[bytes] = []
    with http.stream(
        "POST", f"{SERVICE}/ChatCompletionStream", content=framed, headers=headers
    ) as r:
        for piece in r.iter_bytes():
            pieces.append(piece)
    elapsed = time.perf_counter() - started
    raw = memoryview(b"".join(pieces))
    chunks, chars = 0, 0
    offset = 0
    while offset < len(raw):
        flags, size = struct.unpack_from(">BI", raw, offset)
        if not flags & 0x02:
            message = json.loads(bytes(raw[offset + 5 : offset + 5 + size]))
            chunks += 1
            chars += sum(len(c.get("delta", {}).get("content", "")) for c in message["choices"])
        offset += 5 + size
    print(f"stream: {chunks} chunks, {chars} chars in {elapsed:.2f} s")
    print(f"stream throughput: {chunks / elapsed:,.0f} chunks/s")
    print(f"stream throughput: {chars / elapsed:,.0f} chars/s")


def sessions_figures(server: EmbeddedServer, http: httpx.Client, count: int = 10_000) -> None:
    owner = hashlib.sha256(KEY.encode()).hexdigest()
    server.state.storage.seed_chats(owner, count)
    times = []
    for _ in range(60):
        started = time.perf_counter()
        reply = http.post(f"{SERVICE}/GetChatSessions", json={})
        times.append((time.perf_counter() - started) * 1000)
        assert reply.status_code == 200
    sessions = len(reply.json()["chatSessions"])
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    print(f"GetChatSessions with {sessions} chats: p50 {statistics.median(times):.1f} ms")
    print(f"GetChatSessions with {sessions} chats: p99 {p99:.1f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        options = ServerOptions(db_path=Path(tmp) / "bench.db", tokens_per_second=0)
        with (
            EmbeddedServer(options) as server,
            httpx.Client(
                base_url=server.base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=120
            ) as http,
        ):
            stream_figures(http)
            sessions_figures(server, http)


if __name__ == "__main__":
    main()
