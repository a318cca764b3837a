"""stream: a 20,000-token Markdown answer streamed from the local server into the real app.

Run: ``python bench/stream.py [--runs N] [--rate TOKENS_PER_S] [--in-process]`` (default 3 runs
at the server's fastest setting; ~20 s each on 2 cores). The local server runs in a child
process on a Unix socket as ``apex-tui``'s per-user server does (``--in-process``: in a thread of
the benchmark's process, the library's ``EmbeddedServer``; no server CPU figures then).
Each run prints its figures; the last block is the median [min–max] over the runs.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import asyncio

from _harness import figure, load, median, ms, pct, runs_arg, summary
from _streaming import StreamRecord, stream_once


def figures(record: StreamRecord) -> dict[str, float]:
    total = len(record.stored)
    first_arrival, _ = record.arrivals[0]
    last_byte, _ = record.arrivals[-1]
    drawn_all = [
        start + secs for start, secs, drawn, _, whole in record.flushes if drawn >= total and whole
    ]
    if record.finish is not None:
        drawn_all.append(sum(record.finish))
    on_screen = record.meter.first_after(min(drawn_all))
    assert on_screen is not None
    frames = record.meter.since(first_arrival)
    frames = [s for end, s in record.meter.frames if first_arrival <= end <= on_screen]
    # a flush (view re-render) and the frame painted after it form one update on screen
    updates: list[tuple[int, float, int]] = []
    for start, secs, drawn, chunks, _ in record.flushes:
        paint = next((s for end, s in record.meter.frames if end - s >= start + secs), 0.0)
        updates.append((drawn, secs + paint, chunks))
    early = [cost for drawn, cost, _ in updates if drawn <= total * 0.1]
    late = [cost for drawn, cost, _ in updates if drawn >= total * 0.9]
    early_chunk = [cost / max(1, n) for drawn, cost, n in updates if drawn <= total * 0.1]
    late_chunk = [cost / max(1, n) for drawn, cost, n in updates if drawn >= total * 0.9]
    ui_cpu = record.meter.cpu_at(on_screen) - record.sent_cpu
    tokens = record.completion_tokens or record.tokens  # older trees store no usage
    server_cpu = record.server_cpu if record.server_cpu is not None else float("nan")
    return {
        "ui_cpu": ms(ui_cpu),
        "render_once": ms(record.render_once_cpu),
        "cpu_ratio": ui_cpu / record.render_once_cpu,
        "server_cpu": ms(server_cpu),
        "server_per_ktok": ms(server_cpu / tokens * 1000),
        "server_per_envelope": ms(server_cpu / len(record.arrivals)) * 1000,
        "completion_tokens": tokens,
        "tokens": record.tokens,
        "chars": total,
        "chunks": len(record.arrivals),
        "updates": len(updates),
        "frames": len(frames),
        "frame_median": ms(median(frames)),
        "frame_p95": ms(pct(frames, 95)),
        "update_p95": ms(pct([c for _, c, _ in updates], 95)),
        "early": ms(median(early)),
        "late": ms(median(late)),
        "ratio": median(late) / median(early),
        "early_chunk": ms(median(early_chunk)),
        "late_chunk": ms(median(late_chunk)),
        "last_byte_to_screen": ms(on_screen - last_byte),
        "chars_per_s": total / (on_screen - first_arrival),
        "stream_s": last_byte - first_arrival,
    }


def show(f: dict[str, float], note: str) -> None:
    print(
        f"# {f['completion_tokens']:.0f} tokens, {f['chars']:.0f} chars "
        f"in {f['chunks']:.0f} chunks "
        f"over {f['stream_s']:.1f} s, drawn in {f['updates']:.0f} updates; {note}",
        flush=True,
    )
    figure("stream frames", f["frames"], "", "painted from the first chunk to the last on screen")
    figure("stream frame median", f["frame_median"], "ms")
    figure("stream frame p95", f["frame_p95"], "ms", "target <= 50")
    figure("stream update p95 (render+frame)", f["update_p95"], "ms")
    figure("stream per-chunk first 10%", f["early"], "ms", "view re-render + its frame")
    figure("stream per-chunk last 10%", f["late"], "ms")
    figure("stream per-chunk late/early", f["ratio"], "x", "target <= 1.5")
    figure("stream per-arrived-chunk first 10%", f["early_chunk"], "ms")
    figure("stream per-arrived-chunk last 10%", f["late_chunk"], "ms")
    figure("stream last byte -> screen", f["last_byte_to_screen"], "ms", "target <= 200")
    figure("stream chars rendered/s", f["chars_per_s"], "chars/s")
    figure("stream UI CPU", f["ui_cpu"], "ms", "Enter -> last character on screen")
    figure("stream render once CPU", f["render_once"], "ms", "the stored answer, same width")
    figure("stream UI CPU / render once", f["cpu_ratio"], "x", "target <= 2")
    figure("stream server CPU", f["server_cpu"], "ms", f"{f['completion_tokens']:.0f} tokens")
    figure("stream server CPU per 1k tokens", f["server_per_ktok"], "ms")
    figure("stream server CPU per envelope", f["server_per_envelope"], "us")
    print("stream no token dropped             yes (answer, lines and screen = stored text)")


async def main() -> None:
    runs = runs_arg(3)
    results = []
    for run in range(runs):
        before = load()
        record = await stream_once()
        result = figures(record)
        show(result, f"run {run + 1}/{runs}, {before}")
        results.append(result)
    if runs > 1:
        print(f"# summary over {runs} runs, {load()}")
        for key, name, unit, target in (
            ("frames", "stream frames", "", "-"),
            ("updates", "stream view updates", "", "-"),
            ("frame_median", "stream frame median", "ms", "-"),
            ("frame_p95", "stream frame p95", "ms", "<= 50"),
            ("early", "stream per-chunk first 10%", "ms", "-"),
            ("late", "stream per-chunk last 10%", "ms", "-"),
            ("ratio", "stream per-chunk late/early", "x", "<= 1.5"),
            ("last_byte_to_screen", "stream last byte -> screen", "ms", "<= 200"),
            ("chars_per_s", "stream chars rendered/s", "chars/s", "-"),
            ("chunks", "stream envelopes", "", "-"),
            ("ui_cpu", "stream UI CPU", "ms", "-"),
            ("render_once", "stream render once CPU", "ms", "-"),
            ("cpu_ratio", "stream UI CPU / render once", "x", "<= 2"),
            ("server_cpu", "stream server CPU", "ms", "-"),
            ("server_per_ktok", "stream server CPU per 1k tokens", "ms", "halved"),
            ("server_per_envelope", "stream server CPU per envelope", "us", "-"),
        ):
            summary(name, [r[key] for r in results], unit, target)


if __name__ == "__main__":
    asyncio.run(main())
