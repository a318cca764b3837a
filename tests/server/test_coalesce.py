"""ChunkCoalescer: pieces merge only while the writer is busy, and nothing is lost or reordered.

The unit tests drive the coalescer with a writer that records what it is given and, when told,
blocks until released (a client that is not reading: the transport paused writing). The last
tests run the real server over loopback: a stream the client leaves mid-way, and injected
faults, which count chunks and so must see every piece on its own.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import time

import httpx
import pytest

from apex_tui.api import models as m
from apex_tui.server.coalesce import (
    BUSY_PIECES,
    ChunkCoalescer,
    merge_chunks,
    text_piece,
    wait_after,
)
from apex_tui.server.embedded import EmbeddedServer

from .conftest import KEY, SERVICE, chat_body, envelope, stream

FAULT = "X-Apex-Fault"


def piece(text: str, role: str = "") -> m.ChatCompletionChunkResponse:
    delta = m.ChoiceDelta(content=text, role=role)
    return m.ChatCompletionChunkResponse(
        id="chatcmpl-1", choices=[m.ChunkChoice(delta=delta)], object="chat.completion.chunk"
    )


def final(reason: str = "stop") -> m.ChatCompletionChunkResponse:
    usage = m.CompletionUsage(prompt_tokens=1, completion_tokens=2, total_tokens=3)
    return m.ChatCompletionChunkResponse(
        id="chatcmpl-1",
        choices=[m.ChunkChoice(delta=m.ChoiceDelta(), finish_reason=reason)],
        usage=usage,
    )


class Writer:
    """Records every chunk written; ``hold()`` makes the next writes wait for ``release()``."""

    def __init__(self) -> None:
        self.written: list[m.ChatCompletionChunkResponse] = []
        self.open = asyncio.Event()
        self.open.set()
        self.entered = asyncio.Event()

    def hold(self) -> None:
        self.open.clear()
        self.entered.clear()

    def release(self) -> None:
        self.open.set()

    async def __call__(self, chunk: m.ChatCompletionChunkResponse) -> None:
        self.entered.set()
        await self.open.wait()
        self.written.append(chunk)

    @property
    def texts(self) -> list[str]:
        return [chunk.text for chunk in self.written]


async def turns(n: int = 3) -> None:
    """Let the event loop run the writer's task a few times."""
    for _ in range(n):
        await asyncio.sleep(0)


async def test_the_first_piece_is_written_at_the_writers_first_turn() -> None:
    writer = Writer()
    async with ChunkCoalescer(writer, spacing=0) as out:
        await out.put(piece("Hello", role="assistant"))
        await turns()
        assert writer.texts == ["Hello"]  # not held for company
        await out.put(piece(" world"))
        await turns()
        assert writer.texts == ["Hello", " world"]  # a writer that keeps up: one by one
    assert out.chunks_in == out.chunks_out == 2


async def test_pieces_merge_while_the_writer_is_busy_in_order_with_nothing_lost() -> None:
    writer = Writer()
    words = [f" w{i}" for i in range(50)]
    async with ChunkCoalescer(writer, spacing=0) as out:
        await out.put(piece("Start", role="assistant"))
        await turns()
        writer.hold()
        await out.put(piece(" blocked"))  # the writer takes it and waits: the client is behind
        await writer.entered.wait()
        for word in words:
            await out.put(piece(word))
        writer.release()
    assert writer.texts == ["Start", " blocked", "".join(words)]
    roles = [chunk.choices[0].delta.role for chunk in writer.written if chunk.choices[0].delta]
    assert roles == ["assistant", "", ""]
    assert (out.chunks_in, out.chunks_out) == (52, 3)


async def test_the_last_piece_is_written_before_the_block_ends() -> None:
    writer = Writer()
    async with ChunkCoalescer(writer, spacing=0) as out:
        await out.put(piece("a", role="assistant"))
        writer.hold()
        await out.put(piece("b"))
        await out.put(final())
        asyncio.get_running_loop().call_later(0.01, writer.release)
    # leaving the block waited for the writer: an end envelope sent now comes after all text
    assert "".join(writer.texts) == "ab"
    assert writer.written[-1].finish_reason == "stop"


async def test_pieces_within_the_spacing_of_a_write_merge_and_the_end_cuts_the_wait() -> None:
    writer = Writer()
    async with ChunkCoalescer(writer, spacing=3600) as out:
        await out.put(piece("a", role="assistant"))
        await turns()
        assert writer.texts == ["a"]  # the first piece is not held
        await out.put(piece("b"))
        await out.put(piece("c"))
        await turns()
        assert writer.texts == ["a"]  # within the spacing: they wait for company
    # leaving the block did not wait the hour out
    assert writer.texts == ["a", "bc"]


async def test_a_piece_after_a_pause_longer_than_the_spacing_is_written_at_once() -> None:
    writer = Writer()
    async with ChunkCoalescer(writer, spacing=0.001) as out:
        await out.put(piece("a", role="assistant"))
        while not out.idle:
            await asyncio.sleep(0.01)
        await out.put(piece("b"))
        await turns()
        assert writer.texts == ["a", "b"]


def test_the_wait_after_a_write_is_a_frame_only_when_pieces_came_fast() -> None:
    assert wait_after(1, 0.01, 0.03) == 0.01
    assert wait_after(BUSY_PIECES - 1, 0.01, 0.03) == 0.01
    assert wait_after(BUSY_PIECES, 0.01, 0.03) == 0.03
    assert wait_after(500, 0.01, 0.03) == 0.03


async def test_after_a_busy_write_pieces_wait_longer_and_a_quiet_write_ends_that() -> None:
    """Pieces that came fast (a write of several) make the next wait the busy one; a write of
    one piece makes it the normal one again. The stream's end still cuts any wait short."""
    writer = Writer()
    async with ChunkCoalescer(writer, spacing=0, busy_spacing=3600) as out:
        await out.put(piece("a", role="assistant"))
        await turns()
        assert writer.texts == ["a"]  # the first piece: at once
        writer.hold()
        await out.put(piece("b"))  # the writer takes it and waits
        await writer.entered.wait()
        for text in "cdef":
            await out.put(piece(text))
        writer.release()
        await turns()
        assert writer.texts == ["a", "b", "cdef"]  # four pieces came within one write
        await out.put(piece("g"))
        await turns()
        assert writer.texts == ["a", "b", "cdef"]  # now pieces wait the busy spacing
    assert writer.texts == ["a", "b", "cdef", "g"]  # the end did not wait the hour out
    writer = Writer()
    async with ChunkCoalescer(writer, spacing=0, busy_spacing=3600) as out:
        await out.put(piece("a", role="assistant"))
        await turns()
        await out.put(piece("b"))
        await turns()
        assert writer.texts == ["a", "b"]  # one piece a write: no busy wait


async def test_chunks_that_are_not_plain_text_keep_their_place_and_boundaries() -> None:
    tool = m.ChatCompletionChunkResponse(
        choices=[
            m.ChunkChoice(
                delta=m.ChoiceDelta(tool_calls=[m.ChoiceDeltaToolCall(id="call-1", type="f")])
            )
        ]
    )
    two_choices = m.ChatCompletionChunkResponse(
        choices=[
            m.ChunkChoice(delta=m.ChoiceDelta(content="x")),
            m.ChunkChoice(delta=m.ChoiceDelta(content="y"), index=1),
        ]
    )
    chunks = [
        piece("a", role="assistant"),
        piece("b"),
        tool,
        piece("c"),
        piece("d"),
        two_choices,
        piece("e", role="assistant"),  # a new role starts a chunk of its own
        piece("f"),
        final(),
    ]
    merged = list(merge_chunks(chunks))
    assert [chunk.text for chunk in merged] == ["ab", "", "cd", "xy", "ef", ""]
    assert merged[1] is tool and merged[3] is two_choices
    assert merged[4].choices[0].delta is not None and merged[4].choices[0].delta.role == "assistant"
    assert merged[-1].usage is not None and merged[-1].finish_reason == "stop"
    # the same through the coalescer while its writer is behind
    writer = Writer()
    async with ChunkCoalescer(writer, spacing=0) as out:
        writer.hold()
        await out.put(piece("first", role="assistant"))
        await writer.entered.wait()
        for chunk in chunks:
            await out.put(chunk)
        writer.release()
    assert writer.texts == ["first", "ab", "", "cd", "xy", "ef", ""]


async def test_merged_text_is_the_same_text_encoded() -> None:
    """A merged chunk is a valid wire chunk: the client parses it back to the joined text."""
    merged = list(merge_chunks([piece('say "hi"', role="assistant"), piece(" \\ ünï\n")]))
    assert len(merged) == 1
    wire = json.loads(merged[0].model_dump_json(by_alias=True))
    assert wire["choices"][0]["delta"] == {"content": 'say "hi" \\ ünï\n', "role": "assistant"}


async def test_what_waits_is_bounded_and_the_producer_waits_beyond_it() -> None:
    writer = Writer()
    bounded = ChunkCoalescer(writer, max_pending_chars=10, max_pending_chunks=100, spacing=0)
    async with bounded as out:
        writer.hold()
        await out.put(piece("0", role="assistant"))
        await writer.entered.wait()
        await out.put(piece("12345"))
        third = asyncio.ensure_future(out.put(piece("67890")))  # 10 characters wait: full
        await turns()
        assert not third.done()
        writer.release()
        await third
    assert "".join(writer.texts) == "01234567890"
    writer = Writer()
    async with ChunkCoalescer(writer, max_pending_chunks=3, spacing=0) as out:
        writer.hold()
        await out.put(piece("0", role="assistant"))
        await writer.entered.wait()
        await out.put(piece(""))
        await out.put(piece(""))
        blocked = asyncio.ensure_future(out.put(piece("")))  # empty pieces are counted too
        await turns()
        assert not blocked.done()
        writer.release()
        await blocked


async def test_without_merging_every_chunk_is_written_in_turn() -> None:
    writer = Writer()
    async with ChunkCoalescer(writer, merge=False) as out:
        for text in ("a", "b", "c"):
            await out.put(piece(text))
            assert writer.texts[-1] == text  # written before put returned
    assert writer.texts == ["a", "b", "c"]


async def test_a_write_that_fails_is_raised_to_the_producer() -> None:
    async def broken(chunk: m.ChatCompletionChunkResponse) -> None:
        raise ConnectionResetError("client went away")

    out = ChunkCoalescer(broken, spacing=0)
    with pytest.raises(ConnectionResetError):
        async with out:
            await out.put(piece("a"))
            await turns()
            await out.put(piece("b"))


async def test_a_cancelled_stream_stops_the_writer() -> None:
    writer = Writer()

    async def produce() -> None:
        async with ChunkCoalescer(writer, spacing=0) as out:
            writer.hold()
            await out.put(piece("a"))
            await writer.entered.wait()
            await out.put(piece("b"))
            await asyncio.sleep(60)  # a deadline cancels here

    task = asyncio.ensure_future(produce())
    await writer.entered.wait()
    await turns()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    writer.release()
    await turns()
    assert writer.texts == []  # the held write was abandoned with its task
    assert not [t for t in asyncio.all_tasks() if "ChunkCoalescer" in repr(t.get_coro())]


# --- the real server --------------------------------------------------------------------------


def test_a_stream_carries_the_whole_answer_in_order(client: httpx.Client) -> None:
    body = chat_body("Write a long essay on TCP", samplingParameters={"maxNewTokens": "3000"})
    body["seed"] = "5"
    streamed = stream(client, body)
    unary = client.post(
        f"{SERVICE}/ChatCompletion",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    ).json()
    assert streamed.end == {}
    assert streamed.text == unary["choices"][0]["message"]["content"]
    assert streamed.chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    finish = streamed.chunks[-1]["choices"][0]["finishReason"]
    assert finish == unary["choices"][0]["finishReason"]


def test_injected_faults_still_count_single_chunks(client: httpx.Client) -> None:
    result = stream(client, chat_body("Explain TCP"), **{FAULT: "drop-after=3"})
    assert len(result.chunks) == 3 and result.end is None
    result = stream(client, chat_body("Explain TCP"), **{FAULT: "error-end=aborted;after=4"})
    assert len(result.chunks) == 4
    assert result.end is not None and result.end["error"]["code"] == "aborted"


def test_a_client_that_leaves_mid_stream_leaves_the_server_well(
    server: EmbeddedServer, client: httpx.Client
) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    body = chat_body("Write a long essay on TCP", samplingParameters={"maxNewTokens": "20000"})
    payload = envelope(json.dumps(body).encode())
    request = (
        f"POST {SERVICE}/ChatCompletionStream HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {KEY}\r\nContent-Type: application/connect+json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    with socket.create_connection((host, int(port)), timeout=30) as raw:
        # a small receive buffer and no reading: the server's writes pause, pieces wait
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.sendall(request)
        first = raw.recv(4096)
        assert first.startswith(b"HTTP/1.1 200")
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # the stream it left ends; the server answers the next one in full
    again = stream(client, chat_body("What is Bittensor?"))
    assert again.end == {} and "Bittensor" in again.text
    for _ in range(400):  # the abandoned stream's task winds down (no timing asserted)
        if server.state.active_streams == 0:
            break
        time.sleep(0.05)
    assert server.state.active_streams == 0


def test_a_text_piece_is_its_prototype_with_the_text_and_role() -> None:
    prototype = piece("", role="")
    made = text_piece(prototype, "hi", "assistant")
    assert made.text == "hi" and made.choices[0].delta is not None
    assert made.choices[0].delta.role == "assistant"
    assert (made.id, made.object) == (prototype.id, prototype.object)
    assert prototype.text == ""  # the prototype is not changed
    assert made.model_dump() == piece("hi", role="assistant").model_dump()
