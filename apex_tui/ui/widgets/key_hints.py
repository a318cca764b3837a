"""A one-line footer of the keys that matter where focus is.

Textual's ``Footer`` recomposes one widget per key on every bindings change (every focus move):
measured here at ~70 ms a time while an answer streams, and a key pressed just after waited
for it. This footer draws the same hints as one line of text, and only repaints when the hints
it would show have changed. Clicking a hint runs its action, as with ``Footer``.

What fits is shown, most important first, and a hint is shown whole or not at all: Stop and
Send, then the keys of the focused area, then the screen's (new chat, the panes…); F1 Help and
the palette key keep their place at the right end, as the way to every other key.
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

RANKS = {
    "chat.stop": 0,
    "chat.cancel_edit": 0,
    "prompt.send": 1,
    "app.use_found_model": 2,
    "chat.previous_branch": 12,  # a chat with branches: just after the turn keys and copy
    "chat.next_branch": 12,
    "chat.new": 50,
    "pane.search": 51,
    "pane.research": 52,
    "chat.focus_prompt": 53,
    "pane.maximise": 54,
    "prompt.newline": 55,
    "app.quit": 60,
}
"""Binding id → importance (lower first); the focused area's other keys rank 10 on, in order."""
PINNED = "app.help"
"""Shown at the right end, beside the palette key, whatever else fits."""


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
        """Every hint that applies, most important first (what fits is drawn)."""
        self._pinned: Hint | None = None
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
        ranked: list[tuple[int, Hint]] = []
        nodes: dict[str, DOMNode] = {}
        seen_actions: set[str] = set()
        palette: Hint | None = None
        pinned: Hint | None = None
        palette_key = self.app.COMMAND_PALETTE_BINDING
        for key, (node, binding, enabled, _tooltip) in self.screen.active_bindings.items():
            if key == palette_key and self.app.ENABLE_COMMAND_PALETTE:
                palette = (self.app.get_key_display(binding), "palette", binding.action, enabled)
                nodes[binding.action] = node
                continue
            if not binding.show or binding.action in seen_actions:
                continue
            seen_actions.add(binding.action)
            hint = (self.app.get_key_display(binding), binding.description, binding.action, enabled)
            nodes[binding.action] = node
            if binding.id == PINNED:
                pinned = hint
                continue
            ranked.append((RANKS.get(binding.id or "", 10 + len(ranked)), hint))
        hints = [hint for _, hint in sorted(ranked, key=lambda pair: pair[0])]
        self._action_nodes = nodes
        if hints != self._shown or (palette, pinned) != (self._palette_hint, self._pinned):
            self._shown, self._palette_hint, self._pinned = hints, palette, pinned
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

        def piece(hint: Hint) -> Text:
            display, description, _action, enabled = hint
            return Text.assemble(
                (f" {display}", key_style if enabled else off_style),
                (f" {description}", text_style if enabled else off_style),
            )

        tail = Text()
        tail_spans: list[tuple[int, int, str]] = []
        if self._pinned is not None:
            tail.append_text(piece(self._pinned))
            tail_spans.append((0, tail.cell_len, self._pinned[2]))
            tail.append(" ")
        if self._palette_hint is not None:
            display, _description, action, _enabled = self._palette_hint
            start = tail.cell_len
            tail.append_text(Text.assemble(("▏", off_style), (display, key_style), " palette "))
            tail_spans.append((start, tail.cell_len, action))
        room = (self.size.width or 10_000) - tail.cell_len
        line = Text(no_wrap=True, end="")
        spans: list[tuple[int, int, str]] = []
        for hint in self._shown:  # most important first; a hint fits whole or is left out
            text = piece(hint)
            if line.cell_len + text.cell_len > room:
                continue
            spans.append((line.cell_len, line.cell_len + text.cell_len, hint[2]))
            line.append_text(text)
            if line.cell_len + len(gap) <= room:
                line.append(gap)
        line.pad_right(max(0, room - line.cell_len))
        offset = line.cell_len
        spans += [(offset + a, offset + b, action) for a, b, action in tail_spans]
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
