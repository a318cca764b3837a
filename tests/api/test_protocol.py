"""Connect framing and error helpers (shared/apex-api.md §1.4–1.7)."""

from __future__ import annotations

import pytest

from apex_tui.api import protocol as p


def test_worked_envelope_bytes_from_the_reference() -> None:
    body = b'{"messages":[{"role":"user","content":"Hi"}],"stream":true}'
    assert len(body) == 59
    assert p.encode_envelope(body)[:5] == bytes([0, 0, 0, 0, 0x3B])
    assert p.end_stream_message() == bytes([2, 0, 0, 0, 2]) + b"{}"
    failed = p.end_stream_message(p.ConnectError("unauthenticated", "invalid api key"))
    assert failed[:5] == bytes([2, 0, 0, 0, 0x40])


def test_decoder_handles_split_and_joined_envelopes() -> None:
    data = p.encode_envelope(b'{"a":1}') + p.encode_envelope(b'{"b":2}') + p.end_stream_message()
    decoder = p.EnvelopeDecoder()
    seen = []
    for i in range(len(data)):  # one byte at a time
        seen.extend(decoder.feed(data[i : i + 1]))
    assert [e.payload for e in seen] == [b'{"a":1}', b'{"b":2}', b"{}"]
    assert [e.is_end_stream for e in seen] == [False, False, True]
    assert decoder.pending == 0


def test_decoder_rejects_reserved_flags_compression_and_oversize() -> None:
    with pytest.raises(p.EnvelopeError, match="reserved"):
        list(p.EnvelopeDecoder().feed(bytes([0x80, 0, 0, 0, 0])))
    with pytest.raises(p.EnvelopeError, match="compressed"):
        list(p.EnvelopeDecoder().feed(bytes([0x01, 0, 0, 0, 0])))
    with pytest.raises(p.EnvelopeError, match="limit"):
        list(p.EnvelopeDecoder(max_message_bytes=4).feed(bytes([0, 0, 0, 0, 9])))


def test_error_object_round_trip_and_status_tables() -> None:
    error = p.ConnectError("resource_exhausted", "slow down")
    assert error.http_status == 429
    assert p.ConnectError.from_json(error.to_json()) == error
    assert p.ConnectError.from_json({}) is None
    assert p.ConnectError.from_json({"code": "nonsense"}) is None
    assert p.code_from_http_status(404) == "unimplemented"
    assert p.code_from_http_status(400) == "internal"
    assert p.code_from_http_status(503) == "unavailable"
    assert p.code_from_http_status(418) == "unknown"
