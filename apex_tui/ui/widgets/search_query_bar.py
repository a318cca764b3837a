"""The search pane's query bar: the query and the three numbers a web search takes.

A box that does not hold a positive integer falls back to the configured default (and shows it),
so a search never goes out with a nonsense parameter. Its look is in the pane's CSS: one row of
borderless boxes, each number box wide enough for five digits and the cursor; beside the chat
(a narrow pane) the numbers go on a second row, so the query keeps a usable width (app.tcss).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label

__all__ = ["SearchQueryBar"]

_PARAMETERS = (
    ("search-miners", "miners", "How many miners to ask"),
    ("search-per-miner", "each", "Results per miner"),
    ("search-seconds", "secs", "Longest wait for the miners, in seconds"),
)
"""(id, label, tooltip) of each parameter box, in the order of a search's parameters."""


class SearchQueryBar(Horizontal):
    """Query box, then miners, results per miner and seconds to wait."""

    def __init__(
        self, n_miners: int, n_results: int, max_response_time: int, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._defaults = (n_miners, n_results, max_response_time)

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search the web… (Enter)", id="search-query", compact=True)
        with Horizontal(id="search-numbers"):
            for (box_id, label, tooltip), value in zip(_PARAMETERS, self._defaults, strict=True):
                yield Label(label, classes="search-label")
                yield Input(
                    str(value),
                    type="integer",
                    id=box_id,
                    classes="search-param",
                    tooltip=tooltip,
                    compact=True,
                    select_on_focus=False,
                )

    @property
    def query_box(self) -> Input:
        return self.query_one("#search-query", Input)

    def fill(
        self,
        query: str,
        *,
        n_miners: int | None = None,
        n_results: int | None = None,
        max_response_time: int | None = None,
    ) -> None:
        """Show a search's query, and those of its parameters that are given."""
        given = (n_miners, n_results, max_response_time)
        for (box_id, _, _), value in zip(_PARAMETERS, given, strict=True):
            if value is not None:
                self.query_one(f"#{box_id}", Input).value = str(value)
        self.query_box.value = query

    def parameters(self) -> tuple[int, int, int]:
        """Miners, results per miner and seconds, each a positive integer."""
        miners, results, seconds = (self._parameter(index) for index in range(3))
        return miners, results, seconds

    def _parameter(self, index: int) -> int:
        """A positive integer from a parameter box, or the configured default when it is not one."""
        box = self.query_one(f"#{_PARAMETERS[index][0]}", Input)
        try:
            value = int(box.value.strip())
        except ValueError:
            value = 0
        if value <= 0:
            value = self._defaults[index]
            box.value = str(value)
        return value
