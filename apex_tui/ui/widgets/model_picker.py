"""A picker of the models a model server lists, beside a free-text model field.

The list is fetched in a worker (``services.upstream_models``), so a slow or absent server never
holds up the screen; picking a model writes its name into the target ``Input``, which stays
editable (a name the server does not list can still be typed).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select, Static

from apex_tui.services.upstream_models import ModelListError, list_models
from apex_tui.ui.safe_text import make_inert

__all__ = ["ModelPicker"]


class ModelPicker(Vertical):
    DEFAULT_CSS = """
    ModelPicker { height: auto; }
    ModelPicker > .model-picker-note { color: $text-muted; height: auto; }
    """

    def __init__(self, target: str, *, compact: bool = False, id: str | None = None) -> None:
        """``target``: the id of the Input the chosen name goes into; ``compact``: a one-row
        list, as in a form of one-row fields."""
        super().__init__(id=id)
        self.target = target
        self.compact = compact
        self.models: list[str] = []
        """The names listed (tests read this)."""

    def compose(self) -> ComposeResult:
        yield Select[str](
            [],
            prompt="Pick a listed model…",
            allow_blank=True,
            id="model-choices",
            compact=self.compact,
        )
        yield Static("", classes="model-picker-note", markup=False)

    def load(self, url: str | None, key: str | None) -> None:
        """List the models of the server at ``url`` (None: say there is none to ask)."""
        note = self.query_one(".model-picker-note", Static)
        if not url:
            self.models = []
            self.query_one(Select).set_options([])
            note.update("No model server set (openai engine, upstream URL): type a model name.")
            return
        note.update(f"Listing the models of {url}…")
        self.run_worker(self._load(url, key), group="list-models", exclusive=True)

    async def _load(self, url: str, key: str | None) -> None:
        note = self.query_one(".model-picker-note", Static)
        try:
            models = await list_models(url, key)
        except ModelListError as exc:
            self.models = []
            self.query_one(Select).set_options([])
            note.update(f"Models not listed: {make_inert(str(exc))}. You can type a name.")
            return
        self.models = models
        self.query_one(Select).set_options([(make_inert(m), m) for m in models])
        count = f"{len(models)} model{'s' if len(models) != 1 else ''}"
        note.update(f"{count} at {url}; pick one or type a name.")

    @on(Select.Changed, "#model-choices")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self.screen.query_one(f"#{self.target}", Input).value = event.value
