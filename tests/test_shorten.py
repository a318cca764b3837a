"""``apex_tui.shorten``: whole words and an ellipsis, measured in terminal columns."""

from __future__ import annotations

import pytest

from apex_tui.shorten import cell_width, shorten

TEXT = "SQLite is a self-contained, serverless SQL database engine stored in one file."


def test_text_that_fits_is_only_folded() -> None:
    assert shorten("  two\n  lines\tof text ", 40) == "two lines of text"


@pytest.mark.parametrize("width", range(len("SQLite…"), len(TEXT)))
def test_cut_at_a_word_boundary_with_an_ellipsis(width: int) -> None:
    short = shorten(TEXT, width)
    assert short.endswith("…") and cell_width(short) <= width
    words = TEXT.split()
    prefixes = [" ".join(words[:k]).rstrip(",.") for k in range(1, len(words))]
    assert short[:-1] in prefixes  # whole words, no comma or full stop before the "…"
    longest = max(p for p in prefixes if len(p) + 1 <= width)
    assert short[:-1] == longest or short[:-1] + "," in TEXT  # nothing that would fit is lost


def test_a_first_word_wider_than_the_width_is_cut_inside() -> None:
    assert shorten("x" * 100, 60) == "x" * 59 + "…"
    assert shorten("abc", 1) == "…"
    assert shorten("abc", 0) == ""


def test_wide_characters_count_two_columns() -> None:
    assert cell_width("日本語") == 6 and cell_width("e\u0301") == 1
    short = shorten("日本語 の テキスト です", 10)
    assert cell_width(short) <= 10 and short == "日本語 の…"
