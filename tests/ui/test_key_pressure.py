"""Keys first: right after a key, background slices (stream parsing, streamed re-renders)
shrink, so the key's trip through the app's queues is shorter (bench/keys.py)."""

from __future__ import annotations

import pytest
from apex_pilot import SIZE, AppFactory, settle

from apex_tui.ui import key_pressure


def test_slices_shrink_for_a_moment_after_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr(key_pressure, "monotonic", lambda: clock[0])
    monkeypatch.setattr(key_pressure, "_last_key", -1e9)  # keys pressed by earlier tests
    assert key_pressure.slice_for(0.003) == 0.003
    key_pressure.note_key()
    assert key_pressure.slice_for(0.003) == key_pressure.KEY_SLICE
    assert key_pressure.slice_for(0.0005) == 0.0005  # never longer than asked
    clock[0] += key_pressure.WINDOW + 0.01
    assert key_pressure.slice_for(0.003) == 0.003


async def test_the_app_notes_every_key(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(key_pressure, "WINDOW", 60.0)  # a slow machine must not fail this
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(key_pressure, "_last_key", -1e9)
        assert key_pressure.slice_for(0.003) == 0.003
        await pilot.press("a")
        assert key_pressure.slice_for(0.003) == key_pressure.KEY_SLICE
