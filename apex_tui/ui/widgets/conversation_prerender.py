"""Pre-rendering for the conversation: turns near the viewport are rendered while the reader idles.

Opening a chat renders only what fills the screen; the rest have estimated heights. Soon after
(and after each scroll settles) the turns up to `SCREENS_ABOVE` screens above the viewport and one
below it are rendered, nearest first, in slices of at most `SLICE` seconds, so scrolling finds
them ready and a key never waits behind a long render; while keys arrive (someone paging) it
waits until they stop, so no slice or repaint of its own sits between two keys.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import TYPE_CHECKING

from apex_tui.ui import key_pressure

if TYPE_CHECKING:
    from textual.scroll_view import ScrollView
    from textual.timer import Timer

    from apex_tui.ui.render.turn_index import TurnIndex

__all__ = ["Prerenderer"]


class Prerenderer:
    """Renders `index`'s estimated turns around `view`'s viewport, one slice per timer tick."""

    SCREENS_ABOVE = 3
    """How many screens above (and one below) the viewport are rendered ahead while idle."""
    SLICE = 0.008
    """Longest one slice renders (seconds) before it yields to frames and keys."""

    def __init__(
        self,
        view: ScrollView,
        index: TurnIndex,
        *,
        width: Callable[[], int],
        rendered: Callable[[int], None],
    ) -> None:
        """`width` gives the width to render at (0: not yet known); `rendered(shift)` runs after
        a slice, with how many lines the turns above the viewport grew by."""
        self._view = view
        self._index = index
        self._width = width
        self._rendered = rendered
        self._timer: Timer | None = None

    def schedule(self, delay: float = 0.02) -> None:
        """Pre-render soon; `delay` restarts an already waiting timer (debounce while scrolling)."""
        if not self._view.is_mounted or not self._index.turns:
            return
        if self._timer is None:
            self._timer = self._view.set_timer(delay, self._slice)
        elif delay > 0.02:
            self._timer.reset()

    def _slice(self) -> None:
        """Render turns near the viewport in small time slices, so scrolling finds them ready."""
        self._timer = None
        width, view, layout = self._width(), self._view, self._index.layout
        if not width or not self._index.turns:
            return
        if view.app.animator.is_being_animated(view, "scroll_y"):
            self.schedule()  # shifting the anchor now would stop the animation
            return
        if key_pressure.keys_arriving():
            # Someone is paging: a slice (one turn can take 10-20 ms) and the repaint after it
            # would hold the next key back; the turns a key brings into view render as it
            # paints. Pre-render once the keys stop.
            self.schedule(key_pressure.WINDOW)
            return
        height = view.scrollable_content_region.height or view.size.height
        top = round(view.scroll_y)
        anchor, _ = layout.locate(top)
        anchor = max(anchor, 0)
        low, _ = layout.locate(max(0, top - self.SCREENS_ABOVE * height))
        high, _ = layout.locate(top + 2 * height)
        high = len(self._index.turns) - 1 if high < 0 else high
        todo = [i for i in range(anchor, max(low, 0) - 1, -1) if not layout.exact[i]]
        todo += [i for i in range(anchor, high + 1) if not layout.exact[i]]
        if not todo:
            return
        deadline = perf_counter() + self.SLICE
        shift = 0
        for index in todo:
            delta = self._index.render(index, width)
            if index < anchor:
                shift += delta
            if perf_counter() > deadline:
                break
        self._rendered(shift)
        self.schedule()
