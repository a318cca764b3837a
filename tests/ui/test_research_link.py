"""Research jobs and their chats (issue 14, items 2-4): one chat per job, the chat a job was
started from, shown at once; the attached sources go with the job and leave the prompt."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apex_pilot import KEY, SIZE, AppFactory, main_of, notices, send, settle
from test_app_panes import fast_research

from apex_tui.api.client import ApexClient
from apex_tui.server.embedded import EmbeddedServer, ServerOptions
from apex_tui.ui.widgets.prompt_bar import RESEARCH_MODE


@pytest.fixture
def slow_research(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """A server whose research steps take a minute: a job stays running for the whole test."""
    server = EmbeddedServer(
        ServerOptions(db_path=tmp_path / "slow.db", tokens_per_second=0, research_step_seconds=60)
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_a_job_from_the_new_chat_is_one_chat_shown_at_once(
    make_app: AppFactory, slow_research: EmbeddedServer
) -> None:
    app = make_app(base_url=slow_research.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = main_of(app)
        await main.panes.mounted()
        await send(pilot, "How do subnets reward miners?", mode=RESEARCH_MODE)
        pane = main.research_pane
        while not pane.jobs or not next(iter(pane.jobs.values())).chat_id:
            await pilot.pause(0.05)
        [job] = pane.jobs.values()
        while main.chat_id != job.chat_id or not main.view.turns:
            await pilot.pause(0.05)
        assert not job.done  # still running: the chat is there before the report
        while job.chat_id not in main.sessions.visible_ids:
            await pilot.pause(0.05)
        assert main.sessions.visible_ids == [job.chat_id]
        [turn] = main.view.turns
        assert turn.prompt == job.title and turn.answer == "Researching…"


async def test_attached_sources_go_with_the_job_and_leave_the_prompt(
    make_app: AppFactory, apex_server: Any
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        fast_research(main)
        main.search_pane.search("sqlite wal mode")
        await settle(pilot)
        results = main.search_pane.current.results  # type: ignore[union-attr]
        main.search_flow.attach(results[:2])
        assert main.prompt_bar.input.border_title == "2 sources attached"
        await send(pilot, "What limits SQLite concurrency?", mode=RESEARCH_MODE)
        await settle(pilot)
        assert main.search_flow.attached == []
        assert not main.prompt_bar.input.border_title
        assert any("with the 2 attached sources" in n for n in notices(app))
        [job] = main.research_pane.jobs.values()
    async with ApexClient(apex_server.base_url, KEY) as client:
        stored = await client.get_stored_chat_completions(job.chat_id)
    assert [s.user_prompt_text for s in stored] == ["What limits SQLite concurrency?"]
    assert stored[0].completion_text == job.report


async def test_save_to_chat_from_the_new_chat_opens_the_job_chat(
    make_app: AppFactory, apex_server: Any
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        fast_research(main)
        await send(pilot, "What is Bittensor?", mode=RESEARCH_MODE)
        await settle(pilot)
        [job] = main.research_pane.jobs.values()
        await pilot.press("ctrl+n")
        assert main.chat_id is None
        main.research_pane.query_one("#research-jobs").focus()
        await pilot.press("s")
        await settle(pilot)
        assert main.chat_id == job.chat_id
        assert main.sessions.visible_ids == [job.chat_id]  # still one chat for the job
        assert [t.answer for t in main.view.turns] == [job.report]


async def test_a_job_finishing_in_the_open_chat_leaves_the_focus_where_it_is(
    make_app: AppFactory, apex_server: Any
) -> None:
    """The open chat is reloaded to show the report; the reader of the research log keeps
    the cursor (it used to jump to the prompt)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        fast_research(main)
        await send(pilot, "first")
        await settle(pilot)
        await send(pilot, "How do subnets reward miners?", mode=RESEARCH_MODE)
        pane = main.research_pane
        while not pane.jobs:
            await pilot.pause(0.05)
        [job] = pane.jobs.values()
        jobs_list = pane.query_one("#research-jobs")
        jobs_list.focus()
        while not job.done:
            await pilot.pause(0.05)
        await settle(pilot)
        assert job.chat_id == main.chat_id and "Researching…" not in main.view.turns[-1].answer
        assert app.focused is jobs_list
