"""Copying the mouse selection of the main screen: ``y`` and Ctrl+C as shown, ``Y`` as Markdown
source (``ui.selection_copy`` reads it out of the widgets), through the app's clipboard path
(the system clipboard, else OSC 52); and the word / paragraph a double / triple click selects
outside the conversation (which makes its own)."""

from __future__ import annotations

from typing import Protocol, cast

from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.screen import Screen

from apex_tui.ui.selection_copy import select_at_click, selected_markdown, selected_text

SELECTION_BINDINGS = [
    Binding("y", "copy_selection", "Copy selection", id="selection.copy"),
    Binding("Y", "copy_selection_markdown", "Copy as Markdown", id="selection.copy_markdown"),
]
"""Ctrl+C copies a selection too (Textual's own binding; the screen sends it through here)."""
SELECTION_ACTIONS = ("copy_selection", "copy_selection_markdown")
"""The screen's actions that apply while something is selected (their keys show then)."""

NOTHING_SELECTED = (
    "Nothing is selected: drag over text with the mouse, double-click a word or "
    "triple-click a paragraph, then press y (or Y for its Markdown)."
)


class CopiesText(Protocol):
    def copy_text(self, text: str, what: str) -> None: ...


class SelectionCopier:
    """The screen's selection, copied out."""

    def __init__(self, screen: Screen[None]) -> None:
        self.screen = screen

    def allows(self) -> bool:
        return bool(self.screen.selections)

    def _copy(self, text: str, what: str) -> None:
        cast(CopiesText, self.screen.app).copy_text(text, what)

    def copy(self, *, markdown: bool = False) -> None:
        """``y`` (as shown) or ``Y`` (as Markdown source)."""
        text = selected_markdown(self.screen) if markdown else selected_text(self.screen)
        if text is None:
            self.screen.notify(NOTHING_SELECTED)
            return
        self._copy(text, "Selection as Markdown" if markdown else "Selection")

    def copy_or_skip(self) -> None:
        """Ctrl+C: the selection as shown; with nothing selected the key goes on to the app
        (which says how to quit)."""
        text = selected_text(self.screen)
        if text is None:
            raise SkipAction()
        self._copy(text, "Selection")

    def clicked(self, event: events.Click) -> None:
        if select_at_click(event):
            self.screen.refresh_bindings()
