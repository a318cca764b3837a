"""A one-line footer of the keys that matter where focus is.

Textual's ``Footer`` recomposes one widget per key on every bindings change (every focus move):
measured here at ~70 ms a time while an answer streams, and a key pressed just after waited
for it. This footer draws the same hints as one line of text, and only repaints when the hints
it would show have changed. Clicking a hint runs its action, as with ``Footer``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen

Hint = tuple[str, str, str, bool]
"""(key as shown, description, action, enabled)."""


class KeyHints(Widget, can_focus=False):
    """The footer: ``key description`` pairs, the command palette key on the right."""

    DEFAULT_CSS = """
    KeyHints {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyHints > .key-hints--key { color: $footer-key-foreground; text-style: bold; }
    KeyHints > .key-hints--description { color: $footer-description-foreground; }
    KeyHints > .key-hints--disabled { color: $text-disabled; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-hints--key",
        "key-hints--description",
        "key-hints--disabled",
    }

    compact = reactive(False)
    """Less space between hints (narrow terminals)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[Hint] = []
        self._palette_hint: Hint | None = None
        self._action_nodes: dict[str, DOMNode] = {}
        self._hint_spans: list[tuple[int, int, str]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed, self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        """Recompute the hints; repaint only if what would be shown differs."""
        if not self.is_attached or screen is not self.screen:
            return
        hints: list[Hint] = []
        nodes: dict[str, DOMNode] = {}
        seen_actions: set[str] = set()
        palette: Hint | None = None
        palette_key = self.app.COMMAND_PALETTE_BINDING
        for key, (node, binding, enabled, _tooltip) in self.screen.active_bindings.items():
            if key == palette_key and self.app.ENABLE_COMMAND_PALETTE:
                palette = (self.app.get_key_display(binding), "palette", binding.action, enabled)
                nodes[binding.action] = node
                continue
            if not binding.show or binding.action in seen_actions:
                continue
            seen_actions.add(binding.action)
            display = self.app.get_key_display(binding)
            hints.append((display, binding.description, binding.action, enabled))
            nodes[binding.action] = node
        self._action_nodes = nodes
        if hints != self._shown or palette != self._palette_hint:
            self._shown, self._palette_hint = hints, palette
            self.refresh()

    @property
    def hints(self) -> list[Hint]:
        """What the footer shows now (tests read this)."""
        return list(self._shown)

    def watch_compact(self) -> None:
        self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-hints--key")
        text_style = self.get_component_rich_style("key-hints--description")
        off_style = self.get_component_rich_style("key-hints--disabled")
        gap = " " if self.compact else "  "
        line = Text(no_wrap=True, overflow="ellipsis", end="")
        spans: list[tuple[int, int, str]] = []
        for display, description, action, enabled in self._shown:
            start = len(line)
            line.append(f" {display}", off_style if not enabled else key_style)
            line.append(f" {description}", off_style if not enabled else text_style)
            spans.append((start, len(line), action))
            line.append(gap)
        if self._palette_hint is not None:
            display, description, action, enabled = self._palette_hint
            tail = Text.assemble(("▏", off_style), (display, key_style), f" {description} ")
            room = self.size.width - tail.cell_len
            if line.cell_len > room:
                line.truncate(max(0, room), overflow="ellipsis")
            line.pad_right(max(0, room - line.cell_len))
            spans.append((len(line), len(line) + tail.cell_len, action))
            line.append_text(tail)
        self._hint_spans = spans
        return line

    async def _on_click(self, event: events.Click) -> None:
        """Run the action of the hint under the pointer."""
        for start, end, action in self._hint_spans:
            if start <= event.x < end:
                event.stop()
                node = self._action_nodes.get(action, self.screen)
                await self.app.run_action(action, node)
                return
