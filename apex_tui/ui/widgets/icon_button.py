"""A one-glyph button (the prompt bar's ⚙) without Textual's ``Button``.

``Button`` brings ~7 KB of default CSS (every variant, hover and active state): parsing and
matching it is ~15-20 ms of start-up for one glyph. This widget clicks, focuses and activates
with Enter or Space like a button, and posts :class:`IconButton.Pressed`."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static


class IconButton(Static, can_focus=True):
    DEFAULT_CSS = """
    IconButton {
        width: 5; height: 3; content-align: center middle;
        color: $text-muted; background: $panel;
    }
    IconButton:hover { color: $text; background: $boost; }
    IconButton:focus { color: $text; background: $block-cursor-blurred-background; }
    """

    BINDINGS = [
        Binding("enter", "press", "Press", show=False),
        Binding("space", "press", "Press", show=False),
    ]

    class Pressed(Message):
        def __init__(self, button: IconButton) -> None:
            super().__init__()
            self.button = button

        @property
        def control(self) -> IconButton:
            return self.button

    def action_press(self) -> None:
        self.post_message(self.Pressed(self))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_press()
