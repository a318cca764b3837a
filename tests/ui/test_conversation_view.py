"""Pilot tests of the conversation view in a tiny app that mounts only it."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

import pytest
from rich.markdown import Markdown
from textual.app import App, ComposeResult
from textual.strip import Strip

from apex_tui.ui.render import blocks
from apex_tui.ui.render.blocks import split_blocks
from apex_tui.ui.render.markdown_lines import BlockRenderer
from apex_tui.ui.widgets.conversation import ConversationView, TurnView

BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

SIZE = (120, 36)

ANSWER = """Here is an answer with **bold** and a list:

- one
- two

```python
def hello(n):
    return n * 2
```

| a | b |
|---|---|
| 1 | 2 |

Final paragraph with some more words.
"""


def long_answer(sections: int) -> str:
    parts = []
    for number in range(sections):
        parts.append(
            f"## Part {number}\n\nText of part {number} with *emphasis* and `code`.\n\n"
            f"- item {number}.1\n- item {number}.2\n\n"
            f"```python\nprint({number})\n```\n\n| k | v |\n|---|---|\n| {number} | x |\n\n"
        )
    return "".join(parts)


class ViewApp(App[None]):
    """Mounts just the conversation view and records the messages it posts."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: list[object] = []

    def compose(self) -> ComposeResult:
        yield ConversationView()

    def on_conversation_view_new_text_below(self, message: ConversationView.NewTextBelow) -> None:
        self.posted.append(message)

    def on_conversation_view_turn_selected(self, message: ConversationView.TurnSelected) -> None:
        self.posted.append(message)

    def on_conversation_view_following_changed(
        self, message: ConversationView.FollowingChanged
    ) -> None:
        self.posted.append(message)


def screen_text(view: ConversationView) -> list[str]:
    return [view.render_line(y).text for y in range(view.size.height)]


def make_turns(count: int) -> list[TurnView]:
    return [
        TurnView(
            key=f"k{i}",
            prompt=f"Prompt number {i}",
            answer=f"{ANSWER}\nEnd of turn {i}.",
            created_at=datetime(2024, 5, 1, 12, i % 60),
        )
        for i in range(count)
    ]


def answer_lines(view: ConversationView, key: str) -> list[Strip]:
    """The answer part of a turn's lines: after header, prompt and blank; before the footer."""
    lines = view.rendered_lines(key)
    turn = view.turns[[t.key for t in view.turns].index(key)]
    prompt_lines = view._ensure_renderer().render_text(turn.prompt, view._width, turn_style(view))
    start = 1 + len(prompt_lines) + 1
    return lines[start : start + len(one_shot(view, turn.answer))]


def turn_style(view: ConversationView):  # type: ignore[no-untyped-def]
    return view._ensure_renderer().palette.prompt


def one_shot(view: ConversationView, text: str) -> list[Strip]:
    """Rich's own rendering of the whole text in one go, at the view's width and palette."""
    renderer = BlockRenderer(view._ensure_renderer().palette)
    return renderer.render(Markdown(text, code_theme=renderer.palette.code_theme), view._width)


async def test_open_500_turns_shows_last_turn_at_bottom() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.set_turns(make_turns(500))
        await pilot.pause()
        assert view.following
        assert view.scroll_y == view.max_scroll_y > 0
        text = screen_text(view)
        assert any("End of turn 499." in line for line in text[-6:])
        assert any("Prompt number 499" in line for line in text)
        # Only the turns near the viewport were rendered, not the whole chat.
        assert sum(view._layout.exact) < 30


async def test_scrolling_up_renders_older_turns_exactly() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.set_turns(make_turns(500))
        await pilot.pause()
        await pilot.press("home")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert not view.following
        text = screen_text(view)
        assert "Prompt number 0" in text[1]
        assert answer_lines(view, "k0") == one_shot(view, view.turns[0].answer + "")
        # Jump into the middle: the turn drawn there is the real one, fully rendered.
        view.scroll_to(y=view._layout.offset(250), animate=False, immediate=True)
        await pilot.pause()
        index, within = view._layout.locate(round(view.scroll_y))
        assert view._layout.exact[index]
        expected = view.rendered_lines(view.turns[index].key)
        top = [strip.text for strip in expected[within : within + 5]]
        assert [line[2 : 2 + view._width] for line in screen_text(view)[:5]] == top


async def test_streaming_2000_chunks_ends_with_one_shot_render() -> None:
    answer = long_answer(30)
    step = max(1, len(answer) // 2000)
    chunks = [answer[i : i + step] for i in range(0, len(answer), step)]
    assert len(chunks) >= 2000
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.add_turn(TurnView(key="t", prompt="Explain", status="streaming"))
        for number, chunk in enumerate(chunks):
            view.append_answer("t", chunk)
            if number % 100 == 0:
                await pilot.pause(0.05)  # let the frame timer flush some updates mid-stream
        view.finish_answer("t")
        await pilot.pause()
        turn = view.turns[0]
        assert turn.answer == answer and turn.status == "done"
        assert answer_lines(view, "t") == one_shot(view, answer)
        # The same chat opened fresh renders identically.
        streamed = view.rendered_lines("t")
        view.set_turns([TurnView(key="t", prompt="Explain", answer=answer)])
        await pilot.pause()
        assert view.rendered_lines("t") == streamed


async def test_streaming_rerenders_only_the_tail_block() -> None:
    answer = long_answer(6)
    app = ViewApp()
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        view.add_turn(TurnView(key="t", prompt="Explain", status="streaming"))
        renderer = view._ensure_renderer()
        cached_renders: Counter[str] = Counter()
        tail_renders = 0
        original = renderer.render_block

        def counting(block, width, *, cache=True):  # type: ignore[no-untyped-def]
            nonlocal tail_renders
            before = renderer.renders
            result = original(block, width, cache=cache)
            if renderer.renders != before:
                if cache:
                    cached_renders[block.source] += 1
                else:
                    tail_renders += 1
            return result

        renderer.render_block = counting  # type: ignore[method-assign]
        flushes = 0
        for start in range(0, len(answer), 5):
            view.append_answer("t", answer[start : start + 5])
            view.flush()
            flushes += 1
        blocks = split_blocks(answer)
        # Every finished block was rendered exactly once; the tail at most once per flush.
        assert len(cached_renders) == len(blocks) - 1
        assert set(cached_renders.values()) == {1}
        assert tail_renders <= flushes
        view.finish_answer("t")
        assert set(cached_renders.values()) == {1}
        assert answer_lines(view, "t") == one_shot(view, answer)


async def test_what_a_finished_stream_adds_does_not_render_the_answer_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stored turn brings sources, reasoning and the finish reason just before the stream
    ends: the blocks rendered while it streamed stay, the answer is not parsed again whole."""
    answer = long_answer(6)
    app = ViewApp()
    async with app.run_test(size=SIZE):
        view = app.query_one(ConversationView)
        view.add_turn(TurnView(key="t", prompt="Explain", status="streaming"))
        for start in range(0, len(answer), 40):
            view.append_answer("t", answer[start : start + 40])
            view.flush()
        streamed = answer_lines(view, "t")
        parsed: list[int] = []
        split = blocks.split_with_offsets

        def counting(text: str):  # type: ignore[no-untyped-def]
            parsed.append(len(text))
            return split(text)

        monkeypatch.setattr(blocks, "split_with_offsets", counting)
        view.update_turn("t", sources=[("https://example.org/a", "A")], finish_reason="stop")
        view.finish_answer("t")
        # nothing new arrived since the last flush: at most the tail is parsed, never all
        assert max(parsed, default=0) < len(answer) // 2
        shown = answer_lines(view, "t")
        assert shown == one_shot(view, answer)
        assert all(a is b for a, b in zip(shown[:-8], streamed[:-8], strict=False))
        assert "Sources" in "".join(line.text for line in view.rendered_lines("t"))


async def test_follows_bottom_unless_scrolled_up() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.set_turns(make_turns(5))
        view.add_turn(TurnView(key="live", prompt="Go", status="streaming"))
        await pilot.pause()
        view.append_answer("live", "first paragraph\n\n" * 30)
        view.flush()
        await pilot.pause()
        assert view.following and view.scroll_y == view.max_scroll_y
        assert not [m for m in app.posted if isinstance(m, ConversationView.NewTextBelow)]

        await pilot.press("pageup")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert not view.following
        shown = screen_text(view)
        view.append_answer("live", "more text\n\n" * 30)
        view.flush()
        await pilot.pause(0.3)  # pre-rendering may correct heights above: the view stays anchored
        assert screen_text(view) == shown
        below = [m for m in app.posted if isinstance(m, ConversationView.NewTextBelow)]
        assert len(below) == 1 and below[0].key == "live"

        await pilot.press("end")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        assert view.following
        changes = [
            m.following for m in app.posted if isinstance(m, ConversationView.FollowingChanged)
        ]
        assert changes[-2:] == [False, True]
        view.append_answer("live", "tail\n")
        view.finish_answer("live")
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y


async def test_control_sequences_are_inert_and_markup_literal() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.set_turns(
            [
                TurnView(
                    key="x",
                    prompt="\x1b[31mred\x1b[0m [bold]not markup[/bold] \u202eevil\u202c",
                    answer="Clip\x1b]52;c;ZXZpbA==\x07board \x9b2J and \x1b[2J\x07bell\x00\u2066",
                    status="error",
                    error="boom \x1b[5m",
                    sources=[("https://e.x/\x1b]0;title\x07", "Title\x1b[1m")],
                )
            ]
        )
        await pilot.pause()
        lines = view.rendered_lines("x")
        for strip in lines:
            for segment in strip:
                assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in segment.text)
                assert not BIDI.search(segment.text)  # overrides and isolates neutralised
        text = "\n".join(strip.text for strip in lines)
        assert "red [bold]not markup[/bold] evil" in text
        assert "Clipboard  and bell" in text
        assert "error: boom" in text and "Title" in text


async def test_a_sequence_split_across_streamed_chunks_stays_inert() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.set_turns([TurnView(key="s", prompt="p", status="streaming")])
        for piece in ("Safe \x1b", "]0;TITLE", "WRITE\x07 text \u202e", "x\x9b", "2J done"):
            view.append_answer("s", piece)
            await pilot.pause()
            view.flush()
            shown = "\n".join(strip.text for strip in view.rendered_lines("s"))
            assert "TITLE" not in shown and "WRITE" not in shown and "\x1b" not in shown
            assert not BIDI.search(shown) and "\x9b" not in shown
        assert "Safe  text x done" in shown


async def test_statuses_sources_and_code_blocks() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.set_turns(
            [
                TurnView(
                    key="a", prompt="p", answer=ANSWER + "\n    indented\n", status="interrupted"
                ),
                TurnView(key="b", prompt="q", answer="see [1]", sources=[("https://a.b", "A B")]),
            ]
        )
        await pilot.pause()
        a_text = "\n".join(strip.text for strip in view.rendered_lines("a"))
        assert "interrupted" in a_text
        b_text = "\n".join(strip.text for strip in view.rendered_lines("b"))
        assert "Sources" in b_text and "[1] A B — https://a.b" in b_text
        assert view.code_blocks("a") == ["def hello(n):\n    return n * 2\n", "indented\n"]
        assert view.code_blocks("missing") == []


async def test_turn_cursor_update_and_remove() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.set_turns(make_turns(3))
        await pilot.pause()
        view.focus()
        await pilot.press("[")
        assert view.selected_key == "k2"
        await pilot.press("[", "[", "[")
        assert view.selected_key == "k0" and view.selected_turn() is view.turns[0]
        await pilot.press("]")
        assert view.selected_key == "k1"
        selected = [m.key for m in app.posted if isinstance(m, ConversationView.TurnSelected)]
        assert selected == ["k2", "k1", "k0", "k1"]
        view.update_turn("k1", key="server-1", prompt="Edited prompt")
        assert view.selected_key == "server-1"
        assert "Edited prompt" in "\n".join(s.text for s in view.rendered_lines("server-1"))
        view.remove_turn("server-1")
        assert [t.key for t in view.turns] == ["k0", "k2"] and view.selected_turn() is None
        view.clear()
        await pilot.pause()
        assert view.turns == [] and view.virtual_size.height == 0


async def test_theme_change_rerenders_with_new_palette() -> None:
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.set_turns(make_turns(2))
        await pilot.pause()
        assert view._ensure_renderer().palette.dark
        app.theme = "textual-light"
        await pilot.pause()
        assert not view._ensure_renderer().palette.dark
        assert any("End of turn 1." in line for line in screen_text(view))


async def test_a_short_answer_leaves_no_streaming_cursor_on_screen() -> None:
    """Issue 14, item 5: a turn that gets shorter when its stream ends (the cursor line goes)
    is repainted, though every row it still has is the very strip drawn before."""
    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.add_turn(TurnView(key="t", prompt="hello", status="streaming"))
        view.append_answer("t", "Hello.")
        view.flush()
        await pilot.pause()
        assert "▍" in app.export_screenshot()
        view.finish_answer("t", final_text="Hello.")
        await pilot.pause()
        assert "▍" not in app.export_screenshot()


async def test_pre_rendering_waits_while_keys_arrive(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turns near the viewport are rendered ahead while the reader idles, not between two
    keys of someone paging (a slice and its repaint would hold the next key back)."""
    from apex_tui.ui import key_pressure

    app = ViewApp()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        view.set_turns(make_turns(200))
        await pilot.pause()
        layout = view._index.layout
        exact_before = sum(layout.exact)
        monkeypatch.setattr(key_pressure, "_last_key", key_pressure.monotonic())  # a key, now
        view._prerender._slice()
        assert sum(layout.exact) == exact_before  # nothing rendered between keys
        assert view._prerender._timer is not None  # it runs once the keys stop
        monkeypatch.setattr(key_pressure, "_last_key", -1.0)  # no key for a long time
        view._prerender._slice()
        assert sum(layout.exact) > exact_before
