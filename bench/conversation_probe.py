"""Probe the conversation view's scaling: streaming cost per chunk early vs late, long chats.

Run: `python bench/conversation_probe.py` (headless, ~30 s on 2 cores). Prints figures only; the
shared machine is noisy, so compare medians and ratios, not single values.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import datetime

from textual.app import App, ComposeResult

from apex_tui.ui.render.blocks import split_blocks
from apex_tui.ui.widgets.conversation import ConversationView, TurnView


def section(number: int) -> str:
    """One varied Markdown section (prose, list, code, table), distinct per `number`."""
    return f"""## Part {number}

Section {number} explains *why* the cache matters: finished blocks are rendered once, and only
the growing tail is rendered again. This sentence is long enough to wrap at narrow widths.

- point {number}.1 with `inline code`
- point {number}.2 with **bold** text
  - nested item {number}

```python
def step_{number}(values: list[int]) -> int:
    total = 0
    for value in values:
        total += value * {number}
    return total
```

| name | value |
|------|-------|
| a{number} | {number * 3} |
| b{number} | {number * 7} |

"""


def long_answer(characters: int) -> str:
    parts, number = [], 0
    while sum(map(len, parts)) < characters:
        number += 1
        parts.append(section(number))
    return "".join(parts)


class ProbeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ConversationView()


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def probe_streaming(answer: str, chunk: int) -> None:
    """Per-chunk cost with a flush after every chunk (the worst case: no coalescing)."""
    app = ProbeApp()
    async with app.run_test(size=(120, 36)) as pilot:
        view = app.query_one(ConversationView)
        view.add_turn(TurnView(key="t", prompt="Explain caching", status="streaming"))
        await pilot.pause()
        costs: list[float] = []
        for start in range(0, len(answer), chunk):
            began = time.perf_counter()
            view.append_answer("t", answer[start : start + chunk])
            view.flush()
            costs.append(time.perf_counter() - began)
        tenth = max(1, len(costs) // 10)
        early, late = median_ms(costs[:tenth]), median_ms(costs[-tenth:])
        print(f"stream chunks                 {len(costs)} x {chunk} chars, {len(answer)} chars")
        print(f"stream per-chunk first 10%    {early:.2f} ms (median)")
        print(f"stream per-chunk last 10%     {late:.2f} ms (median)")
        print(f"stream late/early ratio       {late / early:.2f}")
        began = time.perf_counter()
        view.finish_answer("t")
        await pilot.pause()
        print(f"finish (full re-split+frame)  {(time.perf_counter() - began) * 1000:.1f} ms")


async def probe_coalesced(answer: str, chunk: int) -> None:
    """Chunks arriving from a buffer as fast as the loop allows; the frame timer coalesces."""
    app = ProbeApp()
    async with app.run_test(size=(120, 36)) as pilot:
        view = app.query_one(ConversationView)
        view.add_turn(TurnView(key="t", prompt="Explain caching", status="streaming"))
        await pilot.pause()
        renderer = view._ensure_renderer()
        renders_before = renderer.renders
        began = time.perf_counter()
        for start in range(0, len(answer), chunk):
            view.append_answer("t", answer[start : start + chunk])
            if start // chunk % 20 == 0:
                await asyncio.sleep(0.002)  # ~20k chars/s arriving, timers fire in between
        last_byte = time.perf_counter()
        view.finish_answer("t")
        await pilot.pause()
        done = time.perf_counter()
        print(
            f"coalesced total               {(done - began) * 1000:.0f} ms "
            f"({len(answer) / (done - began):.0f} chars/s)"
        )
        print(f"coalesced last byte -> screen {(done - last_byte) * 1000:.1f} ms")
        print(
            f"coalesced block renders       {renderer.renders - renders_before} "
            f"for {len(split_blocks(answer))} blocks"
        )


async def probe_long_chat(turns: int) -> None:
    answer = long_answer(1500)
    app = ProbeApp()
    async with app.run_test(size=(120, 36)) as pilot:
        view = app.query_one(ConversationView)
        chat = [
            TurnView(
                key=f"k{i}",
                prompt=f"Question {i}?",
                answer=answer.replace("Part", f"T{i}"),
                created_at=datetime(2024, 5, 1, 12, i % 60),
            )
            for i in range(turns)
        ]
        began = time.perf_counter()
        view.set_turns(chat)
        await pilot.pause()
        print(
            f"long open {turns} turns          {(time.perf_counter() - began) * 1000:.0f} ms "
            f"(turns rendered: {sum(view._layout.exact)})"
        )
        await pilot.pause(0.3)
        costs = []
        for _ in range(20):
            began = time.perf_counter()
            view.scroll_to(y=view.scroll_y - view.size.height, animate=False, immediate=True)
            await pilot.pause()
            costs.append(time.perf_counter() - began)
        print(
            f"long page-up, no idle         {median_ms(costs):.1f} ms median, "
            f"{max(costs) * 1000:.1f} ms max (20 pages back to back)"
        )
        costs = []
        for _ in range(20):
            await pilot.pause(0.15)  # a reader's pace: idle pre-rendering runs in between
            began = time.perf_counter()
            view.scroll_to(y=view.scroll_y - view.size.height, animate=False, immediate=True)
            await pilot.pause()
            costs.append(time.perf_counter() - began)
        print(
            f"long page-up, 150 ms apart    {median_ms(costs):.1f} ms median, "
            f"{max(costs) * 1000:.1f} ms max (20 pages)"
        )


async def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 12_000
    answer = long_answer(size)
    await probe_streaming(answer, chunk=6)
    await probe_coalesced(answer, chunk=6)
    await probe_long_chat(500)


if __name__ == "__main__":
    asyncio.run(main())
