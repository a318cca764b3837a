"""Mouse selection in the conversation: where a painted line sits, and what a selection holds.

The screen tracks the drag (Textual's own machinery); the line it looks up under the pointer
carries offsets (``render.selection.with_offsets``) whose ``y`` is ``turn position * LINE_SPAN +
line in the turn`` rather than a row of the whole conversation: turns above may be rendered
while the user drags, changing their heights, and a selection must stay on the text it was
made on. This
helper turns a ``Selection`` back into the text shown (what Ctrl+C and ``y`` copy) or into the
Markdown source of the blocks it covers (``Y``), and makes the word and block selections of a
double and a triple click. Drawing the span is the painter's (visible lines only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from textual.geometry import Offset
from textual.selection import Selection
from textual.strip import Strip

from apex_tui.ui.render.markdown_lines import BlockRenderer
from apex_tui.ui.render.selection import word_selection
from apex_tui.ui.render.turn_index import TurnIndex
from apex_tui.ui.render.turn_sources import Section, turn_sections

__all__ = ["LINE_SPAN", "ConversationSelection", "line_code"]

LINE_SPAN = 1 << 24
"""Offsets' y per turn: a turn of more lines than this cannot be selected past the limit."""


def line_code(position: int, line: int) -> int:
    """The ``y`` painted on line ``line`` of the turn at ``position``."""
    return position * LINE_SPAN + min(line, LINE_SPAN - 1)


class ConversationSelection:
    """Reads selections of the turns in ``index`` (lines from ``lines_for``, which renders)."""

    def __init__(
        self,
        index: TurnIndex,
        lines_for: Callable[[int], list[Strip]],
        renderer: Callable[[], BlockRenderer],
        width: Callable[[], int],
    ) -> None:
        self._index = index
        self._lines_for = lines_for
        self._renderer = renderer
        self._width = width

    def _selected(self, selection: Selection) -> Iterator[tuple[int, int, str]]:
        """(turn position, line, the selected characters of it) for each selected line."""
        count = len(self._index.turns)
        start, end = selection
        first, first_line = divmod(start.y, LINE_SPAN) if start is not None else (0, 0)
        last, last_line = divmod(end.y, LINE_SPAN) if end is not None else (count - 1, -1)
        start_x = start.x if start is not None else 0
        end_x = end.x if end is not None else None
        for position in range(first, min(last, count - 1) + 1):
            lines = self._lines_for(position)
            top = first_line if position == first else 0
            bottom = len(lines) - 1
            if position == last and last_line >= 0:
                bottom = min(last_line, bottom)
            for line in range(top, bottom + 1):
                text = lines[line].text
                begin = start_x if (position, line) == (first, first_line) else 0
                stop = end_x if (position, line) == (last, last_line) else None
                yield position, line, text[begin:stop]

    def text(self, selection: Selection) -> str:
        """The selected text as shown (each line's trailing padding dropped)."""
        return "\n".join(part.rstrip() for _, _, part in self._selected(selection))

    def sections(self, position: int) -> list[Section]:
        lines = self._lines_for(position)
        return turn_sections(self._renderer(), self._width(), self._index.turns[position], lines)

    def markdown(self, selection: Selection) -> str:
        """The Markdown source of every block the selection touches, blank-line separated.

        A prompt gives its text, an answer its blocks, the reasoning its text, a footer (status,
        sources) the text shown; headers and the blank lines between parts give nothing."""
        touched: dict[int, set[int]] = {}
        for position, line, _ in self._selected(selection):
            touched.setdefault(position, set()).add(line)
        parts: list[str] = []
        for position, lines in touched.items():
            for section in self.sections(position):
                if section.source and any(section.start <= ln < section.end for ln in lines):
                    parts.append(section.source)
        return "\n\n".join(parts)

    def clicked(self, position: int, line: int, x: int, chain: int) -> Selection | None:
        """What a double (``chain`` 2: a word) or triple click (a block) at ``x`` selects."""
        return self.word(position, line, max(0, x)) if chain == 2 else self.block(position, line)

    def word(self, position: int, line: int, x: int) -> Selection | None:
        """A double click's selection: the word at ``x`` of that line."""
        lines = self._lines_for(position)
        if not 0 <= line < len(lines):
            return None
        found = word_selection([lines[line].text], Offset(x, 0))
        if found is None or found.start is None or found.end is None:
            return None
        code = line_code(position, line)
        return Selection(Offset(found.start.x, code), Offset(found.end.x, code))

    def block(self, position: int, line: int) -> Selection | None:
        """A triple click's selection: the prompt, reasoning, Markdown block or footer there."""
        lines = self._lines_for(position)
        section = next((s for s in self.sections(position) if s.start <= line < s.end), None)
        if section is None or section.kind == "gap":
            return None
        start, end = section.start, section.end - 1
        while start < end and not lines[start].text.strip():
            start += 1  # a list or quote starts with the blank line Rich puts before it
        while end > start and not lines[end].text.strip():
            end -= 1  # a footer ends with the blank line between turns
        width = len(lines[end].text.rstrip())
        return Selection(
            Offset(0, line_code(position, start)), Offset(width, line_code(position, end))
        )
