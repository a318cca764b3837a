"""The one sanitizer for terminal output: escapes, controls and bidi overrides become inert,
in whole texts and in streams cut anywhere; JSON escapes what it would write raw (issue 13)."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apex_tui.services.text_safety import StreamSanitizer, inert, json_text
from apex_tui.ui.safe_text import make_inert

HOSTILE = [
    ("a\x1b[31mred\x1b[0m b", "ared b"),
    ("x\x1b]52;c;aGVsbG8=\x07y", "xy"),  # clipboard write
    ("t\x1b]0;title\x1b\\z", "tz"),  # window title
    ("\x1bPq#0;2;0;0;0\x1b\\after", "after"),  # DCS (sixel)
    ("\x9b31mq\x9d0;t\x9cr\x07\x00ok\t\n", "qrok\t\n"),  # 8-bit C1 CSI and OSC
    ("a\r\nb\rc", "a\nb\nc"),
    ("abc\u202edcba\u202c ok", "abcdcba ok"),  # right-to-left override
    ("\u2066isolate\u2069 \u202aembed\u202c", "isolate embed"),
    ("line\u2028next\u2029para", "line\nnext\npara"),
    ("lone \ud800 surrogate", "lone \ufffd surrogate"),
    ("\x1b[31", ""),  # cut short at the end
    ("\x1b]0;never ends", ""),
    ("keep [bold]x[/] ünïcode ✓ \u200f mark", "keep [bold]x[/] ünïcode ✓ \u200f mark"),
]

_LEFT_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


@pytest.mark.parametrize(("raw", "shown"), HOSTILE)
def test_inert_removes_sequences_controls_and_bidi(raw: str, shown: str) -> None:
    assert inert(raw) == shown
    assert make_inert(raw) == shown  # the TUI uses the same sanitizer


def test_clean_text_is_returned_as_is() -> None:
    text = "nothing to do\n\tindented — ünïcode"
    assert inert(text) is text


ALPHABET = st.sampled_from(
    [
        *"ab \n\t\r[]\\0;3m~PX_^Y",
        *("\x1b", "\x07", "\x9c", "\x9b", "\x9d", "\x90", "\x00", "\x7f", "\u202e", "\u2066"),
        *("\u2028", "é", "\ud800"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=30).map("".join), st.lists(st.integers(0, 30), max_size=6))
def test_a_stream_cut_anywhere_gives_what_the_whole_text_gives(text: str, cuts: list[int]) -> None:
    sanitizer = StreamSanitizer()
    pieces, start = [], 0
    for cut in [*sorted(c for c in cuts if c <= len(text)), len(text)]:
        pieces.append(sanitizer.feed(text[start:cut]))
        start = cut
    pieces.append(sanitizer.finish())
    whole = inert(text)
    assert "".join(pieces) == whole
    assert not _LEFT_UNSAFE.search(whole)


def test_a_sequence_split_across_chunks_is_caught() -> None:
    sanitizer = StreamSanitizer()
    out = [sanitizer.feed(part) for part in ("ok \x1b", "]52;c;", "ZXZpbA==", "\x07 done")]
    assert "".join(out) + sanitizer.finish() == "ok  done"
    # the payload of a long OSC is dropped as it arrives, not buffered
    sanitizer = StreamSanitizer()
    assert sanitizer.feed("\x1b]52;c;") == ""
    for _ in range(1000):
        assert sanitizer.feed("A" * 1000) == ""
    assert sanitizer.feed("\x07after") == "after"


def test_json_text_escapes_what_ensure_ascii_false_writes_raw() -> None:
    data = {"title": "a\x9b31mb\u202ec\u2028d\x1b", "plain": "ünïcode ✓"}
    text = json_text(data)
    for raw in ("\x9b", "\u202e", "\u2028", "\x1b"):
        assert raw not in text
    assert "\\u009b" in text and "\\u202e" in text
    assert "ünïcode ✓" in text  # readable, not \\u-escaped
    assert json.loads(text) == data  # lossless
