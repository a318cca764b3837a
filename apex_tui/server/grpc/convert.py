"""Protobuf messages to and from the wire models: the one place the gRPC front end converts.

Requests go protobuf → proto3 JSON (``MessageToDict``: camelCase, int64 as strings, RFC 3339
timestamps, Struct as an object; unset optional fields stay absent) → the Connect path's own
decoder (``codec.decode_message``), so a gRPC request meets exactly the checks a Connect one
meets. Replies go the other way: the canonical JSON the Connect path would send (``to_wire``,
or pre-encoded bytes) parsed into the protobuf reply with ``ParseDict``/``Parse``.
"""

from __future__ import annotations

import json
from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.message import Message

from apex_tui.api.models import METHODS, SERVICE_NAME, ChatCompletionChunkResponse, WireModel
from apex_tui.api.protocol import ConnectError
from apex_tui.server.codec import PreEncoded, chunk_wire, decode_message, encode_message
from apex_tui.server.grpc.generated import apex_pb2

__all__ = [
    "chunk_to_proto",
    "reply_class",
    "reply_to_proto",
    "request_class",
    "request_from_proto",
]

_SERVICE = apex_pb2.DESCRIPTOR.services_by_name[SERVICE_NAME.rsplit(".", 1)[1]]
_SAFE_INTEGER = 2**53


def request_class(method: str) -> type[Message]:
    """The protobuf class of ``method``'s request (as the proto declares it)."""
    cls: type[Message] = message_factory.GetMessageClass(
        _SERVICE.methods_by_name[method].input_type
    )
    return cls


def reply_class(method: str) -> type[Message]:
    cls: type[Message] = message_factory.GetMessageClass(
        _SERVICE.methods_by_name[method].output_type
    )
    return cls


def _whole_numbers_as_ints(value: Any) -> Any:
    """Struct numbers are doubles: ``{"a": 1}`` arrives as ``1.0``. Give whole ones back as
    ints (as JSON had them), so data written over gRPC reads back over Connect unchanged.
    Typed double fields do not mind: their model fields turn ints into floats again."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _SAFE_INTEGER:
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers_as_ints(item) for item in value]
    return value


def request_from_proto(method: str, message: Message) -> WireModel:
    """The wire model of a decoded protobuf request; ``invalid_argument`` when it does not fit
    (the same message a Connect client would get for the same values)."""
    data = _whole_numbers_as_ints(json_format.MessageToDict(message))
    raw = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
    model: WireModel = decode_message(raw, METHODS[method][0])
    return model


def reply_to_proto(method: str, reply: WireModel | PreEncoded) -> Message:
    """The protobuf reply for a handler's result (its canonical proto3 JSON, parsed)."""
    message = reply_class(method)()
    try:
        if isinstance(reply, PreEncoded) and reply.raw is not None:
            json_format.Parse(encode_message(reply), message, ignore_unknown_fields=True)
        else:
            json_format.ParseDict(reply.to_wire(), message, ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise ConnectError(
            "internal", f"the server built a reply protobuf rejects: {exc}"
        ) from None
    return message


def chunk_to_proto(chunk: ChatCompletionChunkResponse) -> Message:
    """One streamed chunk (the hot path: ``chunk_wire`` skips pydantic's serializer)."""
    message = apex_pb2.ChatCompletionChunkResponse()
    json_format.ParseDict(chunk_wire(chunk), message, ignore_unknown_fields=True)
    return message
