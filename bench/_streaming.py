"""One streamed 20,000-token answer in the real app, instrumented (used by stream.py and keys.py).

The prompt asks the offline writer for a long answer with code and a comparison ("long",
"detailed" → sections of prose, lists, tables and code blocks until ``max_new_tokens=20000``).
It is typed into the prompt bar and sent with Enter, like a person would.

The server streams at ``--rate`` tokens/s (0: the offline writer's fastest; stream.py's
default, keys.py's is 2,000 as the issue's target says).

The prompt is sent once the app's deferred start-up work is done (the side panes, mounted ~0.1 s
after the chat list: not part of a stream's cost).

Instrumentation (instance-level wrappers, nothing in the app changes):
* ``ConversationView.append_answer`` — arrival time and size of every streamed chunk;
* ``ConversationView.flush`` / ``finish_answer`` — when and how long the view re-renders;
* :class:`FrameMeter` — every painted frame, and this process's CPU time at its end;
* CPU: this (the UI's) process from the Enter that sends the prompt to the frame showing the
  last character; the server child's from before the Enter to the end of the stream (its
  ``/proc`` times); and the CPU of rendering the stored answer once, at the same width, with
  a fresh renderer in this process (the floor a streamed answer's drawing is compared with).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from _harness import (
    FrameMeter,
    float_arg,
    in_process_arg,
    local_server,
    make_app,
    settle,
    strip_text,
    wait_for,
    workdir,
)

PROMPT = (
    "Write a long detailed essay on how Bittensor subnets reward miners, with python code "
    "examples and a comparison table of validators versus miners"
)
MAX_TOKENS = 20_000


@dataclass
class StreamRecord:
    arrivals: list[tuple[float, int]] = field(default_factory=list)
    """(time, answer length after it) per chunk handed to the view."""
    flushes: list[tuple[float, float, int, int, bool]] = field(default_factory=list)
    """(start, seconds, answer length drawn, chunks since the previous flush, whether the
    view showed all of that length afterwards: a draw that ran out of time, or rendered
    ahead without showing, did not)."""
    finish: tuple[float, float] | None = None
    meter: FrameMeter = field(default_factory=FrameMeter)
    answer: str = ""
    stored: str = ""
    tokens: int = 0
    screen_ok: bool = False
    lines_ok: bool = False
    sent_at: float = 0.0
    """perf_counter() when Enter (which sends the prompt) was pressed."""
    sent_cpu: float = 0.0
    """This process's CPU time then."""
    server_cpu: float | None = None
    """The server child's CPU seconds over the stream (None: it runs in this process)."""
    render_once_cpu: float = 0.0
    """CPU seconds of rendering the stored answer once at the view's width (fresh renderer)."""
    completion_tokens: int = 0
    """The stream's token count (the usage the server reported, as stored)."""


def instrument(view: Any, record: StreamRecord) -> None:
    append, flush, finish = view.append_answer, view.flush, view.finish_answer
    draw_now = getattr(view, "draw_now", None)  # older trees have none
    pending = [0]

    def shown_whole(keys: set[str]) -> bool:
        """The view shows all of these turns' text (older trees: assumed)."""
        behind = getattr(getattr(view, "_index", None), "behind", None)
        waiting = view._tail.pending if hasattr(view, "_tail") else set()
        return not (keys & waiting) and not (behind and any(behind(k) for k in keys))

    def timed(draw: Any) -> Any:
        def timed_draw() -> None:
            chunks, pending[0] = pending[0], 0
            keys = set(view._tail.pending if hasattr(view, "_tail") else view._pending)
            drawn = max((len(view._turn(k).answer) for k in keys), default=-1)
            began = time.perf_counter()
            draw()
            if drawn >= 0:
                seconds = time.perf_counter() - began
                record.flushes.append((began, seconds, drawn, chunks, shown_whole(keys)))

        return timed_draw

    def timed_append(key: str, text: str) -> None:
        append(key, text)
        pending[0] += 1
        record.arrivals.append((time.perf_counter(), len(view._turn(key).answer)))

    def timed_finish(key: str, **kwargs: Any) -> None:
        began = time.perf_counter()
        finish(key, **kwargs)
        record.finish = (began, time.perf_counter() - began)

    view.append_answer, view.flush, view.finish_answer = timed_append, timed(flush), timed_finish
    if draw_now is not None:
        view.draw_now = timed(draw_now)


async def stream_once(
    during: Callable[[Any, Any, StreamRecord], Awaitable[None]] | None = None,
    *,
    default_rate: float = 0.0,
) -> StreamRecord:
    """Send the prompt, let the answer stream to the end, verify it, return the record.
    The server streams at ``--rate`` tokens/s (``default_rate`` if not given; 0: fastest)."""
    record = StreamRecord()
    rate = float_arg("--rate", default_rate)
    with workdir() as tmp, local_server(tmp, child=not in_process_arg(), rate=rate) as server:
        app = make_app(server, tmp, max_new_tokens=MAX_TOKENS, seed=7)
        record.meter.install()
        try:
            async with app.run_test(size=(120, 36)) as pilot:
                await settle(pilot)
                main = app.main_screen
                # the app's own deferred start-up (the side panes mount ~0.1 s after the chat
                # list) is done before the prompt is sent, as for anyone typing one
                panes = getattr(main, "panes", None)
                if panes is not None and hasattr(panes, "ready"):
                    await wait_for(pilot, lambda: panes.ready)
                    await settle(pilot)
                view = main.view
                instrument(view, record)
                main.prompt_bar.load_draft(PROMPT)
                server_cpu = getattr(server, "cpu_seconds", None)
                server_began = server_cpu() if server_cpu else 0.0
                record.sent_at, record.sent_cpu = time.perf_counter(), time.process_time()
                await pilot.press("enter")
                # started (a fast stream may be over before the first look)
                await wait_for(pilot, lambda: main.streaming or bool(record.arrivals))
                if during is not None:
                    await during(pilot, main, record)
                await wait_for(pilot, lambda: not main.streaming, timeout=300)
                await settle(pilot)
                if server_cpu:
                    record.server_cpu = server_cpu() - server_began
                if not main.view.following:  # keys.py scrolled up: go back to the end
                    main.view.scroll_end(animate=False, immediate=True)
                await pilot.pause(0.1)
                await verify(app, main, record)
        finally:
            record.meter.uninstall()
    return record


async def verify(app: Any, main: Any, record: StreamRecord) -> None:
    """No token dropped: the view's answer, its lines and the screen all match the stored text."""
    from apex_tui.ui.render.turn import TurnLines

    turn = main.view.turns[-1]
    stored = await app.sync.client.get_chat_completion(turn.key)
    record.answer, record.stored = turn.answer, stored.completion_text or ""
    record.tokens = len(record.stored.split())
    usage = (stored.metadata or {}).get("usage") or {}
    record.completion_tokens = int(usage.get("completion_tokens") or 0)
    if record.answer != record.stored:
        raise AssertionError("the answer shown differs from the stored completion text")
    view = main.view
    expected = TurnLines(view._ensure_renderer(), view._width).lines(turn)
    shown = view.rendered_lines(turn.key)
    record.lines_ok = strip_text(shown) == strip_text(expected)
    if not record.lines_ok:
        raise AssertionError("the streamed lines differ from a fresh render of the stored text")
    height = view.scrollable_content_region.height
    on_screen = [view.render_line(y).text[2:].rstrip() for y in range(height)]
    record.screen_ok = on_screen == strip_text(expected)[-height:]
    if not record.screen_ok:
        raise AssertionError("the screen does not end with the stored answer's last lines")
    record.render_once_cpu = render_once_cpu(view, turn)


def render_once_cpu(view: Any, turn: Any, times: int = 3) -> float:
    """CPU seconds to render ``turn`` once at the view's width with a fresh renderer (no
    cached blocks; the code lexers are loaded already, as they are mid-stream): median of 3."""
    from apex_tui.ui.render.markdown_lines import BlockRenderer
    from apex_tui.ui.render.turn import TurnLines

    palette = view._ensure_renderer().palette
    costs = []
    for _ in range(times):
        renderer = BlockRenderer(palette)
        began = time.process_time()
        TurnLines(renderer, view._width).lines(turn)
        costs.append(time.process_time() - began)
    return sorted(costs)[len(costs) // 2]
