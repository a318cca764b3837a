"""The settings screen (F4): the config file's settings in four groups (server, model and
sampling, search, look), the connection in use, and where each value comes from.

Every field is the config file's (Save writes ``config.toml``); the base URL and the key may be
overridden by a flag or the environment, and the screen says so beside them. Values are checked
by the config's own rules (``services.config``: the same words as ``config set``); a refused
value opens its group and takes the focus.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, Select, Static

from apex_tui.services.completion_types import COMPLETION_TYPES
from apex_tui.services.config import Config, ConfigError, describe_errors, save_config
from apex_tui.services.connection import EndpointOrigins
from apex_tui.ui.widgets.model_picker import ModelPicker

ENGINES = ("offline", "openai")
CHAT_TYPES = ("apex", "gravity")


@dataclass(frozen=True)
class Field:
    """One setting on the screen: its widget id, dotted config key, label and kind."""

    id: str
    key: str
    label: str
    kind: str = "text"
    """"text", "password" or "select"."""


GROUPS: list[tuple[str, str, list[Field]]] = [
    (
        "server",
        "Server",
        [
            Field("base_url", "base_url", "Base URL (empty: your local server)"),
            Field("api_key", "api_key", "API key", "password"),
            Field("engine", "server.engine", "Local server engine", "select"),
            Field("upstream_url", "server.upstream_url", "Upstream URL (openai engine)"),
            Field("upstream_key", "server.upstream_key", "Upstream key", "password"),
            Field("upstream_model", "server.upstream_model", "Upstream model"),
            Field("searxng_url", "server.searxng_url", "SearXNG URL for live search (empty: off)"),
            Field("tokens_per_second", "server.tokens_per_second", "Offline tokens per second"),
        ],
    ),
    (
        "model",
        "Model and sampling",
        [
            Field("completion_type", "defaults.completion_type", "Completion type", "select"),
            Field("chat_type", "defaults.chat_type", "Chat type", "select"),
            Field("model", "defaults.model", "Model (empty: the server's default)"),
            Field("temperature", "defaults.temperature", "Temperature (0–2)"),
            Field("top_p", "defaults.top_p", "top_p (0–1]"),
            Field("max_new_tokens", "defaults.max_new_tokens", "Max new tokens"),
            Field("seed", "defaults.seed", "Seed (empty: random)"),
            Field("system_prompt", "defaults.system_prompt", "System prompt"),
        ],
    ),
    (
        "search",
        "Search",
        [
            Field("n_miners", "search.n_miners", "Miners asked per search"),
            Field("n_results", "search.n_results", "Results per miner"),
            Field("max_response_time", "search.max_response_time", "Longest wait (seconds)"),
        ],
    ),
    ("look", "Look", [Field("theme", "theme", "Theme", "select")]),
]
FIELDS = [field for _, _, fields in GROUPS for field in fields]
TAB_OF = {field.key: tab for tab, _, fields in GROUPS for field in fields}
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


def _get(target: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def _default(dotted: str) -> Any:
    section, _, name = dotted.rpartition(".")
    model: type[BaseModel] = type(_get(Config(), section)) if section else Config
    return model.model_fields[name].get_default(call_default_factory=True)


@dataclass(frozen=True)
class InUse:
    """The connection the app runs on, as the screen describes it."""

    description: str
    url: str
    origins: EndpointOrigins = dataclasses.field(default_factory=EndpointOrigins)
    local: bool = False

    def summary(self) -> str:
        if self.local:
            unused = (
                f"; the key from {self.origins.api_key} is not used" if self.origins.api_key else ""
            )
            return (
                f"In use: {self.description} (apex-tui's own: no base URL is set by a flag, "
                f"the environment or this file{unused})."
            )
        origins = self.origins
        if not origins.base_url and not origins.api_key:
            return f"In use: {self.url}."
        url = f"base URL from {origins.base_url}" if origins.base_url else "the default base URL"
        key = f"key from {origins.api_key}" if origins.api_key else "no key"
        return f"In use: {self.url} ({url}, {key})."


class SettingsScreen(ModalScreen[Config | None]):
    """Edits a copy of the config; Save validates, writes the file and dismisses with it."""

    DEFAULT_CSS = """
    SettingsScreen { align: center middle; }
    SettingsScreen > Vertical {
        width: 92; max-width: 100%; height: 95%; border: thick $primary; background: $surface;
    }
    SettingsScreen #settings-in-use { color: $text; padding: 0 1; height: auto; }
    SettingsScreen #settings-hint { color: $text-muted; padding: 0 1; height: auto; }
    SettingsScreen TabbedContent { height: 1fr; }
    SettingsScreen TabPane { padding: 0; height: 1fr; }
    SettingsScreen VerticalScroll { height: 1fr; padding: 1 1 0 1; }
    SettingsScreen Grid {
        grid-size: 2; grid-columns: 2fr 3fr; grid-rows: auto; grid-gutter: 1 2; height: auto;
    }
    SettingsScreen .field-label { color: $text-muted; width: 1fr; }
    SettingsScreen ModelPicker > Select { width: 1fr; }
    SettingsScreen #settings-errors { color: $error; height: auto; max-height: 6; padding: 0 1; }
    SettingsScreen #settings-buttons { height: auto; align-horizontal: right; padding: 0 1; }
    SettingsScreen Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="settings.save"),
        Binding("escape", "cancel", "Cancel", id="settings.cancel"),
    ]

    def __init__(
        self,
        config: Config,
        themes: list[str],
        *,
        path: Path | None = None,
        in_use: InUse | None = None,
    ) -> None:
        super().__init__(classes="form")
        self.config = config
        self.themes = themes
        self.path = path
        self.in_use = in_use
        self._relist: Timer | None = None

    def compose(self) -> ComposeResult:
        from textual.widgets import TabbedContent, TabPane  # only when the screen opens

        with Vertical():
            if self.in_use is not None:
                yield Static(self.in_use.summary(), id="settings-in-use", markup=False)
            yield Static(
                "←/→ groups · Tab next field · Ctrl+S saves · Esc cancels",
                id="settings-hint",
                markup=False,
            )
            with TabbedContent(id="settings-tabs"):
                for tab, title, fields in GROUPS:
                    pane, scroll = TabPane(title, id=f"tab-{tab}"), VerticalScroll(can_focus=False)
                    with pane, scroll, Grid():
                        for field in fields:
                            yield from self._field(field)
            yield Static("", id="settings-errors", markup=False)
            with Horizontal(id="settings-buttons"):
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Save (Ctrl+S)", id="save", variant="primary")

    def _field(self, field: Field) -> ComposeResult:
        value = _get(self.config, field.key)
        label = Text(field.label)
        label.append(f"  · {self.origin(field.key)}", style="italic")
        yield Label(label, classes="field-label")
        if field.kind == "select":
            options = self._options(field.key)
            chosen = value if value in options else options[0]
            yield Select(
                [(o, o) for o in options],
                value=chosen,
                allow_blank=False,
                id=field.id,
                compact=True,
            )
        else:
            text = "" if value is None else str(value)
            yield Input(text, id=field.id, password=field.kind == "password", compact=True)
        if field.id == "upstream_model":
            yield Label("", classes="field-label")
            yield ModelPicker("upstream_model", compact=True)

    def _options(self, dotted: str) -> list[str]:
        if dotted == "server.engine":
            return list(ENGINES)
        if dotted == "defaults.completion_type":
            return list(COMPLETION_TYPES)
        if dotted == "defaults.chat_type":
            return list(CHAT_TYPES)
        return sorted(set(self.themes) | {self.config.theme})

    def origin(self, dotted: str) -> str:
        """Where the value in use comes from: a flag or the environment (base URL and key
        only, which override this file), the config file, or the default."""
        origins = self.in_use.origins if self.in_use is not None else EndpointOrigins()
        overriding = {"base_url": origins.base_url, "api_key": origins.api_key}.get(dotted, "")
        if overriding and overriding != "the config file":
            return f"in use from {overriding} (this field applies without it)"
        value = _get(self.config, dotted)
        if value != _default(dotted) and value is not None:
            return "config file"
        return "not set" if dotted in NULLABLE else "default"

    def on_mount(self) -> None:
        dialog = self.query_one(Vertical)
        dialog.border_title = "Settings"
        dialog.border_subtitle = f"saved to {self.path or 'config.toml'}"
        self._list_models()
        self.query_one("#settings-tabs").query_one("Tabs").focus()

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

    def _validate(self) -> tuple[Config | None, list[str], list[str]]:
        """(the edited config, or None; the readable problems; the dotted keys refused)."""
        data = self.config.model_dump()
        for field in FIELDS:
            if field.kind == "select":
                value: Any = self.query_one(f"#{field.id}", Select).value
            else:
                raw = self.query_one(f"#{field.id}", Input).value.strip()
                value = None if (raw == "" and field.key in NULLABLE) else raw
            section, _, name = field.key.rpartition(".")
            (data[section] if section else data)[name] = value
        try:
            return Config.model_validate(data), [], []
        except ValidationError as exc:  # the config's own rules, as `config set` applies them
            labels = {f.key: f.label.split(" (")[0] for f in FIELDS}
            refused = [".".join(str(p) for p in e["loc"]) for e in exc.errors()]
            return None, [f"{p}." for p in describe_errors(Config, exc, labels)], refused

    def collect(self) -> tuple[Config | None, list[str]]:
        """The edited config, or the readable reasons it is not valid."""
        config, problems, _ = self._validate()
        return config, problems

    def action_save(self) -> None:
        config, problems, refused = self._validate()
        errors = self.query_one("#settings-errors", Static)
        if config is None:
            errors.update("Not saved — fix these:\n" + "\n".join(problems))
            self._show_field(refused[0] if refused else "")
            return
        try:
            save_config(config, self.path)
        except (OSError, ConfigError) as exc:
            errors.update(
                f"Could not write the config file: {exc}. Check the folder's permissions."
            )
            return
        self.dismiss(config)

    def _show_field(self, dotted: str) -> None:
        """Open the group of a refused setting and put the cursor in it."""
        from textual.widgets import TabbedContent

        field = next((f for f in FIELDS if f.key == dotted), None)
        if field is None:
            return
        self.query_one(TabbedContent).active = f"tab-{TAB_OF[dotted]}"
        self.query_one(f"#{field.id}").focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
