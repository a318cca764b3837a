"""Request decoding and reply encoding for Connect's JSON codec, with connect-go's strictness.

Decoding turns every problem (empty body, bad UTF-8, bad JSON, a key given twice, a field of
the wrong type, nesting deeper than :data:`MAX_JSON_DEPTH`, a lone surrogate, ``NaN``) into an
``invalid_argument`` :class:`ConnectError` whose message says what to fix. The depth is checked
on the bytes before parsing: Python's ``json`` recurses, and so do pydantic and the encoder.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any, TypeVar

from pydantic import ValidationError

from apex_tui.api.models import ChatCompletionChunkResponse, WireModel
from apex_tui.api.protocol import (
    ENVELOPE_HEADER,
    FLAG_COMPRESSED,
    ConnectError,
    dumps,
    encode_envelope,
    end_stream_message,
)
from apex_tui.server.validation import json_too_deep

M = TypeVar("M", bound=WireModel)

MAX_JSON_DEPTH = 64
"""Deepest nesting of objects and arrays a request may have (protobuf's own limit is 100)."""
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
"""A ``\\uD800``-``\\uDFFF`` escape: only then can the parsed text hold a lone surrogate."""


def _lone_surrogate_at(value: Any, path: str = "") -> str | None:
    """The path of the first string (or key) holding a lone UTF-16 surrogate, else None."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return where or "(body)"
        elif isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                if _lone_surrogate_at(key, name) is not None:
                    return name
                stack.append((name, child))
        elif isinstance(item, list):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))
    return None


def _no_constants(name: str) -> Any:
    raise ValueError(f'{name} is not a JSON number; send it as the string "{name}"')


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` that refuses a key given twice in one JSON object."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(key)
        result[key] = value
    return result


def _bad(message: str) -> ConnectError:
    return ConnectError("invalid_argument", message)


def describe_validation_error(error: ValidationError) -> str:
    """One readable sentence about the first field that did not fit."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "__root__")
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if where:
        return f"invalid value for field {where!r}: {msg}"
    return f"invalid request message: {msg}"


def decode_message(raw: bytes, model: type[M]) -> M:
    """Parse one proto3-JSON request message, raising ``invalid_argument`` when it does not fit."""
    if not raw:
        raise _bad("empty request body: send a JSON object (at least {})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("request body is not UTF-8 text; send UTF-8 JSON") from None
    if json_too_deep(raw, MAX_JSON_DEPTH):
        raise _bad(
            f"request body nests objects or arrays deeper than {MAX_JSON_DEPTH} levels; "
            "send a flatter message"
        )
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except _DuplicateKeyError as exc:
        raise _bad(f"duplicate field {exc.key!r} in request body; send each field once") from None
    except json.JSONDecodeError as exc:
        raise _bad(
            f"request body is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except ValueError as exc:  # NaN / Infinity literals
        raise _bad(f"request body is not valid JSON: {exc}") from None
    except RecursionError:  # cannot happen after json_too_deep; kept as a last guard
        raise _bad("request body nests too deeply; send a flatter message") from None
    if not isinstance(data, dict):
        raise _bad("request body must be a JSON object, e.g. {}")
    if _SURROGATE_ESCAPE.search(raw):
        where = _lone_surrogate_at(data)
        if where is not None:
            raise _bad(
                f"field {where!r} holds a lone UTF-16 surrogate (\\uD800-\\uDFFF without its "
                "pair), which is not text; send valid Unicode"
            )
    try:
        return model.from_wire(data)
    except ValidationError as exc:
        raise _bad(describe_validation_error(exc)) from None


LARGE_BODY = 256 * 1024
"""Request bodies from this size are decoded on a worker thread: checking and parsing 4 MiB
takes up to ~0.5 s of CPU, which would stall every other call on the event loop."""


async def decode_request(raw: bytes, model: type[M]) -> M:
    """:func:`decode_message`, off the event loop for a large body."""
    if len(raw) < LARGE_BODY:
        return decode_message(raw, model)
    return await asyncio.to_thread(decode_message, raw, model)


def decode_single_envelope(raw: bytes) -> bytes:
    """The payload of the one enveloped request message a server-streaming call carries."""
    if len(raw) < ENVELOPE_HEADER.size:
        raise _bad("streaming request body must be one Connect envelope (5-byte header + JSON)")
    flags, size = ENVELOPE_HEADER.unpack_from(raw)
    if flags & FLAG_COMPRESSED:
        raise _bad("compressed request envelope, but no Connect-Content-Encoding was sent")
    if flags & ~FLAG_COMPRESSED:
        raise _bad(f"request envelope has unexpected flags {flags:#04x}; use 0 for a message")
    if len(raw) != ENVELOPE_HEADER.size + size:
        raise _bad(
            f"request envelope announces {size} bytes but the body holds "
            f"{len(raw) - ENVELOPE_HEADER.size}; send exactly one whole envelope"
        )
    return raw[ENVELOPE_HEADER.size :]


class PreEncoded:
    """A reply already in canonical proto3 JSON form (for large lists on hot paths): a JSON
    object, or its encoded bytes (``raw``) when the storage layer wrote them."""

    def __init__(self, data: dict[str, Any] | None = None, *, raw: bytes | None = None) -> None:
        self.raw = raw
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = json.loads(self.raw) if self.raw else {}
        return self._data

    def to_wire(self) -> dict[str, Any]:
        return self.data


def wire_timestamp(micros: int) -> str:
    """:func:`format_timestamp` for integer microseconds, without building datetimes."""
    seconds, fraction = divmod(micros, 1_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if fraction == 0:
        return base + "Z"
    if fraction % 1000 == 0:
        return f"{base}.{fraction // 1000:03d}Z"
    return f"{base}.{fraction:06d}Z"


def encode_message(message: WireModel | PreEncoded) -> bytes:
    """Canonical proto3 JSON bytes of a reply message."""
    if isinstance(message, PreEncoded) and message.raw is not None:
        return message.raw
    return dumps(message.to_wire())


def chunk_wire(chunk: ChatCompletionChunkResponse) -> dict[str, Any]:
    """Canonical JSON of a plain text chunk without pydantic's serializer (the streaming hot
    path, ~10x faster); anything beyond id/created/model/object/one delta falls back to
    :meth:`to_wire`, and tests check both give the same object."""
    choices = chunk.choices
    if (
        chunk.usage is not None
        or chunk.service_tier
        or chunk.system_fingerprint
        or len(choices) != 1
    ):
        return chunk.to_wire()
    choice = choices[0]
    delta = choice.delta
    if (
        delta is None
        or choice.logprobs is not None
        or choice.index
        or delta.function_call is not None
        or delta.tool_calls
        or delta.refusal
    ):
        return chunk.to_wire()
    wire_delta: dict[str, Any] = {}
    if delta.content:
        wire_delta["content"] = delta.content
    if delta.role:
        wire_delta["role"] = delta.role
    wire_choice: dict[str, Any] = {"delta": wire_delta}
    if choice.finish_reason:
        wire_choice["finishReason"] = choice.finish_reason
    data: dict[str, Any] = {}
    if chunk.id:
        data["id"] = chunk.id
    data["choices"] = [wire_choice]
    if chunk.created:
        data["created"] = str(chunk.created)
    if chunk.model:
        data["model"] = chunk.model
    if chunk.object:
        data["object"] = chunk.object
    return data


def encode_data_envelope(message: WireModel) -> bytes:
    if isinstance(message, ChatCompletionChunkResponse):
        return encode_envelope(dumps(chunk_wire(message)))
    return encode_envelope(encode_message(message))


def encode_end_envelope(error: ConnectError | None = None) -> bytes:
    return end_stream_message(error)
