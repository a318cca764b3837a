"""How the conversation's lines look under the app's current theme.

The block renderer takes its colours from the theme (`Palette`), and each screen line is a turn
line behind a gutter (a bar beside the selected turn), cropped to the view and in the view's base
style. Frames repeat lines, so screen lines are memoised by the turn line they show; a line
under a text selection is painted with its span marked, apart from the memo (only visible
lines are ever painted). The offsets Textual's mouse selection reads are put on a line only
when Textual asks where the pointer is (``pointer_line``), never on the lines of a frame.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from rich.segment import Segment
from textual.strip import Strip

from apex_tui.ui.render.markdown_lines import BlockRenderer
from apex_tui.ui.render.palette import Palette
from apex_tui.ui.render.selection import highlight, selection_style, span_cells, with_offsets

if TYPE_CHECKING:
    from rich.style import Style
    from textual.selection import Selection
    from textual.widget import Widget

__all__ = ["GUTTER", "LinePainter"]

GUTTER = 2
"""Columns left of every turn line (the selection bar)."""


class LinePainter:
    """The renderer for `owner`'s theme and its screen lines; told when theme or size change."""

    def __init__(self, owner: Widget) -> None:
        self._owner = owner
        self._renderer: BlockRenderer | None = None
        self._base_style: Style | None = None
        self._composed: OrderedDict[tuple[int, bool], tuple[Strip, Strip]] = OrderedDict()

    def renderer(self) -> BlockRenderer:
        """The Markdown block renderer in the current theme's colours (made on first use)."""
        if self._renderer is None:
            theme = self._owner.app.current_theme
            variables = {**theme.to_color_system().generate(), **theme.variables}
            self._renderer = BlockRenderer(Palette.from_variables(variables, dark=theme.dark))
        return self._renderer

    def line(self, body: Strip, selected: bool, code: int, selection: Selection | None) -> Strip:
        """Gutter + body + margin in the widget's base style, the part of ``selection`` on this
        line (``code``: its y in selections) drawn in the selection style. Memoised unless a
        selected span is drawn."""
        span = selection.get_span(code) if selection is not None else None
        if span is None:
            entry = self._composed.get((id(body), selected))
            if entry is not None and entry[0] is body:
                return entry[1]
        owner = self._owner
        if self._base_style is None:
            self._base_style = owner.rich_style
        shown = body
        if span is not None:
            shown = highlight(body, *span_cells(body.text, *span), selection_style(owner))
        bar = self.renderer().palette.gutter_selected
        gutter = Strip(
            [Segment("▌", bar), Segment(" ", bar)] if selected else [Segment(" "), Segment(" ")],
            GUTTER,
        )
        strip = Strip.join([gutter, shown]).crop_extend(0, owner.size.width, None)
        strip = strip.apply_style(self._base_style)
        if span is None:
            self._composed[(id(body), selected)] = (body, strip)
            if len(self._composed) > 4 * owner.size.height + 64:
                self._composed.popitem(last=False)
        return strip

    @staticmethod
    def pointer_line(line: Strip, code: int) -> Strip:
        """A painted line with the offsets Textual reads to find the text under the pointer
        (the gutter's cells point at the line's start)."""
        return with_offsets(line, code, x=-GUTTER)

    def forget_lines(self) -> None:
        """The view's size changed: screen lines are cropped anew."""
        self._composed.clear()

    def forget_theme(self) -> None:
        """The theme changed: a new renderer, base style and screen lines."""
        self._renderer = None
        self._base_style = None
        self._composed.clear()
