"""keys: key-press-to-screen latency while the 20,000-token answer of `stream` streams.

Run: ``python bench/keys.py [--runs N] [--rate TOKENS_PER_S] [--parts] [--in-process]``
(default 3 runs; the server in a child process as ``apex-tui`` runs it, or in a thread with
``--in-process``). The answer streams at 2,000 tokens/s (``--rate``; 0 = the server's fastest),
so a run lasts ~10 s and holds ~100 typed and ~100 scroll keys: its p95 is not its worst key.

A key is posted to the app's message queue the way a terminal driver does (``events.Key``), at
~25 keys a second with jitter so presses land anywhere in the frame cycle. Its latency is from
posting to the end of the first painted frame that started after the key took effect (the prompt's
text changed, or the conversation's scroll offset moved). Typing goes to the prompt bar; scrolling
is page-up/page-down/up/down in the focused conversation view (a key that cannot move it, up at
the top or down at the bottom, is skipped: it would wait 2 s for a change that never comes).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from typing import Any

from _harness import figure, load, median, ms, pct, runs_arg, summary
from _streaming import StreamRecord, stream_once

TYPED = "how do validators score miners "
SCROLL_KEYS = ["pageup", "pageup", "up", "up", "pagedown", "down", "pageup", "pagedown"]


async def press(pilot: Any, key: str, changed: list[float], record: StreamRecord) -> float | None:
    """Post one key; return its latency in seconds (None if it changed nothing on screen)."""
    from textual import events

    app = pilot.app
    character = key if len(key) == 1 else None
    changed.clear()
    sent = time.perf_counter()
    app.post_message(events.Key(key, character))
    deadline = sent + 2.0
    while not changed and time.perf_counter() < deadline:
        await asyncio.sleep(0.001)
    if not changed:
        return None
    while (shown := record.meter.first_after(changed[0])) is None:
        if time.perf_counter() > deadline:
            return None
        await asyncio.sleep(0.001)
    PARTS.append((changed[0] - sent, shown - changed[0]))
    return shown - sent


def can_move(view: Any, key: str) -> bool:
    """A scroll key can move the view: not up at the top, nor down at the bottom (the pattern
    climbs a page a round, and reaches the top of a short answer)."""
    if key in ("up", "pageup"):
        return round(view.scroll_y) > 0
    return round(view.scroll_y) < view.max_scroll_y


PARTS: list[tuple[float, float]] = []
RATE = 2000.0
"""Tokens per second of the streamed answer (the issue's "while an answer streams at 2,000
tokens/s"); ``--rate`` overrides it."""


def make_during(typing: list[float], scrolling: list[float], streaming: list[bool]) -> Any:
    async def during(pilot: Any, main: Any, record: StreamRecord) -> None:
        rng = random.Random(3)
        prompt, view = main.prompt_bar.input, main.view
        changed: list[float] = []
        edit = prompt.edit

        def timed_edit(*args: Any, **kwargs: Any) -> Any:
            result = edit(*args, **kwargs)
            changed.append(time.perf_counter())
            return result

        prompt.edit = timed_edit
        watch = view.watch_scroll_y

        def timed_watch(old: float, new: float) -> None:
            watch(old, new)
            if round(old) != round(new):
                changed.append(time.perf_counter())

        view.watch_scroll_y = timed_watch
        await asyncio.sleep(0.3)  # into the stream
        for round_number in range(1000):
            if not main.streaming:
                break
            prompt.focus()
            await asyncio.sleep(0.05)
            for char in TYPED[:8] if round_number % 2 else TYPED[8:16]:
                if not main.streaming:
                    break
                latency = await press(pilot, char, changed, record)
                if latency is not None:
                    typing.append(latency)
                    streaming.append(main.streaming)
                await asyncio.sleep(rng.uniform(0.02, 0.06))
            view.focus()
            await asyncio.sleep(0.05)
            for key in SCROLL_KEYS:
                if not main.streaming:
                    break
                if not can_move(view, key):
                    continue  # it would change nothing on screen (and wait 2 s to find out)
                latency = await press(pilot, key, changed, record)
                if latency is not None:
                    scrolling.append(latency)
                await asyncio.sleep(rng.uniform(0.02, 0.06))

    return during


async def main() -> None:
    runs = runs_arg(3)
    per_run: dict[str, list[float]] = {"type_p95": [], "type_med": [], "scroll_p95": []}
    per_run["scroll_med"] = []
    pooled_typing: list[float] = []
    pooled_scrolling: list[float] = []
    for run in range(runs):
        before = load()
        typing: list[float] = []
        scrolling: list[float] = []
        streaming: list[bool] = []
        await stream_once(make_during(typing, scrolling, streaming), default_rate=RATE)
        pooled_typing += typing
        pooled_scrolling += scrolling
        print(
            f"# run {run + 1}/{runs}: {len(typing)} typed and {len(scrolling)} scroll keys "
            f"while streaming, {before}",
            flush=True,
        )
        figure("keys typing median", ms(median(typing)), "ms", "target <= 20")
        figure("keys typing p95", ms(pct(typing, 95)), "ms", "target <= 40")
        figure("keys typing max", ms(max(typing, default=float("nan"))), "ms")
        figure("keys scrolling median", ms(median(scrolling)), "ms", "target <= 20")
        figure("keys scrolling p95", ms(pct(scrolling, 95)), "ms", "target <= 40")
        figure("keys scrolling max", ms(max(scrolling, default=float("nan"))), "ms")
        figure("keys all p95", ms(pct(typing + scrolling, 95)), "ms", "target <= 40")
        per_run["type_med"].append(ms(median(typing)))
        per_run["type_p95"].append(ms(pct(typing, 95)))
        per_run["scroll_med"].append(ms(median(scrolling)))
        per_run["scroll_p95"].append(ms(pct(scrolling, 95)))
        if "--parts" in sys.argv:
            handled = [a for a, _ in PARTS]
            painted = [b for _, b in PARTS]
            figure("keys post -> handled median", ms(median(handled)), "ms", f"{len(PARTS)} keys")
            figure("keys post -> handled p95", ms(pct(handled, 95)), "ms")
            figure("keys handled -> painted median", ms(median(painted)), "ms")
            figure("keys handled -> painted p95", ms(pct(painted, 95)), "ms")
        PARTS.clear()
    if runs > 1:
        print(f"# summary over {runs} runs, {load()}")
        summary("keys typing median", per_run["type_med"], "ms", "<= 20")
        summary("keys typing p95", per_run["type_p95"], "ms", "<= 40")
        summary("keys scrolling median", per_run["scroll_med"], "ms", "<= 20")
        summary("keys scrolling p95", per_run["scroll_p95"], "ms", "<= 40")
        for name, pooled in (("typing", pooled_typing), ("scrolling", pooled_scrolling)):
            note = f"{len(pooled)} keys of {runs} runs"
            figure(f"keys {name} median pooled", ms(median(pooled)), "ms", f"{note}, target <= 20")
            figure(f"keys {name} p95 pooled", ms(pct(pooled, 95)), "ms", f"{note}, target <= 40")


if __name__ == "__main__":
    asyncio.run(main())
