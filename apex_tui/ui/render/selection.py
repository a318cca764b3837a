"""Mouse text selection on Line-API lines: offsets, the drawn span, words and paragraphs.

Textual's selection machinery finds what is under the pointer from ``offset`` metadata on each
segment of a painted line (``Style(meta={"offset": (x, y)})``); ``x`` is a character index in
the line's text and ``y`` whatever line number the widget chooses. These helpers put those
offsets on a line, draw a selected span over it at paint time (a cached line is never changed),
and find the word or paragraph around a point of plain text lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Offset
from textual.selection import Selection
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.widget import Widget

__all__ = [
    "highlight",
    "paragraph_selection",
    "selection_style",
    "span_cells",
    "with_offsets",
    "word_selection",
]

_WORD = re.compile(r"\w+")


def with_offsets(strip: Strip, y: int, *, x: int = 0) -> Strip:
    """``strip`` with each segment's offset (character index, ``y``) for Textual's selection;
    ``x``: the index of its first character (a scrolled line starts further on).

    A negative ``x`` (a gutter before the text) makes those characters point at 0, so a press
    in the gutter starts at the beginning of the line; they must be segments of their own."""
    segments: list[Segment] = []
    for text, style, control in strip:
        if control:
            segments.append(Segment(text, style, control))
            continue
        meta = Style.from_meta({"offset": (max(0, x), y)})
        segments.append(Segment(text, style + meta if style else meta))
        x += len(text)
    return Strip(segments, strip.cell_length)


def span_cells(text: str, start: int, end: int) -> tuple[int, int]:
    """Character span ``start:end`` of ``text`` as cell columns; ``end`` -1 (the line's rest)
    stops at its last character, not at the padding to the view's width."""
    if end < 0:
        end = len(text.rstrip())
    end = min(end, len(text))
    start = min(max(0, start), end)
    first = cell_len(text[:start])
    return first, first + cell_len(text[start:end])


def selection_style(widget: Widget) -> Style:
    """The screen's selection colours as a Rich style for ``widget``'s lines. The theme's
    selection foreground is usually transparent ("keep the text's colour"), which a Rich style
    cannot say: blended, it would paint the text in the background colour. So the text keeps
    its colour unless the theme gives the selection an opaque one."""
    screen = widget.screen
    rich = screen.get_component_rich_style("screen--selection")
    opaque = screen.get_component_styles("screen--selection").color.a > 0
    return Style(bgcolor=rich.bgcolor, color=rich.color if opaque else None)


def highlight(strip: Strip, first: int, last: int, style: Style) -> Strip:
    """``strip`` with cells ``first:last`` drawn in ``style`` (over the segments' own style)."""
    if last <= first:
        return strip
    before, middle, after = strip.divide([first, last, strip.cell_length])
    marked = Strip(
        [
            Segment(text, (seg_style + style) if seg_style else style, control)
            for text, seg_style, control in middle
        ],
        middle.cell_length,
    )
    return Strip.join([before, marked, after])


def word_selection(lines: Sequence[str], at: Offset) -> Selection | None:
    """The word (letters, digits, ``_``) under ``at`` in ``lines``; else the one character."""
    if not 0 <= at.y < len(lines):
        return None
    text = lines[at.y]
    if not text or at.x >= len(text.rstrip()):
        return None
    for match in _WORD.finditer(text):
        if match.start() <= at.x < match.end():
            return Selection(Offset(match.start(), at.y), Offset(match.end(), at.y))
    if text[at.x].isspace():
        return None
    return Selection(Offset(at.x, at.y), Offset(at.x + 1, at.y))


def paragraph_selection(lines: Sequence[str], at: Offset) -> Selection | None:
    """The run of non-blank lines around line ``at.y`` (None on a blank line)."""
    if not 0 <= at.y < len(lines) or not lines[at.y].strip():
        return None
    top = at.y
    while top > 0 and lines[top - 1].strip():
        top -= 1
    bottom = at.y
    while bottom + 1 < len(lines) and lines[bottom + 1].strip():
        bottom += 1
    return Selection(Offset(0, top), Offset(len(lines[bottom]), bottom))
