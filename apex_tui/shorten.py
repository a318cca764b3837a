"""Shortening text for a terminal: whole words, then "…"; never a word cut in half.

At the bottom of the package with ``import_guards`` (it imports only the standard library),
so the CLI, the services, the UI and the server all shorten text the same way."""

from __future__ import annotations

import unicodedata

__all__ = ["ELLIPSIS", "cell_width", "shorten"]

ELLIPSIS = "…"
_TRAILING = " ,;:.-–—"
"""Dropped before the ellipsis: "word,…" and "word.…" read as mistakes."""


def cell_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (East Asian) characters two, combining
    marks none, everything else one."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _prefix_within(text: str, columns: int) -> str:
    """The longest start of ``text`` that fits in ``columns``."""
    used = 0
    for index, char in enumerate(text):
        used += cell_width(char)
        if used > columns:
            return text[:index]
    return text


def shorten(text: str, width: int) -> str:
    """``text`` on one line (runs of whitespace folded to one space) in at most ``width``
    columns. When it does not fit it ends with "…" after the last whole word that does; only
    a first word wider than ``width`` is cut inside, as there is no better place."""
    folded = " ".join(text.split())
    if cell_width(folded) <= width:
        return folded
    if width < 1:
        return ""
    head = _prefix_within(folded, width - 1)
    rest_of_word = folded[len(head) :].split(" ", 1)[0]
    if rest_of_word.strip(_TRAILING) and " " in head:  # the cut falls inside a word
        head = head[: head.rindex(" ")]
    return (head.rstrip(_TRAILING) or head) + ELLIPSIS
