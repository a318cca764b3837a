"""The export dialog: which format, and where the file goes (shown, and editable) before anything
is written. Used for the open chat and for a research report; the writing is ``ui/export``'s."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from apex_tui.shorten import shorten
from apex_tui.ui.safe_text import make_inert

FORMAT_LABELS = {"md": "Markdown (.md)", "json": "JSON (.json)"}


@dataclass(frozen=True)
class ExportChoice:
    """What the user chose: the format, the file name and (in a terminal) the full path."""

    fmt: str
    filename: str
    path: Path | None


class ExportScreen(ModalScreen[ExportChoice | None]):
    """Dismisses with the user's :class:`ExportChoice`, or None when cancelled."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 76; max-width: 98%; height: auto; max-height: 95%; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    ExportScreen #export-title { text-style: bold; width: 1fr; margin-bottom: 1; }
    ExportScreen .field-label { color: $text-muted; margin-top: 1; }
    ExportScreen RadioSet { width: 1fr; layout: horizontal; }
    ExportScreen #export-note { color: $warning; height: auto; width: 1fr; }
    ExportScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ExportScreen Button { margin-left: 2; }
    """

    BINDINGS = [
        Binding("ctrl+s", "export", "Export", id="export.save"),
        Binding("escape", "cancel", "Cancel", id="export.cancel"),
    ]

    def __init__(
        self,
        what: str,
        stem: str,
        *,
        folder: Path,
        formats: tuple[str, ...] = ("md", "json"),
        browser: bool = False,
    ) -> None:
        """``what``: the dialog's title ("Export chat “…”"); ``stem``: the file name without its
        extension; ``browser``: the file becomes a download (textual-serve), so only a name."""
        super().__init__(classes="form")
        self.what = what
        self.stem = stem
        self.folder = folder
        self.formats = formats
        self.browser = browser

    def compose(self) -> ComposeResult:
        first = self.formats[0]
        with Vertical():
            yield Static(shorten(make_inert(self.what), 70), id="export-title", markup=False)
            yield Label("Format", classes="field-label")
            with RadioSet(id="export-format"):
                for fmt in self.formats:
                    yield RadioButton(FORMAT_LABELS.get(fmt, fmt), value=fmt == first, name=fmt)
            label = "File name (your browser saves it)" if self.browser else "Save to"
            yield Label(label, classes="field-label")
            yield Input(self._default_target(first), id="export-path", select_on_focus=False)
            yield Static("", id="export-note", markup=False)
            with Horizontal():
                yield Button("Cancel (Esc)", id="cancel")
                yield Button("Export (Ctrl+S)", id="export", variant="primary")

    def on_mount(self) -> None:
        box = self.query_one("#export-path", Input)
        box.focus()
        box.cursor_position = len(box.value)
        self._check_target()

    def _default_target(self, fmt: str) -> str:
        name = f"{self.stem}.{fmt}"
        return name if self.browser else str(self.folder / name)

    @property
    def fmt(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else self.formats[0]

    @on(RadioSet.Changed)
    def _format_changed(self) -> None:
        """The path's extension follows the format (the rest of what was typed stays)."""
        box = self.query_one("#export-path", Input)
        text = box.value.strip()
        for fmt in self.formats:
            if text.endswith(f".{fmt}"):
                box.value = text[: -len(fmt)] + self.fmt
                return
        if not text:
            box.value = self._default_target(self.fmt)

    @on(Input.Changed, "#export-path")
    def _check_target(self) -> None:
        self.query_one("#export-note", Static).update(self._problem() or self._warning())

    def _target(self) -> Path:
        return Path(self.query_one("#export-path", Input).value.strip()).expanduser()

    def _problem(self) -> str:
        """Why the path cannot be used, or ''."""
        text = self.query_one("#export-path", Input).value.strip()
        if not text:
            return "Give a file name."
        if self.browser:
            return "A file name only, without folders." if "/" in text or "\\" in text else ""
        target = self._target()
        if target.is_dir():
            return f"{target} is a folder: add a file name."
        if not target.parent.is_dir():
            return f"The folder {target.parent} does not exist."
        return ""

    def _warning(self) -> str:
        if not self.browser and self._target().exists():
            return "A file of that name exists: Export replaces it."
        return ""

    def action_export(self) -> None:
        problem = self._problem()
        if problem:
            self.query_one("#export-note", Static).update(problem)
            return
        if self.browser:
            name = self.query_one("#export-path", Input).value.strip()
            self.dismiss(ExportChoice(self.fmt, name, None))
            return
        target = self._target()
        self.dismiss(ExportChoice(self.fmt, target.name, target))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#export-path")
    def _submitted(self) -> None:
        self.action_export()

    @on(Button.Pressed, "#export")
    def _export_pressed(self) -> None:
        self.action_export()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
