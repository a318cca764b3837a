"""The search pane's query bar: the query and the three numbers a web search takes.

A box that does not hold a positive integer falls back to the configured default (and shows it),
so a search never goes out with a nonsense parameter. Its look is in the pane's CSS.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label

__all__ = ["SearchQueryBar"]

_PARAMETER_BOXES = ("#search-miners", "#search-per-miner", "#search-seconds")


class SearchQueryBar(Horizontal):
    """Query box, then miners, results per miner and seconds to wait."""

    def __init__(
        self, n_miners: int, n_results: int, max_response_time: int, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self._defaults = (n_miners, n_results, max_response_time)

    def compose(self) -> ComposeResult:
        miners, results, seconds = self._defaults
        yield Input(placeholder="Search the web… (Enter)", id="search-query")
        yield Label("miners", classes="search-label")
        yield Input(
            str(miners),
            type="integer",
            id="search-miners",
            classes="search-param",
            tooltip="How many miners to ask",
        )
        yield Label("each", classes="search-label")
        yield Input(
            str(results),
            type="integer",
            id="search-per-miner",
            classes="search-param",
            tooltip="Results per miner",
        )
        yield Label("secs", classes="search-label")
        yield Input(
            str(seconds),
            type="integer",
            id="search-seconds",
            classes="search-param",
            tooltip="Longest wait for the miners, in seconds",
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
        for selector, value in zip(
            _PARAMETER_BOXES, (n_miners, n_results, max_response_time), strict=True
        ):
            if value is not None:
                self.query_one(selector, Input).value = str(value)
        self.query_box.value = query

    def parameters(self) -> tuple[int, int, int]:
        """Miners, results per miner and seconds, each a positive integer."""
        miners, results, seconds = (self._parameter(index) for index in range(3))
        return miners, results, seconds

    def _parameter(self, index: int) -> int:
        """A positive integer from a parameter box, or the configured default when it is not one."""
        box = self.query_one(_PARAMETER_BOXES[index], Input)
        try:
            value = int(box.value.strip())
        except ValueError:
            value = 0
        if value <= 0:
            value = self._defaults[index]
            box.value = str(value)
        return value
