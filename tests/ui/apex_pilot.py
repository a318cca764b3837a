"""Helpers of the Pilot tests (imported by the test modules and conftest)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from apex_tui.ui.app import ApexApp
from apex_tui.ui.screens.main import MainScreen

AppFactory = Callable[..., ApexApp]
SIZE = (120, 36)


async def settle(pilot: Pilot[Any]) -> None:
    """Let every worker finish, the side panes mount (they mount just after the chat list
    shows) and the screen catch up."""
    app = pilot.app
    await pilot.pause()
    await wait_for_workers(app)
    await pilot.pause()
    main = main_of(app)
    if main is not None:
        await main.panes.mounted()
        main.view.flush()
    await pilot.pause()


async def wait_for_workers(app: Any) -> None:
    """Wait until no worker runs, workers started meanwhile included.

    ``WorkerManager.wait_for_complete`` raises ``WorkerCancelled`` when one of the workers it
    waits for was cancelled (an exclusive worker replaced by a newer one): that is an ending too.
    """
    while True:
        running = [w for w in app.workers if not w.is_finished]
        if not running:
            return
        for worker in running:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()


def main_of(app: Any) -> MainScreen:
    main = app.main_screen
    assert main is not None
    return main


def notices(app: Any) -> list[str]:
    """Every toast so far, as "title: message"."""
    return [f"{n.title}: {n.message}" for n in app._notifications]


KEY = "test-key"


async def send(pilot: Pilot[Any], text: str, mode: str | None = None) -> None:
    """Type ``text`` into the prompt (in ``mode`` when given) and press Enter."""
    main = main_of(pilot.app)
    if mode is not None:
        main.prompt_bar.completion_type = mode
    main.prompt_bar.input.focus()
    main.prompt_bar.input.load_text(text)
    await pilot.press("enter")


async def until(
    pilot: Pilot[Any], condition: Callable[[], object], what: str, bound: int = 3000
) -> None:
    """Wait (in 10 ms pauses, at most ``bound`` of them: a bound, not a timed assertion) until
    ``condition()`` holds; fail naming ``what`` otherwise."""
    for _ in range(bound):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"never happened: {what}")
