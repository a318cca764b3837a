"""The conversation view: a chat's prompt/answer turns, answers as Markdown, fast for long chats.

A Line-API `ScrollView`, not a widget per message: each turn is rendered to `Strip`s at the current
width and cached; only turns near the viewport are rendered (bottom-up when a chat opens), the
others have estimated heights that are corrected as they get rendered, keeping the view anchored.
A streaming answer re-renders only its growing tail block, at most once per frame.

The view owns one helper per concern: `TurnIndex` (the turns, their heights and rendered lines),
`StreamingTail` (when streamed text is drawn), `Prerenderer` (rendering ahead while idle),
`LinePainter` (theme colours, gutter, selection offsets and memoised screen lines),
`ConversationSelection` (what a mouse selection holds: the text shown, or the Markdown of the
blocks it covers), `ReasoningBlocks` (opening and closing a turn's reasoning) and
`FullGcDeferral` (full GC passes wait for quiet). What stays here is the widget: its methods,
scrolling, keys, clicks, messages — over 400 lines, because the scroll bookkeeping (following,
anchoring, the size pushed to Textual) shares the widget's state and is kept in one place
rather than spread over helpers that would reach into it.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip
from textual.theme import Theme

from apex_tui.ui.gc_deferral import FullGcDeferral
from apex_tui.ui.render.blocks import code_blocks as _code_blocks
from apex_tui.ui.render.markdown_lines import BlockRenderer
from apex_tui.ui.render.turn import STATUSES, TurnView, branch_arrow_at
from apex_tui.ui.render.turn_index import TurnIndex
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.selection_copy import drop_selection
from apex_tui.ui.widgets.conversation_paint import GUTTER, LinePainter
from apex_tui.ui.widgets.conversation_prerender import Prerenderer
from apex_tui.ui.widgets.conversation_reasoning import ReasoningBlocks
from apex_tui.ui.widgets.conversation_select import ConversationSelection, line_code
from apex_tui.ui.widgets.conversation_tail import StreamingTail, same_on_screen

__all__ = ["ConversationView", "TurnView"]

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
        Binding("t", "toggle_reasoning", "Reasoning on/off", id="conversation.toggle_reasoning"),
    ]

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

    class BranchClicked(Message):
        """A click on the "‹" (step -1) or "›" (step 1) of a turn's branch marker."""

        def __init__(self, key: str, step: int) -> None:
            super().__init__()
            self.key = key
            self.step = step

    class FollowingChanged(Message):
        """The view started or stopped following the bottom (e.g. to hide a 'new text' hint)."""

        def __init__(self, following: bool) -> None:
            super().__init__()
            self.following = following

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._painter = LinePainter(self)
        self._index = TurnIndex(self._painter.renderer)
        self._layout = self._index.layout  # one object for the index's life
        self._tail = StreamingTail(self, self._on_flush_timer)
        self._gc = FullGcDeferral(self)
        self._prerender = Prerenderer(
            self, self._index, width=lambda: self._width, rendered=self._after_prerender
        )
        self._reasoning = ReasoningBlocks(self._index, self.selected_turn, self._rerender)
        self._selection = ConversationSelection(
            self._index, self._lines_for, self._ensure_renderer, lambda: self._width
        )
        self._width = 0
        self._painting = False
        self._frame_selection: Selection | None = None
        self._adjusting = False
        self._sync_scheduled = False
        self.following = True
        self.selected_key: str | None = None

    # ----------------------------------------------------------------- public interface

    @property
    def turns(self) -> list[TurnView]:
        """The turns shown, oldest first (a copy: change turns through the methods)."""
        return list(self._index.turns)

    def selected_turn(self) -> TurnView | None:
        position = self._index.position(self.selected_key or "")
        return None if position is None else self._index.turns[position]

    def code_blocks(self, key: str) -> list[str]:
        """The fenced or indented code blocks of an answer, in order (control sequences removed)."""
        position = self._index.position(key)
        if position is None:
            return []
        return _code_blocks(make_inert(self._index.turns[position].answer))

    def rendered_lines(self, key: str) -> list[Strip]:
        """The turn's lines as drawn at the current width (rendered now if needed; for tests)."""
        position = self._index.position(key)
        if position is None or not self._width:
            return []
        return list(self._lines_for(position))

    def set_turns(self, turns: list[TurnView]) -> None:
        """Show a chat: estimate heights, render only what fills the screen, at the bottom."""
        self._drop_selection()
        self._index.reset(turns, self._width or 80)
        self._tail.clear()
        if self._index.position(self.selected_key or "") is None:
            self.selected_key = None
        self._set_following(True)
        self._relayout()
        self._gc.defer()

    def add_turn(self, turn: TurnView) -> None:
        """Append a turn at the bottom (usually a new prompt whose answer is about to stream)."""
        position = self._index.append(turn, self._width or 80)
        if turn.status == "streaming":
            self._ensure_renderer().warm_up()  # code lexers load while the answer starts
        if self._width:
            self._index.render(position, self._width)
        self._set_following(True)
        self._sync_size()

    def append_answer(self, key: str, text: str) -> None:
        """Add streamed text to an answer; drawn on the next frame tick, never dropped."""
        turn = self._turn(key)
        turn.answer += text
        self._streamed(turn)

    def append_reasoning(self, key: str, text: str) -> None:
        """Add streamed reasoning to a turn (drawn on the next frame tick, like answer text)."""
        turn = self._turn(key)
        turn.reasoning += text
        self._streamed(turn)

    def _streamed(self, turn: TurnView) -> None:
        if turn.status != "streaming":
            turn.status = "streaming"
        self._tail.add(turn.key)

    def reasoning_target(self) -> TurnView | None:
        """The turn `t` opens or closes (``ReasoningBlocks.target``)."""
        return self._reasoning.target()

    def toggle_reasoning(self, key: str) -> None:
        """Open or close a turn's reasoning block."""
        self._reasoning.toggle(key)

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
        self._tail.discard(key)
        self._tail.pacer.reset()
        self._rerender(key)
        self._index.end_stream(key)

    def update_turn(self, key: str, /, **changes: Any) -> None:
        """Change fields of a turn (e.g. `key=` once the server assigns the completion id)."""
        new_key = self._index.update(key, changes)
        if new_key != key:
            self._tail.rename(key, new_key)
            if self.selected_key == key:
                self.selected_key = new_key
        if set(changes) - {"key"}:
            if changes.keys() & {"answer", "status"}:  # else the streamed blocks still hold
                self._index.end_stream(new_key)
            self._rerender(new_key)

    def remove_turn(self, key: str) -> None:
        if self._index.position(key) is None:
            return
        self._drop_selection()  # the turns below it move up: their offsets change
        self._index.remove(key)
        self._tail.discard(key)
        if self.selected_key == key:
            self.selected_key = None
        self._sync_size()
        self.refresh()

    def clear(self) -> None:
        self.set_turns([])

    def replace_from(self, key: str, turns: list[TurnView], *, select: str | None = None) -> None:
        """Show ``turns`` instead of turn ``key`` and every turn after it (another branch): the
        turns above stay as they are, and the fork stays where it was on the screen."""
        position = self._index.index_of(key)
        top = self._layout.offset(position) - round(self.scroll_y)
        self._drop_selection()
        for turn in self._index.turns[position:]:
            self._tail.discard(turn.key)
        self._index.replace_from(position, turns, self._width or 80)
        if select is not None and self._index.position(select) is not None:
            self.selected_key = select
            self.post_message(self.TurnSelected(select))
        elif self._index.position(self.selected_key or "") is None:
            self.selected_key = None
        if not self._width:
            return
        height = self.scrollable_content_region.height or self.size.height
        self._index.fill(position, 1, self._width, height)
        self._set_following(False)
        self._sync_size()
        self._set_scroll_y(self._layout.offset(position) - top)
        self._set_following(round(self.scroll_y) >= self.max_scroll_y)
        self.refresh()
        self._prerender.schedule()

    # ----------------------------------------------------------------- text selection

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text as shown (Textual's Ctrl+C and ``Screen.get_selected_text``)."""
        return self._selection.text(selection), "\n"

    def selected_markdown(self, selection: Selection) -> str:
        """The Markdown source of the blocks ``selection`` covers (copy as Markdown)."""
        return self._selection.markdown(selection)

    def _drop_selection(self) -> None:
        drop_selection(self)  # the lines it was made on are about to move

    def flush(self) -> None:
        """Draw pending streamed text now (the frame timer calls this; tests may too)."""
        pending = self._tail.take()
        if not self._width or not pending:
            return
        pacer, began, shown = self._tail.pacer, perf_counter(), False
        for key in pending:
            if self._index.position(key) is None:
                continue
            if (
                pacer.flooding
                and not pacer.overdue(began)
                and not self._index.render_ahead(key, self._tail.deadline())
            ):
                self._tail.again(key)  # flooding: shown once its finished blocks are rendered
                continue
            self._rerender(key, streamed=True)
            shown = True
            if self._index.behind(key):  # the rest in the next slice
                self._tail.again(key)
        end = perf_counter()
        pacer.worked(end - began)
        if shown:
            height = self.scrollable_content_region.height or self.size.height
            pacer.drew(end, self._layout.total, height)
        self._tail.catch_up()

    def draw_now(self) -> None:
        """The stream ended: draw its text now, not at the next paced draw nor once the answer
        is stored (a backlog of finished blocks still goes in slices, keys first)."""
        self._tail.pacer.reset()
        self.flush()

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
        selected = self._index.turns[index].key == self.selected_key
        code = line_code(index, offset)
        if self._painting:
            return self._painter.line(body, selected, code, self._frame_selection)
        line = self._painter.line(body, selected, code, self.text_selection)
        return self._painter.pointer_line(line, code)

    def render_lines(self, crop: Region) -> list[Strip]:
        """A frame's lines. Lines asked for one by one (``render_line``) outside a frame are
        Textual finding the text under the pointer: only those carry selection offsets, so
        frames never pay for them (nor for looking the selection up on every line)."""
        self._painting, self._frame_selection = True, self.text_selection
        began = perf_counter()
        try:
            return super().render_lines(crop)
        finally:
            self._painting = False
            self._tail.pacer.painted(perf_counter() - began)

    def _lines_for(self, index: int) -> list[Strip]:
        lines, delta = self._index.lines(index, self._width)
        if delta:
            self._schedule_sync()
        return lines

    def _ensure_renderer(self) -> BlockRenderer:
        return self._painter.renderer()

    def _rerender(self, key: str, *, streamed: bool = False) -> None:
        """Re-render one turn now and fix the layout around it."""
        index = self._index.index_of(key)
        before = self._index.forget_lines(key)
        if not self._width:
            return
        anchor, _ = self._layout.locate(round(self.scroll_y))
        delta = self._index.render(index, self._width, self._tail.deadline() if streamed else None)
        shift = delta if (not self.following and 0 <= index < anchor) else 0
        self._sync_size(shift)
        top = self._layout.offset(index) - round(self.scroll_y)
        if shift or (
            top < self.size.height
            and not same_on_screen(top, self.size.height, before, self._index.cached(key))
        ):
            self.refresh()
        if streamed and not self.following and index >= anchor and self._tail.first_text_below():
            self.post_message(self.NewTextBelow(key))

    # ----------------------------------------------------------------- layout and scrolling

    def _relayout(self) -> None:
        """Re-estimate every turn at this width, render what the viewport needs, re-anchor."""
        if not self._width:
            return
        anchor, within = self._layout.locate(round(self.scroll_y))
        self._index.relayout(self._width)
        height = self.scrollable_content_region.height or self.size.height
        if self.following or anchor < 0:
            self._index.fill(len(self._index.turns) - 1, -1, self._width, height)
            self._sync_size()
        else:
            self._index.fill(anchor, 1, self._width, height + within)
            self._sync_size()
            self._set_scroll_y(self._layout.offset(anchor) + within)
        self.refresh()
        self._prerender.schedule()

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
        self._prerender.schedule()

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
            self._tail.following_again()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._adjusting:
            self._set_following(round(new_value) >= self.max_scroll_y)
            self._gc.defer()
        self._prerender.schedule(0.1)  # after the scroll settles, not in the middle of its frames

    def _after_prerender(self, shift: int) -> None:
        self._sync_size(0 if self.following else shift)
        self.refresh()

    # ----------------------------------------------------------------- events and actions

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._on_theme_changed)

    def on_unmount(self) -> None:
        self._gc.cancel()

    def _on_theme_changed(self, theme: Theme) -> None:
        self._painter.forget_theme()
        self._relayout()

    def on_resize(self, event: events.Resize) -> None:
        width = max(1, self.scrollable_content_region.width - GUTTER - _RIGHT_MARGIN)
        self._painter.forget_lines()
        if width != self._width:
            self._drop_selection()  # the lines wrap anew
            self._width = width
            self._relayout()
        else:
            self._sync_size()

    def _on_flush_timer(self) -> None:
        self.flush()  # looked up now, so a wrapped `flush` (bench/_streaming.py) is the one run

    def on_click(self, event: events.Click) -> None:
        """A click moves the turn cursor, opens reasoning or switches a branch ("‹ ›"); a
        double click selects a word, a triple click a block (not Textual's select-all)."""
        index, offset = self._layout.locate(round(self.scroll_y) + event.y)
        x = event.x - GUTTER
        if event.chain > 1:
            event.prevent_default()
            event.stop()
            chosen = self._selection.clicked(index, offset, x, event.chain) if index >= 0 else None
            if chosen is not None:
                self.screen.selections = {self: chosen}
                self.post_message(events.TextSelected())
        elif index >= 0:
            self._select(index, scroll=False)
            turn, lines = self._index.turns[index], self._lines_for(index)
            line = lines[offset] if offset < len(lines) else None
            step = branch_arrow_at(line.text, x) if turn.branch and offset == 0 and line else 0
            if step:
                self.post_message(self.BranchClicked(turn.key, step))
            else:
                self._reasoning.clicked(turn, line)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_reasoning":
            return self.reasoning_target() is not None
        return True

    def action_toggle_reasoning(self) -> None:
        turn = self.reasoning_target()
        if turn is not None:
            self.toggle_reasoning(turn.key)

    # Keyboard scrolling jumps instead of animating: an animated page is ~10 full repaints of
    # the view, which while an answer streams delays the next key by as much (bench/keys.py).

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def action_page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def action_scroll_home(self) -> None:
        self.scroll_to(y=0, animate=False, force=True, immediate=True)

    def action_scroll_end(self) -> None:
        """The real end, following again. Rows not drawn yet are only estimated, and an
        animated scroll aims at the estimate: rows below it drawn meanwhile (a finished
        answer the reader scrolled away from) left the view short of the end."""
        last = len(self._index.turns) - 1
        if last >= 0 and not self._layout.exact[last]:
            self._index.render(last, self._width)
        self._set_following(True)
        self._sync_size()
        self.refresh()

    def action_scroll_up(self) -> None:
        self.scroll_up(animate=False)

    def action_scroll_down(self) -> None:
        self.scroll_down(animate=False)

    def action_previous_turn(self) -> None:
        current = self._index.position(self.selected_key or "")
        if self._index.turns:
            self._select(max(0, (len(self._index.turns) if current is None else current) - 1))

    def action_next_turn(self) -> None:
        current = self._index.position(self.selected_key or "")
        if self._index.turns:
            current = -1 if current is None else current
            self._select(min(len(self._index.turns) - 1, current + 1))

    def _select(self, index: int, *, scroll: bool = True) -> None:
        key = self._index.turns[index].key
        if key != self.selected_key:
            self.selected_key = key
            self.post_message(self.TurnSelected(key))
        if scroll:
            if not self._layout.exact[index]:
                self._index.render(index, self._width)
                self._sync_size()
            top, height = self._layout.offset(index), self._layout.heights[index]
            view = self.scrollable_content_region.height or self.size.height
            if top < self.scroll_y or top + min(height, view) > self.scroll_y + view:
                self.scroll_to(y=top, animate=False, force=True, immediate=True)
        self.refresh()

    # ----------------------------------------------------------------- helpers

    def _turn(self, key: str) -> TurnView:
        return self._index.turn(key)
