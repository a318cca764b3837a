"""Helpers of the Pilot tests (imported by the test modules and conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from apex_tui.ui.app import ApexApp
from apex_tui.ui.screens.main import MainScreen

AppFactory = Callable[..., ApexApp]
SIZE = (120, 36)


async def settle(pilot: Pilot[Any]) -> None:
    """Let every worker finish and the screen catch up (no clocks involved)."""
    app = pilot.app
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    main = main_of(app)
    if main is not None:
        main.view.flush()
    await pilot.pause()


def main_of(app: Any) -> MainScreen:
    main = app.main_screen
    assert main is not None
    return main


def notices(app: Any) -> list[str]:
    """Every toast so far, as "title: message"."""
    return [f"{n.title}: {n.message}" for n in app._notifications]


KEY = "test-key"
