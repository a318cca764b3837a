"""Full GC passes wait while a view is busy (a chat opened, the reader scrolls), then run once.

Scrolling the conversation renders turns (new strips to keep), which brings on full passes of
40-110 ms (bench/long.py). So each burst of activity holds full passes back; once the view has
been quiet for `QUIET` seconds, or at the latest `LONGEST` seconds after the hold began, one
pass runs and the survivors are frozen (see `gc_policy` for why that is safe).
"""

from __future__ import annotations

from time import perf_counter
from typing import TYPE_CHECKING

from apex_tui.ui import gc_policy

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widget import Widget

__all__ = ["FullGcDeferral"]


class FullGcDeferral:
    """Holds full collections while its owner is busy; the timer lives on `owner`."""

    QUIET = 1.0
    """Full GC passes wait until the reader has not scrolled for this long (seconds)..."""
    LONGEST = 10.0
    """...or at most this long: they render turns, and a full pass is a 40-110 ms stall."""

    def __init__(self, owner: Widget) -> None:
        self._owner = owner
        self._timer: Timer | None = None
        self._held_since = 0.0

    def defer(self) -> None:
        """Something happened: hold full passes (again) until `QUIET` seconds from now."""
        if not self._owner.is_mounted:
            return
        if self._timer is None:
            gc_policy.hold_full_collections()
            self._held_since = perf_counter()
            self._timer = self._owner.set_timer(self.QUIET, self._on_quiet)
        elif perf_counter() - self._held_since < self.LONGEST:
            self._timer.reset()

    def cancel(self) -> None:
        """The owner goes away: let full passes run again, without one now."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
            gc_policy.release_full_collections()

    def _on_quiet(self) -> None:
        self._timer = None
        gc_policy.release_full_collections()
        gc_policy.collect_and_freeze()
