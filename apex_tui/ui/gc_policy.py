"""When the cyclic garbage collector may pause the UI: not in the middle of a streaming answer.

A full (generation 2) collection walks every tracked object that is not frozen. While a long
answer streams, its cached strips, segments and tokens grow to ~100k objects and CPython runs a
full pass every few seconds: 45-120 ms stalls, the worst part of the key latency tail measured
by bench/keys.py. So while an answer streams only the young generations are collected (they
still free the short-lived cycles a frame or a re-render leaves behind), and once it has been
drawn, one full pass runs and the survivors are frozen (``gc.freeze``) so later full passes no
longer walk the finished answer.

Why freezing is safe: frozen objects are still freed by reference counting the moment nothing
refers to them (a turn deleted, a chat closed, a strip evicted from a cache). The one thing the
collector no longer does for them is find *cycles* among them; the full pass just before the
freeze clears the cyclic garbage present then, so what can leak is only a cycle formed later
from objects alive at freeze time (e.g. a widget that is removed afterwards): small and bounded
per answer, against a 45-120 ms stall several times per answer without it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collect_and_freeze", "hold_full_collections", "release_full_collections"]
__all__ += ["young_collections_only"]

_NO_FULL_PASS = 1_000_000
"""Generation-2 threshold while streaming: that many gen-1 passes (never reached in practice)."""

_holders = 0
_saved: tuple[int, int, int] | None = None


def hold_full_collections() -> None:
    """No automatic full collection until the matching :func:`release_full_collections`."""
    global _holders, _saved
    if _holders == 0:
        _saved = gc.get_threshold()
        gc.set_threshold(_saved[0], _saved[1], _NO_FULL_PASS)
    _holders += 1


def release_full_collections() -> None:
    global _holders, _saved
    if _holders == 0:
        return
    _holders -= 1
    if _holders == 0 and _saved is not None:
        gc.set_threshold(*_saved)
        _saved = None


@contextmanager
def young_collections_only() -> Iterator[None]:
    """No automatic full collection inside the block (nested or overlapping blocks are fine)."""
    hold_full_collections()
    try:
        yield
    finally:
        release_full_collections()


def collect_and_freeze() -> None:
    """One full pass now, then move every survivor out of the collector's generations.

    Call it when a pause of a few tens of milliseconds is harmless (an answer has just been
    drawn) and not while a stream holds full passes back (they would run here anyway).
    """
    if _holders:
        return
    gc.collect()
    gc.freeze()
