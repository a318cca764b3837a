"""The search and research panes are not in the first frame: they mount once the chat list is
shown, yet their keys work at once and watched research jobs still resume and announce."""

from __future__ import annotations

from typing import Any

from apex_pilot import KEY, SIZE, AppFactory, settle

from apex_tui.api.client import ApexClient
from apex_tui.api.models import ChatCompletionRequest, ChatMessage
from apex_tui.services.state import JobStore, WatchedJob


async def _panes_ready(pilot: Any) -> None:
    main = pilot.app.main_screen
    for _ in range(2000):  # a bound, not a clock: the panes mount after the list loads
        if main.panes.ready:
            return
        await pilot.pause(0.01)
    raise AssertionError("the side panes never mounted")


async def test_f3_right_at_start_opens_the_search_pane(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")  # possibly before the panes exist: created on demand
        await _panes_ready(pilot)
        await pilot.pause()
        main = app.main_screen
        assert main is not None
        assert main.search_pane.display
        assert app.focused is not None and main.search_pane in app.focused.ancestors_with_self
        await pilot.press("f5")
        await pilot.pause()
        assert main.research_pane.display


async def test_panes_mount_hidden_after_the_list(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _panes_ready(pilot)
        await settle(pilot)
        main = app.main_screen
        assert main is not None
        assert not main.search_pane.display and not main.research_pane.display
        assert not main.query_one("#side").display
        assert main.panes.open_panes() == []


async def test_a_watched_job_resumes_and_is_announced(
    make_app: AppFactory, apex_server: Any, tmp_path: Any
) -> None:
    async with ApexClient(apex_server.base_url, KEY) as client:
        request = ChatCompletionRequest(
            messages=[ChatMessage(role="user", content="How do subnets reward miners?")]
        )
        job = await client.submit_deep_researcher_job(request)
    JobStore(tmp_path / "state" / "research.json").put(
        WatchedJob(job_id=job.job_id, prompt="How do subnets reward miners?")
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _panes_ready(pilot)
        main = app.main_screen
        assert main is not None
        view = main.research_pane.jobs[job.job_id]
        for _ in range(3000):
            if view.done:
                break
            await pilot.pause(0.01)
        await settle(pilot)
        assert view.status == "completed"
        toasts = [n.message for n in app._notifications]
        assert any(t.startswith("Research finished") for t in toasts), toasts


async def test_quitting_while_the_side_panes_mount_is_clean(make_app: AppFactory) -> None:
    """Ctrl+Q (or a hang-up) right as the deferred panes mount — ~1.5 s after start, or just
    after the list loads — must not crash on a pane whose children are already gone."""
    for delay in (0.0, 0.0, 0.001, 0.003, 0.005, 0.01, 0.02):
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            app.main_screen.panes.mount()
            if delay:
                await pilot.pause(delay)
            app.exit()


async def test_the_delayed_pane_mount_after_a_quit_is_clean(make_app: AppFactory) -> None:
    """A quit that comes before the panes' delayed mount (Ctrl+Q within the first second): the
    mount that fires while the app is exiting does nothing instead of raising MountError."""
    app = make_app()
    async with app.run_test(size=SIZE):
        main = app.main_screen
        app.exit()
        main.panes.mount()  # what the timer or the chat list's arrival does then
        assert not main.panes.ready
    assert app.return_code in (0, None)
