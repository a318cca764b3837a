"""Pilot tests of the deep-research pane against the real local server over loopback HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher, Markdown, OptionList, Static

from apex_tui.api.client import ApexClient
from apex_tui.server.embedded import EmbeddedServer, ServerOptions
from apex_tui.server.research import encode_chunk
from apex_tui.server.storage import Storage
from apex_tui.services.research import ResearchTracker, chunk_text
from apex_tui.services.state import JobStore
from apex_tui.ui.controllers.research_report import SavedReport, store_report_in_chat
from apex_tui.ui.widgets.research_jobs import JobView
from apex_tui.ui.widgets.research_log import NEW_BELOW, ResearchLog
from apex_tui.ui.widgets.research_pane import PAST_PREFIX, ResearchPane

QUESTION = "How does proof of stake differ from proof of work?"


class ResearchApp(App[None]):
    """The smallest host for the pane: records messages, bells, and saves reports when asked."""

    def __init__(self, tracker: ResearchTracker, export_dir: Path) -> None:
        super().__init__()
        self.tracker = tracker
        self.export_dir = export_dir
        self.finished: list[str] = []
        self.saved: list[SavedReport] = []
        self.bells = 0

    def compose(self) -> ComposeResult:
        yield ResearchPane(self.tracker, export_dir=self.export_dir)

    def bell(self) -> None:
        self.bells += 1

    def on_research_pane_job_finished(self, message: ResearchPane.JobFinished) -> None:
        self.finished.append(message.job.job_id)

    async def on_research_pane_save_report_to_chat(
        self, message: ResearchPane.SaveReportToChat
    ) -> None:
        self.saved.append(
            await store_report_in_chat(self.tracker.client, message.job, chat_id=None)
        )

    def notices(self) -> list[str]:
        return [n.message for n in self._notifications]


@pytest.fixture
async def client(apex_server: EmbeddedServer) -> AsyncIterator[ApexClient]:
    # No client-side retries: every injected 503/429 reaches the tracker, which must cope.
    async with ApexClient(apex_server.base_url, "test-key", max_retries=0) as apex:
        yield apex


def make_tracker(client: ApexClient, tmp_path: Path) -> ResearchTracker:
    return ResearchTracker(
        client, JobStore(tmp_path / "research.json"), poll_interval=0.05, max_poll_interval=0.2
    )


async def server_log(client: ApexClient, job_id: str) -> list[str]:
    """Every step's text as the server holds it, in seqId order."""
    reply = await client.get_deep_researcher_job(job_id)
    return [chunk_text(c.chunk) for c in sorted(reply.result, key=lambda c: c.seq_id)]


async def settle(app: App[None], pilot: Pilot[None]) -> None:
    """Wait until no worker runs (a submit starts a follower, a finish reloads past research)."""
    while any(not w.is_finished for w in app.workers):
        await app.workers.wait_for_complete()
        await pilot.pause()
    await pilot.pause()


async def start_and_finish(app: ResearchApp, pilot: Pilot[None], prompt: str = QUESTION) -> JobView:
    pane = app.query_one(ResearchPane)
    pane.start_job(prompt)
    await settle(app, pilot)
    assert pane.selected is not None
    return pane.selected


async def test_job_from_submit_to_report_shows_each_step_once_in_order(
    client: ApexClient, tmp_path: Path
) -> None:
    app = ResearchApp(make_tracker(client, tmp_path), tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await start_and_finish(app, pilot)
        pane = app.query_one(ResearchPane)
        assert view.status == "completed" and view.title == QUESTION
        steps = await server_log(client, view.job_id)
        assert len(steps) > 2
        log = app.query_one(ResearchLog)
        assert log.source == "".join(steps) == view.text
        assert view.steps == len(steps)
        assert view.report and view.report in view.text
        assert app.query_one(ContentSwitcher).current == "research-report-box"
        assert app.query_one("#research-report", Markdown).source == view.report
        row = str(app.query_one("#research-jobs", OptionList).get_option(view.job_id).prompt)
        assert "completed" in row and f"{len(steps)} steps" in row
        assert app.finished == [view.job_id] and app.bells == 1
        assert any("Research finished" in n for n in app.notices())
        # r flips between the report and the full log
        pane.query_one("#research-jobs", OptionList).focus()
        await pilot.press("r")
        assert app.query_one(ContentSwitcher).current == "research-log"
        # x forgets a finished job here; the server still lists it as past research
        await pilot.press("x")
        await settle(app, pilot)
        assert view.job_id not in pane.jobs and view.job_id in pane.past
        assert pane.tracker is not None and pane.tracker.store.get(view.job_id) is None


async def test_two_jobs_at_once_keep_their_own_logs(client: ApexClient, tmp_path: Path) -> None:
    app = ResearchApp(make_tracker(client, tmp_path), tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(ResearchPane)
        pane.start_job("What is a Merkle tree?")
        pane.start_job("Compare SQLite FTS5 and BM25 ranking")
        await settle(app, pilot)
        assert len(pane.jobs) == 2
        assert all(v.status == "completed" for v in pane.jobs.values())
        assert sorted(app.finished) == sorted(pane.jobs) and app.bells == 2
        for job_id, view in pane.jobs.items():
            assert view.text == "".join(await server_log(client, job_id))
            pane.select(job_id)
            await pilot.pause()
            assert app.query_one(ResearchLog).source == view.text


async def test_copy_and_export_the_report(client: ApexClient, tmp_path: Path) -> None:
    app = ResearchApp(make_tracker(client, tmp_path), tmp_path / "exports")
    async with app.run_test(size=(120, 36)) as pilot:
        view = await start_and_finish(app, pilot)
        app.query_one("#research-jobs", OptionList).focus()
        await pilot.press("c")
        assert app.clipboard == view.report
        await pilot.press("e")
        exported = tmp_path / "exports" / f"research-{view.job_id[:8]}.md"
        text = exported.read_text(encoding="utf-8")
        assert QUESTION in text and view.job_id in text and view.report.strip() in text


async def test_export_in_a_browser_is_a_download(
    client: ApexClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under textual-serve (``app.is_web``) the export goes to the browser, through the
    driver's delivery (what the web driver sends on to textual-serve), not to a file."""
    app = ResearchApp(make_tracker(client, tmp_path), tmp_path / "exports")
    async with app.run_test(size=(120, 36)) as pilot:
        view = await start_and_finish(app, pilot)
        delivered: list[tuple[str, str, str | None]] = []

        def deliver_binary(binary: Any, *, save_path: Path, mime_type: str, **_: Any) -> None:
            delivered.append((save_path.name, binary.read(), mime_type))

        monkeypatch.setattr(type(app), "is_web", property(lambda self: True))
        monkeypatch.setattr(app._driver, "deliver_binary", deliver_binary)
        app.query_one("#research-jobs", OptionList).focus()
        await pilot.press("e")
        await pilot.pause()
    [(name, text, mime)] = delivered
    assert name == f"research-{view.job_id[:8]}.md" and mime == "text/markdown"
    assert QUESTION in text and view.report.strip() in text
    assert not (tmp_path / "exports").exists()
    assert any("download" in n for n in app.notices())


async def test_save_report_to_chat_stores_a_linked_completion(
    client: ApexClient, tmp_path: Path
) -> None:
    app = ResearchApp(make_tracker(client, tmp_path), tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        view = await start_and_finish(app, pilot)
        app.query_one("#research-jobs", OptionList).focus()
        await pilot.press("s")
        await pilot.pause()
        assert len(app.saved) == 1
    saved = app.saved[0]
    stored = await client.get_stored_chat_completions(saved.chat_id)
    assert [c.id for c in stored] == [saved.completion.id]
    assert stored[0].completion_text == view.report
    assert stored[0].user_prompt_text == QUESTION
    entry = (stored[0].metadata or {})["deep-researcher"]
    assert entry["jobId"] == view.job_id and entry["status"] == "completed" and entry["createdAt"]
    linked = await client.get_completions_with_deep_researcher_entry()
    assert saved.completion.id in {c.id for c in linked}


async def test_polling_through_503_and_429_says_it_is_retrying(
    client: ApexClient, apex_server: EmbeddedServer, tmp_path: Path
) -> None:
    apex_server.inject_fault("status=503", method="GetDeepResearcherJob", times=2)
    app = ResearchApp(make_tracker(client, tmp_path), tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(ResearchPane)
        seen: list[str] = []
        original = pane._follower.apply

        def spy(view: JobView, update: object) -> None:
            original(view, update)  # type: ignore[arg-type]
            seen.append(view.notice)

        pane._follower.apply = spy  # type: ignore[method-assign]
        pane.start_job(QUESTION)
        await pilot.pause()
        apex_server.inject_fault("status=429;retry-after=0", method="GetDeepResearcherJob", times=2)
        await settle(app, pilot)
        view = pane.selected
        assert view is not None and view.status == "completed"
        assert any("retrying" in notice for notice in seen)
        assert seen[-1] == "" and view.notice == ""
        assert any("retrying" in n for n in app.notices())
        assert view.text == "".join(await server_log(client, view.job_id))


async def test_past_research_is_listed_from_stored_completions(
    client: ApexClient, tmp_path: Path
) -> None:
    first = ResearchApp(make_tracker(client, tmp_path), tmp_path)
    async with first.run_test(size=(120, 36)) as pilot:
        view = await start_and_finish(first, pilot)
    # Another machine: no local watch list, the job is known only from the server.
    other = ResearchApp(make_tracker(client, tmp_path / "elsewhere"), tmp_path)
    async with other.run_test(size=(120, 36)) as pilot:
        await settle(other, pilot)
        pane = other.query_one(ResearchPane)
        assert view.job_id in pane.past and not pane.jobs
        jobs = other.query_one("#research-jobs", OptionList)
        jobs.focus()
        jobs.highlighted = jobs.get_option_index(PAST_PREFIX + view.job_id)
        await settle(other, pilot)
        past = pane.past[view.job_id]
        assert pane.selected is past and past.loaded
        assert past.text == view.text and past.report == view.report


@pytest.fixture
def paced_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """A server whose research steps come slowly enough to quit in the middle of a job."""
    server = EmbeddedServer(
        ServerOptions(db_path=tmp_path / "paced.db", tokens_per_second=0, research_step_seconds=0.3)
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_quit_mid_job_and_restart_resumes_without_repeats(
    paced_server: EmbeddedServer, tmp_path: Path
) -> None:
    async with ApexClient(paced_server.base_url, "test-key") as apex:
        first = ResearchApp(make_tracker(apex, tmp_path), tmp_path)
        async with first.run_test(size=(120, 36)) as pilot:
            pane = first.query_one(ResearchPane)
            pane.start_job(QUESTION)
            while pane.selected is None or pane.selected.steps < 1:
                await pilot.pause(0.05)
            job_id = pane.selected.job_id
            assert not pane.selected.done, "the job should still be running when we quit"
        second = ResearchApp(make_tracker(apex, tmp_path), tmp_path)
        async with second.run_test(size=(120, 36)) as pilot:
            await settle(second, pilot)
            pane = second.query_one(ResearchPane)
            view = pane.jobs[job_id]
            assert view.status == "completed" and second.finished == [job_id]
            steps = await server_log(apex, job_id)
            assert view.text == "".join(steps) and view.steps == len(steps)
            pane.select(job_id)
            await pilot.pause()
            assert second.query_one(ResearchLog).source == view.text


async def test_log_follows_newest_step_unless_scrolled_up() -> None:
    class LogApp(App[None]):
        def compose(self) -> ComposeResult:
            yield ResearchLog()

    app = LogApp()
    async with app.run_test(size=(60, 12)) as pilot:
        log = app.query_one(ResearchLog)
        log.show("", finished=False)
        for n in range(1, 21):
            log.add(f"## Step {n}\n- searched\n")
        await pilot.pause()
        assert log.max_scroll_y > 0 and log.following
        log.scroll_home(animate=False)
        await pilot.pause()
        log.add("## Step 21\n")
        await pilot.pause()
        assert log.scroll_y == 0 and log.border_subtitle == NEW_BELOW
        assert log.has_class("-behind")
        log.scroll_end(animate=False)
        await pilot.pause()
        assert log.border_subtitle == ""
        log.add("## Step 22 cut mid")
        assert log.source.endswith("cut mid") and log._pending == "## Step 22 cut mid"
        log.add("-line\n")
        assert log._pending == ""
        assert log.source.count("## Step 22 cut mid-line") == 1


def test_summary_of_a_failed_job_says_what_to_do() -> None:
    view = JobView("job-1", title="q", status="failed", error="engine crashed\x1b[2J")
    text = view.summary().plain
    assert "Failed: engine crashed" in text and "\x1b" not in text
    assert "try again" in text


async def test_failed_job_shows_its_error_after_a_server_restart(tmp_path: Path) -> None:
    """A real failure: the server restarts, finds stored steps it cannot continue, fails the job.

    While the server is down the pane keeps polling (connection refused is retryable).
    """
    db = tmp_path / "failing.db"
    paced = ServerOptions(db_path=db, tokens_per_second=0, research_step_seconds=0.3)
    server = EmbeddedServer(paced)
    base_url = server.start()
    port = int(base_url.rsplit(":", 1)[1])
    restarted = EmbeddedServer(
        ServerOptions(db_path=db, tokens_per_second=0, research_step_seconds=0.3, port=port)
    )
    try:
        async with ApexClient(base_url, "test-key", max_retries=0) as apex:
            app = ResearchApp(make_tracker(apex, tmp_path), tmp_path)
            async with app.run_test(size=(120, 36)) as pilot:
                pane = app.query_one(ResearchPane)
                pane.start_job(QUESTION)
                while pane.selected is None or pane.selected.steps < 1:
                    await pilot.pause(0.05)
                view = pane.selected
                await asyncio.to_thread(server.stop)
                storage = Storage(db)
                try:
                    job = storage.get_job(view.job_id)
                    assert job is not None and job.status == "running"
                    storage.append_job_chunk(
                        view.job_id, len(job.chunks) + 1, encode_chunk("tampered"), "running"
                    )
                finally:
                    storage.close()
                await asyncio.to_thread(restarted.start)
                await settle(app, pilot)
                assert view.status == "failed"
                assert "no longer match" in view.error
                summary = app.query_one("#research-summary", Static).render()
                assert "Failed:" in str(summary) and "try again" in str(summary)
                assert app.query_one(ContentSwitcher).current == "research-log"
                assert app.finished == [view.job_id] and app.bells == 1
                assert any("Research failed" in n for n in app.notices())
                assert view.text == "".join(await server_log(apex, view.job_id))
    finally:
        server.stop()
        restarted.stop()
