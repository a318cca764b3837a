"""chats: 10,000 stored chats — time to list them, latency of one filter keystroke, peak RSS.

Run: ``python bench/chats.py [--runs N]`` (default 5 list loads and 3×12 keystrokes per run).

List: from calling the main screen's ``load_sessions()`` (what start-up and Ctrl+G do: a
GetChatSessions call to the local server, parsing, building the day-grouped option list) to
the end of the first painted frame after the list was filled. Filter: a key posted to the
focused filter box (as a terminal driver posts it) to the end of the first frame that started
after the pane handled it (list rebuilt, or only its title updated when the
matching chats did not change). Keys type "chat 12", then delete it again.
"""

from __future__ import annotations

import asyncio
import time

from _harness import (
    FrameMeter,
    figure,
    load,
    local_server,
    make_app,
    median,
    ms,
    pct,
    peak_rss_mb,
    runs_arg,
    seed_chats,
    settle,
    summary,
    wait_for,
    workdir,
)

CHATS = 10_000
TYPED = ["c", "h", "a", "t", "space", "1", "2"] + ["backspace"] * 7


async def measure(runs: int) -> tuple[list[float], list[float]]:
    from textual import events

    lists: list[float] = []
    keys: list[float] = []
    meter = FrameMeter().install()
    try:
        with workdir() as tmp, local_server(tmp) as server:
            seed_chats(server, CHATS)
            app = make_app(server, tmp)
            async with app.run_test(size=(120, 36)) as pilot:
                await settle(pilot)
                main = app.main_screen
                pane = main.sessions
                changed: list[float] = []
                update_title = pane._update_title  # the last step of a list or filter update

                def timed_update_title(shown: int) -> None:
                    update_title(shown)
                    changed.append(time.perf_counter())

                pane._update_title = timed_update_title
                for _ in range(runs):
                    changed.clear()
                    began = time.perf_counter()
                    main.load_sessions()
                    await wait_for(pilot, lambda: bool(changed) and len(pane._sessions) == CHATS)
                    await wait_for(pilot, lambda: meter.first_after(changed[-1]) is not None)
                    lists.append(meter.first_after(changed[-1]) - began)  # type: ignore[operator]
                    await pilot.pause(0.2)
                main.action_focus_filter()
                await pilot.pause(0.2)
                for _ in range(3):
                    for key in TYPED:
                        changed.clear()
                        character = {"space": " "}.get(key, key if len(key) == 1 else None)
                        sent = time.perf_counter()
                        app.post_message(events.Key(key, character))
                        await wait_for(pilot, lambda: bool(changed), timeout=10)
                        await wait_for(pilot, lambda: meter.first_after(changed[0]) is not None)
                        keys.append(meter.first_after(changed[0]) - sent)  # type: ignore[operator]
                        await asyncio.sleep(0.08)
                if len(pane.visible_ids) != CHATS:
                    raise AssertionError("the filter did not come back to every chat")
    finally:
        meter.uninstall()
    return lists, keys


async def main() -> None:
    runs = runs_arg(5)
    before = load()
    lists, keys = await measure(runs)
    print(f"# {CHATS} chats, {len(lists)} list loads, {len(keys)} filter keys, {before}")
    summary("chats list", [ms(v) for v in lists], "ms", "<= 300")
    figure("chats filter key median", ms(median(keys)), "ms")
    figure("chats filter key p95", ms(pct(keys, 95)), "ms", f"target <= 30 (n={len(keys)})")
    figure("chats peak RSS", peak_rss_mb(), "MB", "process incl. embedded server; <= 200")


if __name__ == "__main__":
    asyncio.run(main())
