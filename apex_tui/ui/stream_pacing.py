"""How often streamed text is drawn: every frame while a person can read it, less often when
it floods the screen (:class:`DrawPacer`).

Why: an answer at 2,000 tokens/s grows by several screenfuls a second. Nobody reads that as it
scrolls past, yet drawing it 30 times a second was most of the app's CPU for such a stream
(bench/stream.py, 2026-12-01: ~300 frames of 6-9 ms and ~250 tail re-renders of 3-5 ms in a
10 s stream whose answer renders once in ~0.3 s). So while the text grows by more than a
screenful and a half a second (over the last :data:`WINDOW`, and in each of the last two
draws), the view draws it less often: drawing (the view's re-render plus its last paint, as
measured) may then take :data:`DRAW_SHARE` of the time, and no text waits longer than
:data:`MAX_INTERVAL` to be seen. The first draw that finds the text slower (or after a pause)
goes back to every frame, and the end of an answer is drawn at once whatever the pace (the
view does not ask the pacer for that). A model at 20-100 tokens/s writes a few lines a second
(its short lines of code or a table reach ~1.3 screenfuls a second for a moment): it never
floods, and draws as it always did.

No Textual here: the view tells the pacer what it drew and when (``perf_counter()`` times),
the pacer answers how long text that arrives now waits (tested without a clock).
"""

from __future__ import annotations

from collections import deque

__all__ = [
    "DRAW_SHARE",
    "MAX_INTERVAL",
    "NORMAL_INTERVAL",
    "READABLE_SCREENS",
    "WINDOW",
    "DrawPacer",
]

NORMAL_INTERVAL = 1 / 30
"""Seconds between draws of streamed text a person can follow (a frame of a 30 Hz stream)."""
MAX_INTERVAL = 0.2
"""The longest streamed text waits to be drawn while it floods (seconds)."""
DRAW_SHARE = 0.05
"""While text floods, the share of the time its drawing may take (the view's own measure)."""
READABLE_SCREENS = 1.5
"""Screenfuls a second beyond which streamed text floods (nobody reads it as it passes). A
model at 100 tokens/s writing short lines (code, a table) reaches ~1.3 for half a second."""
WINDOW = 0.5
"""Seconds over which the text must have grown that fast too: rows come in steps (a table's,
a code block's short lines), and a slow stream has a few fast frames now and then."""


class DrawPacer:
    """The pace of one view's streamed draws, from how fast its text grows and what a draw costs."""

    def __init__(self) -> None:
        self._last_at: float | None = None
        self._last_rows = 0
        self._over_before = False
        self._recent: deque[tuple[float, int]] = deque()
        """(time, rows) of the draws since the newest one at least ``WINDOW`` ago."""
        self._work = 0.0
        self._paint = 0.0
        self.interval = NORMAL_INTERVAL
        """Seconds from one streamed draw to the next (``NORMAL_INTERVAL`` unless flooding)."""

    @property
    def flooding(self) -> bool:
        """Text grows faster than it can be read: draws are further apart than a frame."""
        return self.interval > NORMAL_INTERVAL

    def worked(self, seconds: float) -> None:
        """The view spent ``seconds`` rendering streamed text (counted into the next draw)."""
        self._work += seconds

    def painted(self, seconds: float) -> None:
        """The view painted its lines for a frame in ``seconds``."""
        self._paint = seconds

    def drew(self, at: float, rows: int, screen_rows: int) -> None:
        """A streamed draw, shown from ``at`` on: the view's text is ``rows`` lines now and it
        shows ``screen_rows`` at a time. Its cost is what the view worked since the last draw
        and its last paint."""
        per_second = max(1, screen_rows) * READABLE_SCREENS
        over = False
        if self._last_at is not None and at > self._last_at:
            over = rows - self._last_rows > (at - self._last_at) * per_second
        recent = self._recent
        recent.append((at, rows))
        while len(recent) > 1 and at - recent[1][0] >= WINDOW:
            recent.popleft()
        since, rows_then = recent[0]
        sustained = at - since >= WINDOW and rows - rows_then > (at - since) * per_second
        if over and self._over_before and sustained:
            cost = self._work + self._paint
            self.interval = min(MAX_INTERVAL, max(NORMAL_INTERVAL, cost / DRAW_SHARE))
        else:
            self.interval = NORMAL_INTERVAL
        self._last_at, self._last_rows, self._over_before = at, rows, over
        self._work = 0.0

    def delay(self, now: float) -> float:
        """Seconds text that arrived at ``now`` waits before it is drawn: a frame, or while the
        text floods until an interval after the last draw."""
        if self._last_at is None or not self.flooding:
            return NORMAL_INTERVAL
        return min(self.interval, max(NORMAL_INTERVAL, self._last_at + self.interval - now))

    def overdue(self, now: float) -> bool:
        """Nothing has been shown for twice :data:`MAX_INTERVAL`: rendering ahead cannot keep
        up (a slow machine), so the view shows what it has rendered, as when not flooding."""
        return self._last_at is not None and now - self._last_at > 2 * MAX_INTERVAL

    def reset(self) -> None:
        """The stream ended (or the view shows other turns): the next one starts at every frame."""
        self._last_at, self._last_rows, self._over_before = None, 0, False
        self._recent.clear()
        self._work = 0.0
        self.interval = NORMAL_INTERVAL
