"""Ask before deleting chats or turns: deletion on the server cannot be undone."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from apex_tui.ui.safe_text import make_inert


class ConfirmDeleteScreen(ModalScreen[bool]):
    """Dismisses with True only when the user confirms."""

    DEFAULT_CSS = """
    ConfirmDeleteScreen { align: center middle; }
    ConfirmDeleteScreen > Vertical {
        width: 60; height: auto; max-height: 80%; border: thick $error; background: $surface;
        padding: 1 2;
    }
    ConfirmDeleteScreen #confirm-titles { color: $text-muted; margin: 1 0; }
    ConfirmDeleteScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmDeleteScreen Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("y", "confirm", "Delete", id="confirm.yes"),
        Binding("n,escape", "cancel", "Keep", id="confirm.no"),
    ]

    def __init__(
        self, titles: list[str], *, noun: str = "chat", note: str = "", count: int | None = None
    ) -> None:
        """``titles``: what is shown of the things deleted; ``count``: how many are deleted
        when that is more than the titles listed (``note`` says why)."""
        super().__init__()
        self.titles = titles
        self.noun = noun
        self.note = note
        self.count = len(titles) if count is None else count

    def compose(self) -> ComposeResult:
        count = self.count
        shown = [f"• {make_inert(t) or '(untitled)'}" for t in self.titles[:8]]
        if len(self.titles) > 8:
            shown.append(f"… and {len(self.titles) - 8} more")
        with Vertical():
            noun = f"this {self.noun}" if count == 1 else f"these {count} {self.noun}s"
            yield Label(
                f"Delete {noun} on the server? This cannot be undone.", id="confirm-question"
            )
            if self.note:
                yield Label(self.note, id="confirm-note")
            yield Label("\n".join(shown), id="confirm-titles")
            with Horizontal():
                yield Button("Keep (n)", id="keep")
                yield Button("Delete (y)", id="delete", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "delete")
