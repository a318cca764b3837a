"""Pilot tests of the conversation view while streamed text floods the screen: the view draws
less often (``stream_pacing``), renders finished blocks ahead without showing half of them,
draws at once when the stream ends, and still stops following when the reader scrolls up.

The pace itself is ``DrawPacer``'s (tests/ui/test_stream_pacing.py); here a pacer that says
"flooding" until reset stands in for it, and the tests draw by calling ``flush`` themselves.
"""

from __future__ import annotations

import pytest
from test_conversation_view import SIZE, ViewApp, answer_lines, long_answer, one_shot, screen_text

from apex_tui.ui.render import turn as turn_module
from apex_tui.ui.stream_pacing import DrawPacer
from apex_tui.ui.widgets.conversation import ConversationView, TurnView
from apex_tui.ui.widgets.conversation_tail import StreamingTail


class Flooding(DrawPacer):
    """Always flooding (until the stream ends), and no paced draw comes by itself."""

    def __init__(self) -> None:
        super().__init__()
        self.flood = True

    @property
    def flooding(self) -> bool:
        return self.flood

    def delay(self, now: float) -> float:
        return 3600.0 if self.flood else super().delay(now)

    def reset(self) -> None:
        super().reset()
        self.flood = False


def flooding_view(app: ViewApp) -> tuple[ConversationView, Flooding]:
    view = app.query_one(ConversationView)
    pacer = Flooding()
    view._tail.pacer = pacer
    return view, pacer


def drain(view: ConversationView) -> int:
    """Flush until nothing waits (the catch-up slices a timer would run); how many it took."""
    flushes = 0
    while True:
        view.flush()
        flushes += 1
        if not view._tail.pending:
            return flushes


async def test_flooding_renders_ahead_and_shows_only_whole_draws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer = long_answer(12)
    half = len(answer) // 2
    app = ViewApp()
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        view.add_turn(TurnView(key="t", prompt="Explain", status="streaming"))
        view.append_answer("t", answer[:200])
        view.flush()  # drawn as usual: the pace is still every frame
        view, pacer = flooding_view(app)
        shown = view._index.cached("t")
        view.append_answer("t", answer[200:half])
        # out of time at once: nothing is rendered, nothing shown changes, the text waits
        monkeypatch.setattr(StreamingTail, "deadline", classmethod(lambda cls: 0.0))
        view.flush()
        assert view._index.cached("t") is shown and "t" in view._tail.pending
        monkeypatch.undo()
        # the slices that follow (one block each, on a counting clock) render the finished
        # blocks; the lines shown change once, whole
        ticks = iter(range(10**6))
        monkeypatch.setattr(turn_module, "perf_counter", lambda: next(ticks))
        monkeypatch.setattr(
            StreamingTail, "deadline", classmethod(lambda cls: turn_module.perf_counter() + 1)
        )
        changes, flushes = 0, 0
        while view._tail.pending:
            before = view._index.cached("t")
            view.flush()
            flushes += 1
            if view._index.cached("t") is not before:
                changes += 1
                assert not view._index.behind("t")  # never a draw that stops short
        assert changes == 1 and flushes > 5
        monkeypatch.undo()
        view.append_answer("t", answer[half:])
        drain(view)
        view.finish_answer("t")
        assert answer_lines(view, "t") == one_shot(view, answer)  # nothing lost, nothing moved
        assert not pacer.flooding  # the end of the stream resets the pace


async def test_a_flood_rendering_cannot_keep_up_with_is_shown_in_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Long without a draw (rendering ahead falls behind), a slice shows what it rendered."""
    answer = long_answer(12)
    app = ViewApp()
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        view.add_turn(TurnView(key="t", prompt="Explain", status="streaming"))
        view.append_answer("t", answer[:200])
        view.flush()
        view, pacer = flooding_view(app)
        monkeypatch.setattr(pacer, "overdue", lambda now: True)
        monkeypatch.setattr(StreamingTail, "deadline", classmethod(lambda cls: 0.0))
        shown = view._index.cached("t")
        view.append_answer("t", answer[200:])
        view.flush()  # out of time at once, yet shown: what was rendered, as when not flooding
        assert view._index.cached("t") is not shown and view._index.behind("t")
        monkeypatch.undo()
        drain(view)
        view.finish_answer("t")
        assert answer_lines(view, "t") == one_shot(view, answer)


async def test_the_end_of_a_stream_is_drawn_at_once() -> None:
    answer = long_answer(4)
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view, pacer = flooding_view(app)
        view.add_turn(TurnView(key="t", prompt="Explain", status="streaming"))
        view.append_answer("t", answer)
        await pilot.pause()
        assert view._tail.pending == {"t"}  # a paced draw would wait (an hour, here)
        view.draw_now()  # the stream ended: its answer is not stored yet, it is drawn now
        drain(view)
        await pilot.pause()
        assert not pacer.flooding and not view._tail.pending
        last = answer.rstrip().splitlines()[-1].strip("| ")
        assert any(last.split()[0] in row for row in screen_text(view))
        assert view.turns[0].status == "streaming"  # finish_answer comes after the store
        view.finish_answer("t")
        assert answer_lines(view, "t") == one_shot(view, answer)


async def test_scrolling_up_while_it_floods_stops_following() -> None:
    answer = long_answer(20)
    third = len(answer) // 3
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.add_turn(TurnView(key="live", prompt="Go", status="streaming"))
        view.append_answer("live", answer[:third])
        drain(view)
        await pilot.pause()
        view, _ = flooding_view(app)
        assert view.following and view.scroll_y == view.max_scroll_y
        view.focus()
        await pilot.press("pageup")
        await pilot.pause()
        assert not view.following
        shown, top = screen_text(view), view.scroll_y
        view.append_answer("live", answer[third : 2 * third])
        drain(view)
        await pilot.pause()
        assert screen_text(view) == shown and view.scroll_y == top  # reading stays put
        below = [m for m in app.posted if isinstance(m, ConversationView.NewTextBelow)]
        assert len(below) == 1
        await pilot.press("end")
        await pilot.pause()
        assert view.following
        view.append_answer("live", answer[2 * third :])
        drain(view)
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y
        view.finish_answer("live")
        assert answer_lines(view, "live") == one_shot(view, answer)
