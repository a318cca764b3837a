"""Vertical layout of the conversation: each turn's height and where it starts.

Heights of turns not yet rendered are estimates (`exact` is False); they are corrected when the
turn is rendered. Offsets are prefix sums, recomputed lazily from the first changed turn, so a
streaming answer growing at the bottom costs O(1) here and a correction near the top O(turns).
"""

from __future__ import annotations

from bisect import bisect_right


class TurnLayout:
    """Heights and offsets of a list of turns."""

    def __init__(self) -> None:
        self.heights: list[int] = []
        self.exact: list[bool] = []
        self._offsets: list[int] = [0]
        self._valid = 0  # offsets[0..valid] are correct

    def __len__(self) -> int:
        return len(self.heights)

    def reset(self, heights: list[int]) -> None:
        """Start over with estimated heights."""
        self.heights = list(heights)
        self.exact = [False] * len(heights)
        self._offsets = [0] * (len(heights) + 1)
        self._valid = 0

    def insert(self, index: int, height: int, *, exact: bool = False) -> None:
        self.heights.insert(index, height)
        self.exact.insert(index, exact)
        self._offsets.insert(index + 1, 0)
        self._valid = min(self._valid, index)

    def remove(self, index: int) -> None:
        del self.heights[index]
        del self.exact[index]
        del self._offsets[index + 1]
        self._valid = min(self._valid, index)

    def set_height(self, index: int, height: int, *, exact: bool = True) -> int:
        """Set a turn's height; return how much it changed."""
        delta = height - self.heights[index]
        self.heights[index] = height
        self.exact[index] = exact
        if delta:
            self._valid = min(self._valid, index)
        return delta

    def _ensure(self, index: int) -> None:
        if index <= self._valid:
            return
        offsets, heights = self._offsets, self.heights
        for position in range(self._valid, index):
            offsets[position + 1] = offsets[position] + heights[position]
        self._valid = index

    def offset(self, index: int) -> int:
        """First line of turn `index` (or the total height when `index == len`)."""
        self._ensure(index)
        return self._offsets[index]

    @property
    def total(self) -> int:
        return self.offset(len(self.heights))

    def locate(self, y: int) -> tuple[int, int]:
        """The turn holding line `y` and the line within it; (-1, 0) when outside."""
        count = len(self.heights)
        if y < 0 or count == 0 or y >= self.total:
            return -1, 0
        index = bisect_right(self._offsets, y, 0, count + 1) - 1
        return index, y - self._offsets[index]
