"""The live progress log of one research job: steps rendered as Markdown as they arrive.

A ``RichLog`` (Line API) keeps only rendered lines, so a long job stays cheap to show; each
step is drawn once when it arrives, and the whole log is redrawn only on a resize or when another
job is selected. The view follows the newest step unless the user has scrolled up to read.
"""

from __future__ import annotations

from rich.markdown import Markdown as RichMarkdown
from textual.events import Resize
from textual.widgets import RichLog

from apex_tui.ui.safe_text import make_inert

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
