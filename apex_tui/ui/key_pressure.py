"""Keys first: while someone is typing or scrolling, background UI work takes smaller bites.

A key crosses three queues (app, screen, widget) and waits at each behind whatever callback
runs there: the stream loop's parsing, a streamed re-render's slice. For a quarter of a second
after a key those slices shrink from 3 ms to 1 ms; the answer streams a little slower for that
moment, and the key's way to the screen is shorter."""

from __future__ import annotations

from time import monotonic

__all__ = ["KEY_SLICE", "WINDOW", "keys_arriving", "note_key", "slice_for"]

WINDOW = 0.25
"""Seconds after a key during which background slices stay small."""
KEY_SLICE = 0.001
"""A background slice while keys are arriving (seconds)."""

_last_key = -1.0


def note_key() -> None:
    """A key arrived (called by the app for every key event)."""
    global _last_key
    _last_key = monotonic()


def slice_for(normal: float) -> float:
    """How long a background slice may run now: ``normal``, or less right after a key."""
    if keys_arriving():
        return min(normal, KEY_SLICE)
    return normal


def keys_arriving() -> bool:
    """A key came within the last :data:`WINDOW` seconds (work that can wait should)."""
    return monotonic() - _last_key < WINDOW
