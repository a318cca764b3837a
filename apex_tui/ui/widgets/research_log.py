"""The live progress log of one research job: steps rendered as Markdown as they arrive.

A ``RichLog`` (Line API) keeps only rendered lines, so a long job stays cheap to show; each
step is drawn once when it arrives, and the whole log is redrawn only on a resize or when another
job is selected. The view follows the newest step unless the user has scrolled up to read.

Its text can be selected with the mouse (``RichLog`` alone cannot): a line Textual looks up
under the pointer carries the offsets its selection reads (y: the line's index), the selected
span is drawn as the line is painted, and each written piece of Markdown remembers the line it
starts at, so a selection can be copied as the text shown or as the Markdown of the steps it
covers.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Self

from rich.markdown import Markdown as RichMarkdown
from textual.events import Resize
from textual.geometry import Region
from textual.selection import Selection
from textual.strip import Strip
from textual.widgets import RichLog

from apex_tui.ui.render.selection import highlight, selection_style, span_cells, with_offsets
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.selection_copy import drop_selection

NEW_BELOW = "↓ new steps below (End to follow)"


class ResearchLog(RichLog):
    """Markdown progress log that follows the bottom unless scrolled up."""

    DEFAULT_CSS = """
    ResearchLog { height: 1fr; padding: 0 1; }
    ResearchLog.-behind { border-bottom: solid $warning; border-subtitle-color: $warning; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            wrap=True, markup=False, highlight=False, auto_scroll=False, min_width=20, id=id
        )
        self.source = ""
        """Every step's text shown so far, in order (what a copy of the log gives)."""
        self._pending = ""
        self._last_width = 0
        self._pieces: list[tuple[int, str]] = []
        """(first line, Markdown) of each piece written, in order."""
        self._painting = False

    def write(
        self,
        content: object,
        width: int | None = None,
        expand: bool = False,
        shrink: bool = True,
        scroll_end: bool | None = None,
        animate: bool = False,
    ) -> Self:
        """RichLog's write, noting where each Markdown piece starts (once it is rendered:
        writes before the log has a size are rendered later, through here again)."""
        first = len(self.lines)
        rendered = self._size_known
        super().write(content, width, expand, shrink, scroll_end, animate)
        if rendered and isinstance(content, RichMarkdown):
            self._pieces.append((first, content.markup))
        return self

    def clear(self) -> Self:
        drop_selection(self)
        self._pieces = []
        return super().clear()

    # --- text selection ------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        line = self._render_line(index, scroll_x, self.scrollable_content_region.width)
        selection = self.text_selection
        span = selection.get_span(index) if selection is not None else None
        if span is not None and index < len(self.lines):
            style = selection_style(self)
            first, last = span_cells(self.lines[index].text, *span)
            line = highlight(line, first - scroll_x, last - scroll_x, style)
        line = line.apply_style(self.rich_style)
        return line if self._painting else with_offsets(line, index, x=scroll_x)

    def render_lines(self, crop: Region) -> list[Strip]:
        """A frame's lines: without the selection offsets, which only Textual's look-up of
        the text under the pointer (``render_line`` outside a frame) needs."""
        self._painting = True
        try:
            return super().render_lines(crop)
        finally:
            self._painting = False

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        text = "\n".join(line.text.rstrip() for line in self.lines)
        return selection.extract(text), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()  # the highlight goes on after RichLog's line cache: it stays valid

    def selected_markdown(self, selection: Selection) -> str:
        """The Markdown of every written piece the selection touches."""
        if not self._pieces:
            return ""
        starts = [first for first, _ in self._pieces]
        top = selection.start.y if selection.start is not None else 0
        bottom = selection.end.y if selection.end is not None else len(self.lines)
        first = max(0, bisect_right(starts, top) - 1)
        last = max(0, bisect_right(starts, bottom) - 1)
        return "\n\n".join(md.strip("\n") for _, md in self._pieces[first : last + 1])

    @property
    def following(self) -> bool:
        """True when the view sits at the bottom (new steps scroll into view)."""
        return self.max_scroll_y == 0 or self.scroll_y >= self.max_scroll_y - 1

    def show(self, text: str, *, finished: bool) -> None:
        """Replace the log with a job's text so far (another job was selected)."""
        self.clear()
        self.source = ""
        self._pending = ""
        self.border_subtitle = ""
        self.remove_class("-behind")
        self.add(text, finished=finished, follow=True)

    def add(self, text: str, *, finished: bool = False, follow: bool | None = None) -> None:
        """Append a step; only whole lines are drawn, so a step cut mid-line is not split."""
        self.source += text
        self._pending += text
        if finished:
            ready, self._pending = self._pending, ""
        else:
            cut = self._pending.rfind("\n") + 1
            ready, self._pending = self._pending[:cut], self._pending[cut:]
        if not ready.strip():
            return
        at_bottom = self.following if follow is None else follow
        self.write(RichMarkdown(make_inert(ready)), scroll_end=at_bottom, animate=False)
        if not at_bottom:
            self.border_subtitle = NEW_BELOW
            self.add_class("-behind")

    def flush(self) -> None:
        """The job ended: draw whatever is left of an unfinished last line."""
        self.add("", finished=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.border_subtitle and self.following:
            self.border_subtitle = ""
            self.remove_class("-behind")

    def on_resize(self, event: Resize) -> None:
        """Lines were wrapped for the old width: redraw the same text for the new one."""
        if event.size.width != self._last_width and self.source:
            following = self.following
            source, pending = self.source, self._pending
            self.clear()
            self.source = ""
            self._pending = ""
            self.add(source[: len(source) - len(pending)], finished=True, follow=following)
            self._pending = pending
            self.source = source
        self._last_width = event.size.width
