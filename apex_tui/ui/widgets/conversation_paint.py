"""How the conversation's lines look under the app's current theme.

The block renderer takes its colours from the theme (`Palette`), and each screen line is a turn
line behind a gutter (a bar beside the selected turn), cropped to the view and in the view's base
style. Frames repeat lines, so screen lines are memoised by the turn line they show.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from rich.segment import Segment
from textual.strip import Strip

from apex_tui.ui.render.markdown_lines import BlockRenderer
from apex_tui.ui.render.palette import Palette

if TYPE_CHECKING:
    from rich.style import Style
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

    def line(self, body: Strip, selected: bool) -> Strip:
        """Gutter + body + margin in the widget's base style; memoised, as frames repeat lines."""
        entry = self._composed.get((id(body), selected))
        if entry is not None and entry[0] is body:
            return entry[1]
        owner = self._owner
        if self._base_style is None:
            self._base_style = owner.rich_style
        gutter = Strip(
            [Segment("▌ ", self.renderer().palette.gutter_selected)]
            if selected
            else [Segment(" " * GUTTER)],
            GUTTER,
        )
        strip = Strip.join([gutter, body]).crop_extend(0, owner.size.width, None)
        strip = strip.apply_style(self._base_style)
        self._composed[(id(body), selected)] = (body, strip)
        if len(self._composed) > 4 * owner.size.height + 64:
            self._composed.popitem(last=False)
        return strip

    def forget_lines(self) -> None:
        """The view's size changed: screen lines are cropped anew."""
        self._composed.clear()

    def forget_theme(self) -> None:
        """The theme changed: a new renderer, base style and screen lines."""
        self._renderer = None
        self._base_style = None
        self._composed.clear()
