"""Copying what the mouse selected, on any widget of a screen: as shown, or as Markdown source.

Textual keeps the selection (``Screen.selections``: widget → ``Selection``) and gives the text
shown (``Screen.get_selected_text``). Markdown source comes from the widget when it can say:
the conversation and the research log map their lines back to the Markdown they render
(``selected_markdown``); a block of Textual's ``Markdown`` widget knows its ``source``; any
other widget gives its text. A double click selects the word under the pointer and a triple
click the paragraph (instead of Textual's select-the-whole-widget) on every widget whose
``get_selection`` text is laid out in the lines its offsets count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from textual import events
from textual.selection import SELECT_ALL, Selection

from apex_tui.ui.render.selection import paragraph_selection, word_selection

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.widget import Widget
    from textual.widgets.markdown import MarkdownBlock

__all__ = ["drop_selection", "select_at_click", "selected_markdown", "selected_text"]


@runtime_checkable
class KnowsMarkdown(Protocol):
    def selected_markdown(self, selection: Selection) -> str: ...


def selected_text(screen: Screen[Any]) -> str | None:
    """The selected text as shown (None when nothing is selected)."""
    text = screen.get_selected_text()
    return text if text else None


def _markdown_block(widget: Widget) -> MarkdownBlock | None:
    """The top-level block of a ``Markdown`` widget that ``widget`` is (or is inside)."""
    from textual.widgets.markdown import Markdown, MarkdownBlock  # not needed at start-up

    node: Widget | None = widget
    while node is not None and isinstance(node, MarkdownBlock):
        parent = node.parent
        if isinstance(parent, Markdown):
            return node
        node = parent if isinstance(parent, MarkdownBlock) else None
    return None


def selected_markdown(screen: Screen[Any]) -> str | None:
    """The Markdown source of everything selected, in selection order (None: nothing)."""
    parts: list[str] = []
    blocks_seen: set[int] = set()
    for widget, selection in screen.selections.items():
        if not widget.is_attached:
            continue
        if isinstance(widget, KnowsMarkdown):
            part = widget.selected_markdown(selection)
        elif (block := _markdown_block(widget)) is not None:
            if id(block) in blocks_seen:
                continue
            blocks_seen.add(id(block))
            part = (block.source or "").strip("\n")
        else:
            got = widget.get_selection(selection)
            part = got[0] if got else ""
        if part.strip():
            parts.append(part)
    return "\n\n".join(parts) if parts else None


def select_at_click(event: events.Click) -> bool:
    """A double click's word or a triple click's paragraph under the pointer; True if made."""
    widget = event.widget
    if event.chain not in (2, 3) or widget is None or not widget.allow_select:
        return False
    screen = widget.screen
    found, offset = screen.get_widget_and_offset_at(event.screen_x, event.screen_y)
    if found is not widget or offset is None:
        return False
    got = widget.get_selection(SELECT_ALL)
    if got is None:
        return False
    lines = got[0].split("\n")
    chosen = (word_selection if event.chain == 2 else paragraph_selection)(lines, offset)
    if chosen is None:
        return False
    screen.selections = {widget: chosen}
    return True


def drop_selection(widget: Widget) -> None:
    """Forget ``widget``'s part of its screen's selection (its lines are about to move)."""
    if widget.is_attached and widget.text_selection is not None:
        selections = widget.screen.selections
        widget.screen.selections = {w: s for w, s in selections.items() if w is not widget}
