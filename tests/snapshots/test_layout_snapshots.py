"""The layouts of issue 14 at 120×36 and 80×24, as pictures: the main screen with a chat, the
search pane with results, the research pane with a job, settings (F4), the delete dialog and
the export dialog. At 80×24 a pane covers the chat and says how to get back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_app_snapshots import (
    FIXED,
    open_seeded_chat,
    quiet,
    quiet_panes,
    show_jobs,
    steady_settings,
)

SIZES = [(120, 36), (80, 24)]
sizes = pytest.mark.parametrize("size", SIZES, ids=["120x36", "80x24"])


@sizes
def test_layout_main_with_chat(snap_compare: Any, build: Any, size: tuple[int, int]) -> None:
    assert snap_compare(build(), terminal_size=size, run_before=open_seeded_chat)


@sizes
def test_layout_search_pane(snap_compare: Any, build: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await open_seeded_chat(pilot)
        main = pilot.app.main_screen
        main.search_pane.search("python asyncio event loop")
        main.action_toggle_search()
        await pilot.app.workers.wait_for_complete()
        main.search_pane.history[-1].started = FIXED
        main.search_pane.query_one("#search-results").focus()
        await quiet_panes(pilot)

    assert snap_compare(build(), terminal_size=size, run_before=run_before)


@sizes
def test_layout_research_pane_with_a_job(
    snap_compare: Any, build: Any, utc: None, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Any) -> None:
        await open_seeded_chat(pilot)
        show_jobs(pilot.app.main_screen, running=True)
        await quiet_panes(pilot)

    assert snap_compare(build(), terminal_size=size, run_before=run_before)


@sizes
def test_layout_settings(snap_compare: Any, build: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await quiet(pilot)
        await pilot.press("f4")
        await pilot.pause()
        steady_settings(pilot)
        await quiet(pilot)

    assert snap_compare(build(), terminal_size=size, run_before=run_before)


@sizes
def test_layout_delete_dialog(snap_compare: Any, build: Any, size: tuple[int, int]) -> None:
    async def run_before(pilot: Any) -> None:
        await open_seeded_chat(pilot)
        pilot.app.main_screen.sessions.query_one("#chat-list").focus()
        await pilot.press("delete")
        await pilot.pause()
        await quiet(pilot)

    assert snap_compare(build(), terminal_size=size, run_before=run_before)


@sizes
def test_layout_export_dialog(
    snap_compare: Any, build: Any, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the dialog shows the folder first; the test's own would change from run to run
    monkeypatch.setattr(
        "apex_tui.ui.export.default_export_dir", lambda: Path("/home/you/Documents")
    )

    async def run_before(pilot: Any) -> None:
        await open_seeded_chat(pilot)
        pilot.app.main_screen.action_export_chat()
        await pilot.pause()
        await quiet(pilot)

    assert snap_compare(build(), terminal_size=size, run_before=run_before)
