"""Checks on decoded request values that every front end needs (Connect JSON and gRPC alike),
so the handlers refuse with ``invalid_argument`` naming the field, instead of failing later in
SQLite, the JSON encoder or a recursion: NULs in identifiers, titles and search terms, and
metadata that is too deep or too large to store and send back. Also the byte-level depth
check the JSON codec runs before parsing (:func:`json_too_deep`).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from apex_tui.api.protocol import ConnectError

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_METADATA_DEPTH",
    "check_metadata",
    "json_depth",
    "json_too_deep",
    "no_nul",
]

MAX_METADATA_DEPTH = 32
"""Deepest nesting inside a completion's metadata (the client writes 3 levels)."""
MAX_METADATA_BYTES = 256 * 1024
"""Largest metadata object, as stored JSON (the client writes about 20 KB with 50 sources)."""


_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def json_too_deep(raw: bytes, limit: int) -> bool:
    """Whether the JSON text nests objects/arrays deeper than ``limit``, decided on the bytes
    without recursion and at C speed: strings are cut out, each bracket becomes a step of +1
    or -1 (signed bytes), and the running sum's maximum is the depth the parser would reach.
    About 0.3 s for 4 MiB of brackets, nothing for the usual small message."""
    if raw.count(b"[") + raw.count(b"{") <= limit:  # the usual case: cannot be that deep
        return False
    steps = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS).translate(_BRACKET_STEPS)
    return max(accumulate(memoryview(steps).cast("b")), default=0) > limit


def _bad(message: str) -> ConnectError:
    return ConnectError("invalid_argument", message)


def no_nul(value: str, field: str) -> str:
    """Refuse U+0000 where SQLite's text functions and full-text search cannot take it
    (ids, titles, types, search terms); prompts and answers may hold it."""
    if "\x00" in value:
        raise _bad(f"field {field!r} holds a NUL character (U+0000); remove it")
    return value


def json_depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value (a scalar is 0, ``{}`` is 1), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
            deepest = max(deepest, depth + 1)
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
            deepest = max(deepest, depth + 1)
    return deepest


def check_metadata(metadata: dict[str, Any] | None, field: str = "metadata") -> None:
    """Metadata the server can store, read back and encode: at most
    :data:`MAX_METADATA_DEPTH` levels and :data:`MAX_METADATA_BYTES` bytes of JSON."""
    if metadata is None:
        return
    if json_depth(metadata) > MAX_METADATA_DEPTH:
        raise _bad(
            f"field {field!r} nests deeper than {MAX_METADATA_DEPTH} levels; store flatter data"
        )
    size = len(json.dumps(metadata, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_METADATA_BYTES:
        raise _bad(
            f"field {field!r} is {size} bytes of JSON, over the {MAX_METADATA_BYTES}-byte "
            "limit; store less"
        )
