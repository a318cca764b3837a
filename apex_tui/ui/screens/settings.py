"""The settings screen: server, defaults and theme, validated and saved to config.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Select, Static

from apex_tui.services.completion_types import COMPLETION_TYPES
from apex_tui.services.config import Config, ConfigError, describe_errors, save_config
from apex_tui.ui.widgets.model_picker import ModelPicker

ENGINES = ("offline", "openai")
CHAT_TYPES = ("apex", "gravity")

# (input id, dotted config key, label, password?)
TEXT_FIELDS: list[tuple[str, str, str, bool]] = [
    (
        "base_url",
        "base_url",
        "Base URL (empty: Apex if a key is set, else the local server)",
        False,
    ),
    ("api_key", "api_key", "API key", True),
    ("upstream_url", "server.upstream_url", "Local server upstream URL (openai engine)", False),
    ("upstream_key", "server.upstream_key", "Local server upstream key", True),
    ("upstream_model", "server.upstream_model", "Local server upstream model", False),
    ("searxng_url", "server.searxng_url", "Live web search: SearXNG URL (empty: offline)", False),
    ("tokens_per_second", "server.tokens_per_second", "Offline engine tokens per second", False),
    ("model", "defaults.model", "Default model (empty: server default)", False),
    ("temperature", "defaults.temperature", "Temperature (0–2)", False),
    ("top_p", "defaults.top_p", "top_p (0–1]", False),
    ("max_new_tokens", "defaults.max_new_tokens", "Max new tokens", False),
    ("seed", "defaults.seed", "Seed (empty: random)", False),
    ("system_prompt", "defaults.system_prompt", "System prompt", False),
]
NULLABLE = {
    "base_url",
    "api_key",
    "server.upstream_url",
    "server.upstream_key",
    "server.upstream_model",
    "server.searxng_url",
    "defaults.model",
    "defaults.seed",
}


def _get(config: Config, dotted: str) -> Any:
    target: Any = config
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


class SettingsScreen(ModalScreen[Config | None]):
    """Edits a copy of the config; Save validates, writes the file and dismisses with it."""

    DEFAULT_CSS = """
    SettingsScreen { align: center middle; }
    SettingsScreen > Vertical {
        width: 90; max-width: 98%; height: 95%; border: thick $primary; background: $surface;
    }
    SettingsScreen VerticalScroll { height: 1fr; padding: 0 1; }
    SettingsScreen .section { text-style: bold; color: $accent; margin-top: 1; }
    SettingsScreen .field-label { color: $text-muted; }
    SettingsScreen #settings-errors { color: $error; height: auto; padding: 0 1; }
    SettingsScreen #settings-buttons { height: auto; align-horizontal: right; padding: 0 1; }
    SettingsScreen Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("escape", "cancel", "Cancel", id="settings.cancel"),
    ]

    def __init__(self, config: Config, themes: list[str], *, path: Path | None = None) -> None:
        super().__init__()
        self.config = config
        self.themes = themes
        self.path = path
        self._relist: Timer | None = None

    def compose(self) -> ComposeResult:
        c = self.config
        with Vertical():
            with VerticalScroll():
                yield Static("Server", classes="section")
                for field_id, dotted, label, password in TEXT_FIELDS[:7]:
                    yield from self._text_field(field_id, dotted, label, password)
                yield Label("Local server engine", classes="field-label")
                yield Select(
                    [(e, e) for e in ENGINES], value=c.server.engine, allow_blank=False, id="engine"
                )
                yield Static("Defaults", classes="section")
                yield Label("Completion type", classes="field-label")
                yield Select(
                    [(t, t) for t in COMPLETION_TYPES],
                    allow_blank=False,
                    value=c.defaults.completion_type
                    if c.defaults.completion_type in COMPLETION_TYPES
                    else "basic",
                    id="completion_type",
                )
                yield Label("Chat type", classes="field-label")
                yield Select(
                    [(t, t) for t in CHAT_TYPES],
                    allow_blank=False,
                    value=c.defaults.chat_type if c.defaults.chat_type in CHAT_TYPES else "apex",
                    id="chat_type",
                )
                for field_id, dotted, label, password in TEXT_FIELDS[7:]:
                    yield from self._text_field(field_id, dotted, label, password)
                yield Static("Look", classes="section")
                yield Label("Theme", classes="field-label")
                names = sorted(set(self.themes) | {c.theme})
                yield Select([(n, n) for n in names], value=c.theme, allow_blank=False, id="theme")
            yield Static("", id="settings-errors")
            with Horizontal(id="settings-buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Save (Ctrl+S)", id="save", variant="primary")

    def _text_field(self, field_id: str, dotted: str, label: str, password: bool) -> ComposeResult:
        value = _get(self.config, dotted)
        yield Label(label, classes="field-label")
        yield Input("" if value is None else str(value), id=field_id, password=password)
        if field_id == "upstream_model":
            yield ModelPicker("upstream_model")

    def on_mount(self) -> None:
        self._list_models()

    def _list_models(self) -> None:
        url = self.query_one("#upstream_url", Input).value.strip() or None
        key = self.query_one("#upstream_key", Input).value.strip() or None
        self.query_one(ModelPicker).load(url, key)

    @on(Input.Changed, "#upstream_url, #upstream_key")
    def _upstream_changed(self) -> None:
        """List the models of the URL being typed, once typing pauses."""
        if self._relist is not None:
            self._relist.stop()
        self._relist = self.set_timer(0.8, self._list_models)

    def collect(self) -> tuple[Config | None, list[str]]:
        """The edited config, or the readable reasons it is not valid."""
        data = self.config.model_dump()
        for field_id, dotted, _label, _ in TEXT_FIELDS:
            raw = self.query_one(f"#{field_id}", Input).value.strip()
            value: Any = None if (raw == "" and dotted in NULLABLE) else raw
            section, _, name = dotted.rpartition(".")
            (data[section] if section else data)[name] = value
        for select_id, dotted in (
            ("engine", "server.engine"),
            ("theme", "theme"),
            ("completion_type", "defaults.completion_type"),
            ("chat_type", "defaults.chat_type"),
        ):
            section, _, name = dotted.rpartition(".")
            (data[section] if section else data)[name] = self.query_one(
                f"#{select_id}", Select
            ).value
        try:
            return Config.model_validate(data), []
        except ValidationError as exc:  # the config's own rules, as `config set` applies them
            labels = {dotted: label.split(" (")[0] for _, dotted, label, _ in TEXT_FIELDS}
            return None, [f"{p}." for p in describe_errors(Config, exc, labels)]

    def action_save(self) -> None:
        config, problems = self.collect()
        errors = self.query_one("#settings-errors", Static)
        if config is None:
            errors.update("Not saved — fix these:\n" + "\n".join(problems))
            return
        try:
            save_config(config, self.path)
        except (OSError, ConfigError) as exc:
            errors.update(
                f"Could not write the config file: {exc}. Check the folder's permissions."
            )
            return
        self.dismiss(config)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
