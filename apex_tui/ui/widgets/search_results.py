"""The search pane's two lists: one search's results (with marks for attaching) and the history.

Rows come from :mod:`~apex_tui.ui.widgets.search_result_view`, which makes every string from the
web inert before it is drawn.
"""

from __future__ import annotations

from textual.widgets import OptionList
from textual.widgets.option_list import Option

from apex_tui.api.models import WebSearchResult
from apex_tui.ui.widgets.search_result_view import SearchRecord, history_row, result_row

__all__ = ["SearchHistoryList", "SearchResultList"]


class SearchResultList(OptionList):
    """The results of the search shown, ranked; marked rows are the ones to attach."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.record: SearchRecord | None = None
        """The search whose results are listed."""
        self.marked: set[int] = set()
        """Indexes (rank - 1) of the marked results."""

    def show(self, record: SearchRecord) -> None:
        """List one search's results, none marked, the first highlighted."""
        self.record = record
        self.marked.clear()
        self.set_options(
            Option(result_row(rank, result, marked=False), id=str(rank - 1))
            for rank, result in enumerate(record.results, start=1)
        )
        if record.results:
            self.highlighted = 0

    def highlighted_result(self) -> tuple[int, WebSearchResult] | None:
        """The highlighted result and its index, if there is one."""
        record, index = self.record, self.highlighted
        if record is None or index is None or not 0 <= index < len(record.results):
            return None
        return index, record.results[index]

    def toggle_mark(self) -> None:
        """Mark the highlighted result, or unmark it."""
        picked = self.highlighted_result()
        if picked is None:
            return
        index, result = picked
        self.marked.symmetric_difference_update({index})
        self.replace_option_prompt_at_index(
            index, result_row(index + 1, result, marked=index in self.marked)
        )

    def chosen(self) -> list[WebSearchResult]:
        """The marked results in rank order, or the highlighted one when none is marked."""
        if self.record is None:
            return []
        indexes = sorted(self.marked)
        if not indexes:
            picked = self.highlighted_result()
            indexes = [picked[0]] if picked else []
        return [self.record.results[i] for i in indexes]

    def clear_marks(self) -> None:
        if self.record is not None:
            for index in sorted(self.marked):
                self.replace_option_prompt_at_index(
                    index, result_row(index + 1, self.record.results[index], marked=False)
                )
        self.marked.clear()


class SearchHistoryList(OptionList):
    """The searches of this session, newest first; an option's id is its place in the history."""

    def show(self, history: list[SearchRecord]) -> None:
        self.set_options(
            Option(history_row(record), id=str(i))
            for i, record in reversed(list(enumerate(history)))
        )
        if history:
            self.highlighted = 0
