"""The conversation view: a chat's prompt/answer turns, answers as Markdown, fast for long chats.

A Line-API `ScrollView`, not a widget per message: each turn is rendered to `Strip`s at the current
width and cached; only turns near the viewport are rendered (bottom-up when a chat opens), the
others have estimated heights that are corrected as they get rendered, keeping the view anchored.
A streaming answer re-renders only its growing tail block, at most once per frame.
"""

from __future__ import annotations

from collections import OrderedDict
from time import perf_counter
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.theme import Theme
from textual.timer import Timer

from apex_tui.ui import gc_policy, key_pressure
from apex_tui.ui.render.blocks import code_blocks as _code_blocks
from apex_tui.ui.render.layout import TurnLayout
from apex_tui.ui.render.markdown_lines import BlockRenderer
from apex_tui.ui.render.palette import Palette
from apex_tui.ui.render.turn import STATUSES, TurnLines, TurnView, estimate_height
from apex_tui.ui.safe_text import make_inert

__all__ = ["ConversationView", "TurnView"]

_GUTTER = 2
_RIGHT_MARGIN = 1


class ConversationView(ScrollView, can_focus=True):
    """A chat's turns; the app shell drives it with method calls, it answers with messages."""

    DEFAULT_CSS = """
    ConversationView {
        overflow-y: scroll;
        overflow-x: hidden;
        background: $surface;
        scrollbar-size-vertical: 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("[", "previous_turn", "Prev turn", id="conversation.previous_turn"),
        Binding("]", "next_turn", "Next turn", id="conversation.next_turn"),
    ]
    FLUSH_INTERVAL = 1 / 30
    """Streaming text is drawn at most this often (seconds); the last flush always happens."""
    STREAM_SLICE = 0.003
    """Longest a streaming re-render renders finished blocks (seconds) before yielding a frame."""
    CATCH_UP_INTERVAL = 1 / 120
    """Pause before the next slice when a re-render ran out of time (keys and frames go first)."""
    PRERENDER_SCREENS = 3
    """How many screens above (and one below) the viewport are rendered ahead while idle."""
    CACHED_TURNS = 300
    """Finished turns whose lines are kept; heights are kept for all turns."""
    GC_QUIET = 1.0
    """Full GC passes wait until the reader has not scrolled for this long (seconds)..."""
    GC_LONGEST = 10.0
    """...or at most this long: they render turns, and a full pass is a 40-110 ms stall."""

    class NewTextBelow(Message):
        """Answer text arrived below the viewport while the user has scrolled up to read."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class TurnSelected(Message):
        """The turn cursor moved to the turn with this key."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    class FollowingChanged(Message):
        """The view started or stopped following the bottom (e.g. to hide a 'new text' hint)."""

        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._turns: list[TurnView] = []
        self._positions: dict[str, int] = {}
        self._layout = TurnLayout()
        self._lines: OrderedDict[str, list[Strip]] = OrderedDict()
        self._live: dict[str, TurnLines] = {}
        self._pending: set[str] = set()
        self._flush_timer: Timer | None = None
        self._prerender_timer: Timer | None = None
        self._gc_timer: Timer | None = None
        self._gc_held_since = 0.0
        self._renderer: BlockRenderer | None = None
        self._base_style: Style | None = None
        self._composed: OrderedDict[tuple[int, bool], tuple[Strip, Strip]] = OrderedDict()
        self._width = 0
        self._adjusting = False
        self._sync_scheduled = False
        self._told_new_text = False
        self.following = True
        self.selected_key: str | None = None

    # ----------------------------------------------------------------- public interface

    @property
    def turns(self) -> list[TurnView]:
        """The turns shown, oldest first (a copy: change turns through the methods)."""
        return list(self._turns)

    def selected_turn(self) -> TurnView | None:
        position = self._positions.get(self.selected_key or "")
        return None if position is None else self._turns[position]

    def code_blocks(self, key: str) -> list[str]:
        """The fenced or indented code blocks of an answer, in order (control sequences removed)."""
        position = self._positions.get(key)
        if position is None:
            return []
        return _code_blocks(make_inert(self._turns[position].answer))

    def rendered_lines(self, key: str) -> list[Strip]:
        """The turn's lines as drawn at the current width (rendered now if needed; for tests)."""
        position = self._positions.get(key)
        if position is None or not self._width:
            return []
        return list(self._lines_for(position))

    def set_turns(self, turns: list[TurnView]) -> None:
        """Show a chat: estimate heights, render only what fills the screen, at the bottom."""
        self._turns = list(turns)
        self._reindex()
        self._lines.clear()
        self._live.clear()
        self._pending.clear()
        if self.selected_key not in self._positions:
            self.selected_key = None
        self._layout.reset([estimate_height(turn, self._width or 80) for turn in self._turns])
        self._set_following(True)
        self._relayout()
        self._defer_full_gc()

    def add_turn(self, turn: TurnView) -> None:
        """Append a turn at the bottom (usually a new prompt whose answer is about to stream)."""
        if turn.key in self._positions:
            raise ValueError(f"a turn with key {turn.key!r} is already shown")
        self._turns.append(turn)
        self._positions[turn.key] = len(self._turns) - 1
        self._layout.insert(len(self._turns) - 1, estimate_height(turn, self._width or 80))
        if turn.status == "streaming":
            self._ensure_renderer().warm_up()  # code lexers load while the answer starts
        if self._width:
            self._render_turn(len(self._turns) - 1)
        self._set_following(True)
        self._sync_size()

    def append_answer(self, key: str, text: str) -> None:
        """Add streamed text to an answer; drawn on the next frame tick, never dropped."""
        turn = self._turn(key)
        turn.answer += text
        if turn.status != "streaming":
            turn.status = "streaming"
        self._pending.add(key)
        if self._flush_timer is None and self.is_mounted:
            self._flush_timer = self.set_timer(self.FLUSH_INTERVAL, self._on_flush_timer)

    def finish_answer(
        self, key: str, *, final_text: str | None = None, status: str = "done", error: str = ""
    ) -> None:
        """End a stream: the final text (or what arrived) is rendered in full, at once."""
        if status not in STATUSES or status == "streaming":
            raise ValueError(
                f"finish_answer status must be done, interrupted or error, not {status!r}"
            )
        turn = self._turn(key)
        if final_text is not None:
            turn.answer = final_text
        turn.status, turn.error = status, error
        self._pending.discard(key)
        self._rerender(key)
        self._live.pop(key, None)

    def update_turn(self, key: str, /, **changes: Any) -> None:
        """Change fields of a turn (e.g. `key=` once the server assigns the completion id)."""
        turn = self._turn(key)
        unknown = set(changes) - set(TurnView.__dataclass_fields__)
        if unknown:
            raise TypeError(f"TurnView has no field(s) {sorted(unknown)}")
        new_key = changes.get("key", key)
        if new_key != key and new_key in self._positions:
            raise ValueError(f"a turn with key {new_key!r} is already shown")
        for name, value in changes.items():
            setattr(turn, name, value)
        if new_key != key:
            self._positions[new_key] = self._positions.pop(key)
            for store in (self._lines, self._live):
                if key in store:
                    store[new_key] = store.pop(key)  # type: ignore[assignment]
            if key in self._pending:
                self._pending.discard(key)
                self._pending.add(new_key)
            if self.selected_key == key:
                self.selected_key = new_key
        if set(changes) - {"key"}:
            self._live.pop(new_key, None)
            self._rerender(new_key)

    def remove_turn(self, key: str) -> None:
        position = self._positions.get(key)
        if position is None:
            return
        del self._turns[position]
        self._layout.remove(position)
        self._reindex()
        for store in (self._lines, self._live):
            store.pop(key, None)
        self._pending.discard(key)
        if self.selected_key == key:
            self.selected_key = None
        self._sync_size()
        self.refresh()

    def clear(self) -> None:
        self.set_turns([])

    def flush(self) -> None:
        """Draw pending streamed text now (the frame timer calls this; tests may too)."""
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None
        pending, self._pending = self._pending, set()
        if not self._width:
            return
        for key in pending:
            if key in self._positions:
                self._rerender(key, streamed=True)
                live = self._live.get(key)
                if live is not None and live.behind:  # the rest in the next slice
                    self._pending.add(key)
        if self._pending and self._flush_timer is None and self.is_mounted:
            self._flush_timer = self.set_timer(self.CATCH_UP_INTERVAL, self._on_flush_timer)

    # ----------------------------------------------------------------- rendering

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        line_y = round(self.scroll_y) + y
        index, offset = self._layout.locate(line_y)
        if index < 0 or not self._width:
            return Strip.blank(width, self.rich_style)
        height_before = self._layout.heights[index]
        lines = self._lines_for(index)
        if len(lines) != height_before:  # just rendered: an estimate became exact
            index, offset = self._layout.locate(line_y)
            if index < 0:
                return Strip.blank(width, self.rich_style)
            lines = self._lines_for(index)
        body = lines[offset] if offset < len(lines) else Strip.blank(self._width)
        return self._composed_line(body, self._turns[index].key == self.selected_key)

    def _composed_line(self, body: Strip, selected: bool) -> Strip:
        """Gutter + body + margin in the widget's base style; memoised, as frames repeat lines."""
        entry = self._composed.get((id(body), selected))
        if entry is not None and entry[0] is body:
            return entry[1]
        if self._base_style is None:
            self._base_style = self.rich_style
        gutter = Strip(
            [Segment("▌ ", self._ensure_renderer().palette.gutter_selected)]
            if selected
            else [Segment(" " * _GUTTER)],
            _GUTTER,
        )
        strip = Strip.join([gutter, body]).crop_extend(0, self.size.width, None)
        strip = strip.apply_style(self._base_style)
        self._composed[(id(body), selected)] = (body, strip)
        if len(self._composed) > 4 * self.size.height + 64:
            self._composed.popitem(last=False)
        return strip

    def _lines_for(self, index: int) -> list[Strip]:
        key = self._turns[index].key
        lines = self._lines.get(key)
        if lines is None:
            if self._render_turn(index):
                self._schedule_sync()
            lines = self._lines[key]
        else:
            self._lines.move_to_end(key)
        return lines

    def _ensure_renderer(self) -> BlockRenderer:
        if self._renderer is None:
            theme = self.app.current_theme
            variables = {**theme.to_color_system().generate(), **theme.variables}
            self._renderer = BlockRenderer(Palette.from_variables(variables, dark=theme.dark))
        return self._renderer

    def _render_turn(self, index: int, deadline: float | None = None) -> int:
        """Render turn `index` into the line cache; return how much its height changed."""
        turn = self._turns[index]
        turn_lines = self._live.get(turn.key)  # a streaming turn keeps its rendered blocks
        if turn_lines is None:
            turn_lines = TurnLines(self._ensure_renderer(), self._width)
            if turn.status == "streaming":
                self._live[turn.key] = turn_lines
        lines = turn_lines.lines(turn, deadline)
        self._lines[turn.key] = lines
        self._lines.move_to_end(turn.key)
        while len(self._lines) > self.CACHED_TURNS:
            oldest = next(iter(self._lines))
            if oldest in self._live:
                break
            del self._lines[oldest]
        return self._layout.set_height(index, len(lines))

    def _rerender(self, key: str, *, streamed: bool = False) -> None:
        """Re-render one turn now and fix the layout around it."""
        index = self._positions[key]
        before = self._lines.pop(key, None)
        if not self._width:
            return
        anchor, _ = self._layout.locate(round(self.scroll_y))
        budget = key_pressure.slice_for(self.STREAM_SLICE)
        delta = self._render_turn(index, perf_counter() + budget if streamed else None)
        shift = delta if (not self.following and 0 <= index < anchor) else 0
        self._sync_size(shift)
        top = self._layout.offset(index) - round(self.scroll_y)
        if shift or (top < self.size.height and not self._same_on_screen(top, before, key)):
            self.refresh()
        if streamed and not self.following and not self._told_new_text and index >= anchor:
            self._told_new_text = True
            self.post_message(self.NewTextBelow(key))

    def _same_on_screen(self, top: int, before: list[Strip] | None, key: str) -> bool:
        """True when the turn's rows inside the viewport are the very strips drawn before.

        A reader scrolled up into a streaming answer sees its finished blocks, which keep their
        strips; only the growing end changes, below the view, so no repaint is needed.
        """
        after = self._lines.get(key)
        if before is None or after is None:
            return False
        first, last = max(0, -top), min(len(after), self.size.height - top)
        if last > len(before):
            return False
        return all(before[row] is after[row] for row in range(first, last))

    # ----------------------------------------------------------------- layout and scrolling

    def _relayout(self) -> None:
        """Re-estimate every turn at this width, render what the viewport needs, re-anchor."""
        if not self._width:
            return
        anchor, within = self._layout.locate(round(self.scroll_y))
        self._lines.clear()
        self._live.clear()
        self._layout.reset([estimate_height(turn, self._width) for turn in self._turns])
        height = self.scrollable_content_region.height or self.size.height
        if self.following or anchor < 0:
            filled, index = 0, len(self._turns) - 1
            while index >= 0 and filled < height:
                self._render_turn(index)
                filled += self._layout.heights[index]
                index -= 1
            self._sync_size()
        else:
            filled, index = 0, anchor
            while index < len(self._turns) and filled < height + within:
                self._render_turn(index)
                filled += self._layout.heights[index]
                index += 1
            self._sync_size()
            self._set_scroll_y(self._layout.offset(anchor) + within)
        self.refresh()
        self._schedule_prerender()

    def _sync_size(self, shift: int = 0) -> None:
        """Push the layout's total height to Textual; keep the bottom or the anchor in view."""
        size = Size(self.size.width, self._layout.total)
        if size.width == self.virtual_size.width:
            # Only the height changed (a streamed answer grew). Assigning `virtual_size` asks
            # for a layout of the whole screen and so a full repaint every frame; nothing else
            # depends on it here (the scrollbar is always shown), so update it in place.
            if size != self.virtual_size:
                self.set_reactive(ConversationView.virtual_size, size)
                self._scroll_update(size)
        else:
            self.virtual_size = size
        if self.following:
            self._set_scroll_y(self.max_scroll_y)
        elif shift:
            self._set_scroll_y(round(self.scroll_y) + shift)

    def _schedule_sync(self) -> None:
        """Heights changed while drawing a frame: fix the size and redraw after it."""
        if not self._sync_scheduled:
            self._sync_scheduled = True
            self.call_later(self._deferred_sync)

    def _deferred_sync(self) -> None:
        self._sync_scheduled = False
        self._sync_size()
        self.refresh()
        self._schedule_prerender()

    def _set_scroll_y(self, y: int) -> None:
        self._adjusting = True
        try:
            self.scroll_to(y=max(0, y), animate=False, force=True, immediate=True)
        finally:
            self._adjusting = False

    def _set_following(self, following: bool) -> None:
        if following != self.following:
            self.following = following
            if self.is_mounted:
                self.post_message(self.FollowingChanged(following))
        if following:
            self._told_new_text = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._adjusting:
            self._set_following(round(new_value) >= self.max_scroll_y)
            self._defer_full_gc()
        self._schedule_prerender(0.1)  # after the scroll settles, not in the middle of its frames

    def _schedule_prerender(self, delay: float = 0.02) -> None:
        """Pre-render soon; `delay` restarts an already waiting timer (debounce while scrolling)."""
        if not self.is_mounted or not self._turns:
            return
        if self._prerender_timer is None:
            self._prerender_timer = self.set_timer(delay, self._prerender_slice)
        elif delay > 0.02:
            self._prerender_timer.reset()

    def _prerender_slice(self) -> None:
        """Render turns near the viewport in small time slices, so scrolling finds them ready."""
        self._prerender_timer = None
        if not self._width or not self._turns:
            return
        if self.app.animator.is_being_animated(self, "scroll_y"):
            self._schedule_prerender()  # shifting the anchor now would stop the animation
            return
        height = self.scrollable_content_region.height or self.size.height
        top = round(self.scroll_y)
        anchor, _ = self._layout.locate(top)
        anchor = max(anchor, 0)
        low, _ = self._layout.locate(max(0, top - self.PRERENDER_SCREENS * height))
        high, _ = self._layout.locate(top + 2 * height)
        high = len(self._turns) - 1 if high < 0 else high
        todo = [i for i in range(anchor, max(low, 0) - 1, -1) if not self._layout.exact[i]]
        todo += [i for i in range(anchor, high + 1) if not self._layout.exact[i]]
        if not todo:
            return
        deadline = perf_counter() + 0.008
        shift = 0
        for index in todo:
            delta = self._render_turn(index)
            if index < anchor:
                shift += delta
            if perf_counter() > deadline:
                break
        self._sync_size(0 if self.following else shift)
        self.refresh()
        self._schedule_prerender()

    # ----------------------------------------------------------------- events and actions

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def on_unmount(self) -> None:
        if self._gc_timer is not None:
            self._gc_timer.stop()
            self._gc_timer = None
            gc_policy.release_full_collections()

    def _defer_full_gc(self) -> None:
        """A chat opened or the reader scrolls: hold full GC passes until the view is quiet.

        Scrolling renders turns (new strips to keep), which brings on full passes of 40-110 ms
        (bench/long.py); once the view has been quiet for `GC_QUIET`, one pass runs and the
        survivors are frozen (see `gc_policy` for why that is safe).
        """
        if not self.is_mounted:
            return
        if self._gc_timer is None:
            gc_policy.hold_full_collections()
            self._gc_held_since = perf_counter()
            self._gc_timer = self.set_timer(self.GC_QUIET, self._on_gc_quiet)
        elif perf_counter() - self._gc_held_since < self.GC_LONGEST:
            self._gc_timer.reset()

    def _on_gc_quiet(self) -> None:
        self._gc_timer = None
        gc_policy.release_full_collections()
        gc_policy.collect_and_freeze()

    def _on_theme_changed(self, theme: Theme) -> None:
        self._renderer = None
        self._base_style = None
        self._composed.clear()
        self._relayout()

    def on_resize(self, event: events.Resize) -> None:
        width = max(1, self.scrollable_content_region.width - _GUTTER - _RIGHT_MARGIN)
        self._composed.clear()
        if width != self._width:
            self._width = width
            self._relayout()
        else:
            self._sync_size()

    def _on_flush_timer(self) -> None:
        self._flush_timer = None
        self.flush()

    def on_click(self, event: events.Click) -> None:
        index, _ = self._layout.locate(round(self.scroll_y) + event.y)
        if index >= 0:
            self._select(index, scroll=False)

    # Keyboard scrolling jumps instead of animating: an animated page is ~10 full repaints of
    # the view, which while an answer streams delays the next key by as much (bench/keys.py).

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_scroll_up(self) -> None:
        self.scroll_up(animate=False)

    def action_scroll_down(self) -> None:
        self.scroll_down(animate=False)

    def action_previous_turn(self) -> None:
        current = self._positions.get(self.selected_key or "", len(self._turns))
        if self._turns:
            self._select(max(0, current - 1))

    def action_next_turn(self) -> None:
        current = self._positions.get(self.selected_key or "", -1)
        if self._turns:
            self._select(min(len(self._turns) - 1, current + 1))

    def _select(self, index: int, *, scroll: bool = True) -> None:
        key = self._turns[index].key
        if key != self.selected_key:
            self.selected_key = key
            self.post_message(self.TurnSelected(key))
        if scroll:
            if not self._layout.exact[index]:
                self._render_turn(index)
                self._sync_size()
            top, height = self._layout.offset(index), self._layout.heights[index]
            view = self.scrollable_content_region.height or self.size.height
            if top < self.scroll_y or top + min(height, view) > self.scroll_y + view:
                self.scroll_to(y=top, animate=False, force=True, immediate=True)
        self.refresh()

    # ----------------------------------------------------------------- helpers

    def _turn(self, key: str) -> TurnView:
        position = self._positions.get(key)
        if position is None:
            raise KeyError(f"no turn with key {key!r} in the conversation")
        return self._turns[position]

    def _reindex(self) -> None:
        self._positions = {turn.key: position for position, turn in enumerate(self._turns)}
