"""What every wire message is built on: :class:`WireModel` (both name spellings in, canonical
proto3 JSON out), the ``Int64`` and ``Timestamp`` field types with their parsers, and
``google.protobuf.Empty``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    Strict,
    model_serializer,
)
from pydantic.alias_generators import to_camel

from apex_tui.api import wire_names

__all__ = ["Empty", "Int64", "Timestamp", "WireModel", "format_timestamp"]


_fromisoformat = datetime.fromisoformat


def format_timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z`` and 0, 3 or 6 fractional digits, as protobuf prints it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    base = value.strftime("%Y-%m-%dT%H:%M:%S")
    micros = value.microsecond
    if micros == 0:
        return base + "Z"
    if micros % 1000 == 0:
        return f"{base}.{micros // 1000:03d}Z"
    return f"{base}.{micros:06d}Z"


def _rfc3339_for_python(value: str) -> str:
    """The forms ``datetime.fromisoformat`` refuses: surrounding blanks, a lower-case ``z``,
    more than 6 fractional digits in odd spellings. Trimmed to what it reads."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if "." in text:
        head, _, tail = text.partition(".")
        digits = ""
        rest = tail
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest}" if digits else head + rest
    return text


def _parse_timestamp(value: Any) -> Any:
    """Accept RFC 3339 with ``Z`` or an offset; naive values are taken as UTC.

    Python 3.11's ``fromisoformat`` (C) reads the canonical form at once (``Z``, offsets, any
    number of fractional digits, truncated to microseconds); only what it refuses takes the
    slower normalising path. 10,000 chats carry 20,000 of these, so the fast path matters.
    """
    if isinstance(value, str):
        try:
            value = _fromisoformat(value)
        except ValueError:
            value = _fromisoformat(_rfc3339_for_python(value))
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _int64_in_range(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError("value is outside the int64 range (-2^63 to 2^63-1)")
    return value


def _parse_int64(value: Any) -> Any:
    """proto3 JSON int64: a number or a decimal string; floats only when integral; always
    within the int64 range (``1e300`` or a 400-digit number is refused, not stored)."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) > 40:  # int64 needs at most 20 digits; longer is never in range
            raise ValueError("value is outside the int64 range (-2^63 to 2^63-1)")
        try:
            whole = int(text)
        except ValueError:
            number = float(text)  # raises ValueError for garbage: pydantic reports it
            if not number.is_integer():
                raise ValueError(f"int64 value {value!r} is not an integer") from None
            whole = int(number)
        return _int64_in_range(whole)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"int64 value {value!r} is not an integer")
        return _int64_in_range(int(value))
    if isinstance(value, int) and not isinstance(value, bool):
        return _int64_in_range(value)
    return value


Int64 = Annotated[int, BeforeValidator(_parse_int64), PlainSerializer(str, when_used="json")]
"""int64 on the wire: accepted as number or string, emitted as a decimal string."""

Timestamp = Annotated[
    # pydantic-core reads the canonical form itself when it parses JSON (strict: an RFC 3339
    # string with an offset; no Python call for each of a 10,000-chat list's 20,000 times);
    # anything else (naive times, odd spellings, Python-mode input) takes _parse_timestamp.
    Annotated[AwareDatetime, Strict()] | Annotated[datetime, BeforeValidator(_parse_timestamp)],
    Field(union_mode="left_to_right"),
    PlainSerializer(format_timestamp, when_used="json"),
]
"""google.protobuf.Timestamp: RFC 3339 string, emitted in UTC with ``Z``."""


class WireModel(BaseModel):
    """Base of every message: both name spellings in, canonical proto3 JSON out."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=False,
        # Validators are built on first use: start-up touches a handful of the ~60 messages.
        defer_build=True,
    )

    @model_serializer(mode="wrap")
    def _omit_defaults(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        """Drop implicit-presence fields at their default and unset optional ones."""
        data: dict[str, Any] = handler(self)
        by_alias = bool(info.by_alias)
        for name, field in type(self).model_fields.items():
            key = (field.alias or name) if by_alias else name
            if key not in data:
                continue
            value = getattr(self, name)
            if value is None:
                del data[key]
            elif field.default_factory is not None:
                if value == field.default_factory():  # type: ignore[call-arg]
                    del data[key]
            elif (
                field.default is not None
                and value == field.default
                and type(value) is type(field.default)
            ):
                del data[key]
        return data

    def to_wire(self) -> dict[str, Any]:
        """The canonical proto3 JSON object for this message."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_wire(cls, data: Any) -> Self:
        """Parse a decoded JSON value under proto3 JSON's name rules (``wire_names``: a field
        under both names is an error, null means default); raises ``pydantic.ValidationError``
        when it does not fit. Wire input goes through here (or ``from_wire_json``), never
        through ``model_validate``, which does not apply those rules."""
        return cls.model_validate(wire_names.apply(cls, data))

    @classmethod
    def from_wire_json(cls, body: bytes) -> Self:
        """Parse JSON bytes: in one pydantic-core pass when the name rules provably have
        nothing to do (the usual case, ~3x faster on a 10,000-chat list), else through
        ``json.loads`` and :meth:`from_wire`. Raises ``ValueError`` for bytes that are not
        JSON and ``pydantic.ValidationError`` (a ValueError too) when the message does not fit."""
        if not wire_names.needs_checks(cls, body):
            return cls.model_validate_json(body)
        return cls.from_wire(json.loads(body))


class Empty(WireModel):
    """google.protobuf.Empty: ``{}`` on the wire."""
