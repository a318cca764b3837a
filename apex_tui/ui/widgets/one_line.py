"""A one-line label that never cuts a word: its text ends at a whole word with "…" when the
width is short, and a trailing hint (keys to press) shows only when it fits whole. With the
``-wrap`` class (an error that says what to do) it wraps instead, whole."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from apex_tui.shorten import cell_width, shorten

__all__ = ["OneLine"]


class OneLine(Static):
    """Set with :meth:`say`; shortened to the width it has each time it is drawn."""

    DEFAULT_CSS = """
    OneLine { height: 1; }
    OneLine.-wrap { height: auto; }
    """

    def __init__(self, text: str = "", *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes, markup=False)
        self._text = text
        self._hint = ""

    @property
    def text(self) -> str:
        """What the line says in full (tests and screen readers)."""
        return f"{self._text}{self._hint}"

    def say(self, text: str, hint: str = "") -> None:
        """Show ``text``; ``hint`` (e.g. " — Enter reads, a attaches") follows when it fits."""
        if (text, hint) != (self._text, self._hint):
            self._text, self._hint = text, hint
            self.refresh()

    def render(self) -> Text:
        if self.has_class("-wrap"):
            return Text(self.text)
        width = self.content_size.width or 10_000
        if self._hint and cell_width(self._text) + cell_width(self._hint) <= width:
            return Text(self._text + self._hint)
        return Text(shorten(self._text, width))
