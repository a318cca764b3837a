"""long: open a 500-turn chat (answers ~1.5k characters with code), then page up; peak RSS.

Run: ``python bench/long.py [--runs N]`` (default 3 opens, 30 page-ups each).

The chat is written into the local server's SQLite through its storage layer. Open: from the
Enter key on the chat in the sessions list (posted as a terminal driver posts it) to the end of
the first painted frame after the conversation view received the turns — loading them over
the API included — with the view at the bottom. Page-up: the conversation view focused, a
``pageup`` key every 150 ms (reading pace); its figure is key to the end of the first frame
that started after the scroll offset moved, and each such frame's own paint time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from _harness import (
    FrameMeter,
    code_answer,
    figure,
    load,
    local_server,
    make_app,
    median,
    ms,
    pct,
    peak_rss_mb,
    runs_arg,
    seed_long_chat,
    settle,
    summary,
    wait_for,
    workdir,
)

TURNS = 500
PAGES = 30


async def measure(runs: int) -> tuple[list[float], list[float], list[float]]:
    from textual import events

    opens: list[float] = []
    pages: list[float] = []
    paints: list[float] = []
    meter = FrameMeter().install()
    try:
        with workdir() as tmp, local_server(tmp) as server:
            chat_id = seed_long_chat(server, TURNS, code_answer)
            app = make_app(server, tmp)
            async with app.run_test(size=(120, 36)) as pilot:
                await settle(pilot)
                main = app.main_screen
                view, pane = main.view, main.sessions
                shown: list[float] = []
                set_turns = view.set_turns

                def timed_set_turns(turns: Any) -> None:
                    set_turns(turns)
                    shown.append(time.perf_counter())

                view.set_turns = timed_set_turns
                moved: list[float] = []
                watch = view.watch_scroll_y

                def timed_watch(old: float, new: float) -> None:
                    watch(old, new)
                    if round(old) != round(new):
                        moved.append(time.perf_counter())

                view.watch_scroll_y = timed_watch
                for _ in range(runs):
                    main.action_new_chat()  # close it, so Enter opens it again
                    await settle(pilot)
                    pane.query_one("#chat-list").focus()
                    pane.highlight(chat_id)
                    await pilot.pause(0.2)
                    shown.clear()
                    began = time.perf_counter()
                    app.post_message(events.Key("enter", "\r"))
                    await wait_for(pilot, lambda: bool(shown) and len(view.turns) == TURNS)
                    await wait_for(pilot, lambda: meter.first_after(shown[-1]) is not None)
                    opens.append(meter.first_after(shown[-1]) - began)  # type: ignore[operator]
                    if not view.following or view.scroll_y < view.max_scroll_y:
                        raise AssertionError("the chat did not open at the bottom")
                    await pilot.pause(0.3)
                    view.focus()
                    await pilot.pause(0.1)
                    for _ in range(PAGES):
                        moved.clear()
                        sent = time.perf_counter()
                        app.post_message(events.Key("pageup", None))
                        await wait_for(pilot, lambda: bool(moved), timeout=10)
                        await wait_for(pilot, lambda: meter.first_after(moved[0]) is not None)
                        end = meter.first_after(moved[0])
                        pages.append(end - sent)  # type: ignore[operator]
                        paints.extend(s for e, s in meter.frames if e == end)
                        await asyncio.sleep(0.15)
    finally:
        meter.uninstall()
    return opens, pages, paints


async def main() -> None:
    runs = runs_arg(3)
    before = load()
    opens, pages, paints = await measure(runs)
    print(f"# {TURNS} turns, {len(opens)} opens, {len(pages)} page-ups, {before}")
    summary("long open to first full frame", [ms(v) for v in opens], "ms", "<= 500")
    figure("long page-up key->frame median", ms(median(pages)), "ms")
    figure("long page-up key->frame p95", ms(pct(pages, 95)), "ms", "target <= 50")
    figure("long page-up frame paint p95", ms(pct(paints, 95)), "ms")
    figure("long peak RSS", peak_rss_mb(), "MB", "process incl. embedded server; <= 200")


if __name__ == "__main__":
    asyncio.run(main())
