"""F1: every key of the app, as remapped by the user's keymap, grouped by where it works."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HelpSection = tuple[str, Iterable[BindingType]]


def keys_label(app_keys: str) -> str:
    """``"ctrl+n,f2"`` as people read it: ``"ctrl+n / f2"``."""
    from textual.keys import format_key

    return " / ".join(format_key(k.strip()) for k in app_keys.split(",") if k.strip())


def help_table(sections: Iterable[HelpSection], keymap: Mapping[str, str]) -> Group:
    """Each section's title, then a two-column table of key → what it does. The titles sit
    above their tables (not in the key column, which they would widen until the descriptions
    wrap), and every key column has the widest key's width, so the descriptions line up."""
    blocks: list[tuple[str, list[tuple[str, str]]]] = []
    for title, bindings in sections:
        shown = [b for b in bindings if isinstance(b, Binding) and b.description]
        if shown:
            blocks.append(
                (title, [(_keys_of(b, keymap), b.tooltip or b.description) for b in shown])
            )
    width = max((cell_len(keys) for _, rows in blocks for keys, _ in rows), default=1)
    parts: list[RenderableType] = []
    for title, rows in blocks:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True, min_width=width)
        table.add_column()
        for keys, action in rows:
            table.add_row(keys, action)
        parts += [Text(title, style="bold underline"), table, Text("")]
    return Group(*parts)


def _keys_of(binding: Binding, keymap: Mapping[str, str]) -> str:
    return keys_label(keymap.get(binding.id, binding.key) if binding.id else binding.key)


class HelpScreen(ModalScreen[None]):
    """Lists every binding; Esc, F1 or q closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; max-width: 95%; height: 90%; border: thick $primary; background: $surface;
        padding: 0 2;
    }
    HelpScreen #help-intro { color: $text-muted; margin-bottom: 1; }
    """

    BINDINGS = [Binding("escape,f1,q", "dismiss_help", "Close help", id="help.close")]

    def __init__(self, sections: list[HelpSection], keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.sections = sections
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(
                "Keys of apex-tui. Every action is also in the command palette (Ctrl+P). "
                "Remap any key in config.toml under [keymap] with its id, e.g. "
                '"chat.new" = "ctrl+k" (or: apex-tui config set keymap.chat.new ctrl+k).',
                id="help-intro",
                markup=False,
            )
            yield Static(help_table(self.sections, self.keymap), id="help-keys")
            ids = sorted(
                b.id
                for _, bindings in self.sections
                for b in bindings
                if isinstance(b, Binding) and b.id
            )
            yield Static(Text("Binding ids: " + ", ".join(ids), style="dim"), id="help-ids")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


def current_keys(sections: Iterable[HelpSection], keymap: Mapping[str, str]) -> dict[str, str]:
    """Binding id → its keys as shown now, after the user's ``[keymap]``."""
    return {
        binding.id: keys_label(keymap.get(binding.id, binding.key))
        for _title, bindings in sections
        for binding in bindings
        if isinstance(binding, Binding) and binding.id
    }
