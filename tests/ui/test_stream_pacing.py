"""DrawPacer: streamed text is drawn every frame until it floods the screen, then less often
(bounded), and at every frame again as soon as it slows. Times are passed in: no clock."""

from __future__ import annotations

import pytest

from apex_tui.ui.stream_pacing import (
    DRAW_SHARE,
    MAX_INTERVAL,
    NORMAL_INTERVAL,
    WINDOW,
    DrawPacer,
)

SCREEN = 60
"""Rows the view shows at a time (a screenful and a half a second is three rows a frame)."""
SUSTAINED = int(WINDOW / NORMAL_INTERVAL) + 2
"""Draws a frame apart that span more than the window."""


def draws(pacer: DrawPacer, start: float, gap: float, rows_per_draw: int, count: int) -> float:
    """``count`` draws ``gap`` apart, each ``rows_per_draw`` rows more; returns the last time."""
    at, rows = start, pacer._last_rows
    for _ in range(count):
        at += gap
        rows += rows_per_draw
        pacer.worked(0.004)
        pacer.drew(at, rows, SCREEN)
    return at


def test_text_a_person_can_read_is_drawn_every_frame() -> None:
    """Only a flood changes the pace: a cheap draw of a slow stream never does, nor a costly
    draw of one."""
    pacer = DrawPacer()
    assert pacer.delay(0.0) == NORMAL_INTERVAL  # nothing drawn yet
    # a model at ~100 tokens/s: a row every few frames, far below a screenful a second
    pacer.painted(0.05)
    last = draws(pacer, 0.0, NORMAL_INTERVAL, 1, 60)
    assert not pacer.flooding
    assert pacer.delay(last + 0.001) == NORMAL_INTERVAL


def test_a_flood_of_cheap_draws_keeps_every_frame() -> None:
    pacer = DrawPacer()
    at = 0.0
    for rows in range(20, 200, 20):
        at += NORMAL_INTERVAL
        pacer.worked(0.0005)
        pacer.drew(at, rows, SCREEN)
    assert pacer.interval == NORMAL_INTERVAL  # drawing takes less than its share anyway


def test_a_flood_spaces_draws_by_their_cost_and_never_beyond_the_bound() -> None:
    pacer = DrawPacer()
    pacer.painted(0.003)
    # 20 rows a frame = 600 rows a second = 10 screenfuls a second
    last = draws(pacer, 0.0, NORMAL_INTERVAL, 20, SUSTAINED)
    assert pacer.flooding
    cost = 0.004 + 0.003  # the work since the last draw and the last paint
    assert pacer.interval == pytest.approx(min(MAX_INTERVAL, cost / DRAW_SHARE))
    assert NORMAL_INTERVAL < pacer.delay(last) <= MAX_INTERVAL
    # text arriving later waits only for the rest of the interval, at least a frame
    assert pacer.delay(last + pacer.interval - 0.01) == NORMAL_INTERVAL
    assert pacer.delay(last + 0.01) == pytest.approx(pacer.interval - 0.01)
    pacer.painted(1.0)  # a very slow paint: the bound holds
    draws(pacer, last, NORMAL_INTERVAL, 20, 1)
    assert pacer.interval == MAX_INTERVAL


def test_one_burst_is_not_a_flood() -> None:
    """A screenful at once (an upstream that stalled, then sent what it had) is drawn at the
    next frame, and so is what follows: a flood is two fast draws in a row."""
    pacer = DrawPacer()
    last = draws(pacer, 0.0, NORMAL_INTERVAL, 1, 5)
    last = draws(pacer, last, NORMAL_INTERVAL, 80, 1)
    assert not pacer.flooding
    draws(pacer, last, NORMAL_INTERVAL, 1, 1)
    assert not pacer.flooding


def test_every_frame_again_as_soon_as_the_text_slows_or_pauses() -> None:
    pacer = DrawPacer()
    last = draws(pacer, 0.0, NORMAL_INTERVAL, 20, SUSTAINED)
    assert pacer.flooding
    last = draws(pacer, last, MAX_INTERVAL, 2, 1)  # 10 rows a second now
    assert not pacer.flooding and pacer.delay(last) == NORMAL_INTERVAL
    last = draws(pacer, last, NORMAL_INTERVAL, 20, 3)
    assert pacer.flooding  # the last half second is still a flood
    # a pause: text after it is drawn at the next frame, then the rate is measured anew
    assert pacer.delay(last + 5.0) == NORMAL_INTERVAL
    draws(pacer, last + 5.0, NORMAL_INTERVAL, 20, 2)
    assert not pacer.flooding  # two fast draws after a pause: not yet half a second of them


def test_a_slow_stream_with_fast_steps_does_not_flood() -> None:
    """Rows come in steps: a few lines of a table or a code block in two frames, then none
    for a while. Under a screenful a second over half a second, that is not a flood."""
    pacer = DrawPacer()
    last = 0.0
    for step in range(200):
        fast = step % 10 < 2  # two frames of 4 rows (over a screenful and a half a second)
        last = draws(pacer, last, NORMAL_INTERVAL, 4 if fast else 0, 1)
        assert not pacer.flooding


def test_the_end_of_a_stream_resets_the_pace() -> None:
    pacer = DrawPacer()
    last = draws(pacer, 0.0, NORMAL_INTERVAL, 20, SUSTAINED)
    assert pacer.flooding
    pacer.reset()
    assert not pacer.flooding and pacer.delay(last) == NORMAL_INTERVAL
    draws(pacer, last, NORMAL_INTERVAL, 20, 1)  # a new stream's first draw: no rate yet
    assert not pacer.flooding


def test_a_taller_screen_floods_later() -> None:
    short, tall = DrawPacer(), DrawPacer()
    for pacer, screen in ((short, 10), (tall, 200)):
        at = 0.0
        for rows in range(5, 5 * SUSTAINED, 5):  # 150 rows a second
            at += NORMAL_INTERVAL
            pacer.worked(0.004)
            pacer.drew(at, rows, screen)
    assert short.flooding and not tall.flooding


def test_a_flood_that_rendering_cannot_keep_up_with_is_shown_anyway() -> None:
    """Rendering ahead shows nothing until it is done; if it falls behind (a slow machine),
    after twice the longest interval without a draw the view shows what it has."""
    pacer = DrawPacer()
    assert not pacer.overdue(100.0)  # nothing drawn yet: nothing is late
    last = draws(pacer, 0.0, NORMAL_INTERVAL, 20, SUSTAINED)
    assert not pacer.overdue(last + MAX_INTERVAL)
    assert pacer.overdue(last + 2 * MAX_INTERVAL + 0.01)
