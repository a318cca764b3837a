"""Per-chat settings reached from the prompt bar: model, sampling, seed, system prompt."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from apex_tui.services.chat_sync import ChatSettings
from apex_tui.services.config import Defaults, describe_errors
from apex_tui.shorten import shorten
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.widgets.model_picker import ModelPicker

FIELDS = [
    ("model", "Model (empty: server default)"),
    ("temperature", "Temperature (0–2)"),
    ("top_p", "top_p (0–1]"),
    ("max_new_tokens", "Max new tokens"),
    ("seed", "Seed (empty: random)"),
    ("system_prompt", "System prompt"),
]
NULLABLE = {"model", "seed"}


class ChatSettingsScreen(ModalScreen[ChatSettings | None]):
    """Edits the settings of the open chat; dismisses with the new settings or None."""

    DEFAULT_CSS = """
    ChatSettingsScreen { align: center middle; }
    ChatSettingsScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    ChatSettingsScreen .section { text-style: bold; margin-bottom: 1; }
    ChatSettingsScreen Grid {
        grid-size: 2; grid-columns: 1fr 2fr; grid-rows: auto; grid-gutter: 1 2; height: auto;
    }
    ChatSettingsScreen .field-label { color: $text-muted; }
    ChatSettingsScreen #chat-settings-errors { color: $error; height: auto; }
    ChatSettingsScreen Horizontal { height: auto; align-horizontal: right; }
    ChatSettingsScreen Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Apply", id="chat_settings.save"),
        Binding("escape", "cancel", "Cancel", id="chat_settings.cancel"),
    ]

    def __init__(
        self,
        settings: ChatSettings,
        chat_title: str = "new chat",
        *,
        model_server: tuple[str | None, str | None] = (None, None),
    ) -> None:
        """``model_server``: (URL, key) of the server whose models the picker lists."""
        super().__init__(classes="form")
        self.settings = settings
        self.chat_title = chat_title
        self.model_server = model_server

    def compose(self) -> ComposeResult:
        with Vertical():
            title = shorten(f"Settings for {make_inert(self.chat_title)}", 70)
            yield Static(title, classes="section", markup=False)
            with Grid():
                for name, label in FIELDS:
                    value = getattr(self.settings, name)
                    yield Label(label, classes="field-label")
                    text = "" if value is None else str(value)
                    yield Input(text, id=f"cs-{name}", compact=True)
                    if name == "model":
                        yield Label("", classes="field-label")
                        yield ModelPicker("cs-model", compact=True)
            yield Static("", id="chat-settings-errors")
            with Horizontal():
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Apply (Ctrl+S)", id="apply", variant="primary")

    def on_mount(self) -> None:
        self.query_one(ModelPicker).load(*self.model_server)

    def collect(self) -> tuple[ChatSettings | None, list[str]]:
        """The edited settings, or readable reasons they are not valid."""
        data: dict[str, Any] = {}
        for name, _ in FIELDS:
            raw = self.query_one(f"#cs-{name}", Input).value.strip()
            data[name] = None if raw == "" and name in NULLABLE else raw
        try:  # the config's rules for these settings (services.config.Defaults)
            parsed = Defaults.model_validate(data)
        except ValidationError as exc:
            labels = {name: label.split(" (")[0] for name, label in FIELDS}
            return None, [f"{p}." for p in describe_errors(Defaults, exc, labels)]
        return replace(self.settings, **{name: getattr(parsed, name) for name, _ in FIELDS}), []

    def action_save(self) -> None:
        settings, problems = self.collect()
        if settings is None:
            self.query_one("#chat-settings-errors", Static).update("\n".join(problems))
            return
        self.dismiss(settings)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.action_cancel()
