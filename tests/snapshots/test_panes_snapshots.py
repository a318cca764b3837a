"""Snapshots of the web-search pane (results from the real local server) and the research pane.

The research states are built from fixed job data and a fixed clock so the picture does not
depend on timing; the log text follows the server's step format (shared/apex-api.md §6).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import OptionList

from apex_tui.api.client import ApexClient
from apex_tui.server.embedded import EmbeddedServer
from apex_tui.ui.widgets.research_jobs import JobView
from apex_tui.ui.widgets.research_pane import ResearchPane
from apex_tui.ui.widgets.search_pane import SearchPane

SIZE = (120, 36)
STARTED = datetime(2026, 3, 14, 9, 30, 5, tzinfo=UTC)

PLAN = [
    "## Generating Research Plan\n",
    "## Research Plan\n\nQuestion: “How do Bittensor subnets reward miners?”\n\n"
    "1. What is known about bittensor, subnets, reward?\n"
    "2. How does Yuma Consensus bear on the question?\n"
    "3. What trade-offs and open problems remain?\n",
    "## Step 1: Planning Tools\n\nTool: `web_search` for “What is known about bittensor?”.\n",
    "## Executing web_search\n",
    "### Tool Results\n\n1. [Subnets overview](https://docs.example.org/subnets): "
    "validators score miners and set weights.\n",
    "## Analyzing Step 1\n\nValidators query miners and score their answers; weights set on "
    "chain decide each miner's share of emissions.\n",
]
REPORT = (
    "# Final Answer\n\nResearch question: “How do Bittensor subnets reward miners?”\n\n"
    "## How rewards flow\n\nValidators score miners; Yuma Consensus combines the scores into "
    "emissions [1].\n\n## Conclusion\n\n- Scores come from validators\n- Consensus clips "
    "outliers\n\n## Sources\n\n1. [Subnets overview](https://docs.example.org/subnets)\n"
)


class Host(App[None]):
    """Mounts one pane; closes the pane's client when the app ends."""

    def __init__(self, pane: Widget, client: ApexClient | None = None) -> None:
        super().__init__()
        self._pane = pane
        self._client = client

    def compose(self) -> ComposeResult:
        yield self._pane

    async def on_unmount(self) -> None:
        if self._client is not None:
            await self._client.aclose()


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local time is UTC so start times print the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def test_search_pane_with_results(snap_compare: Any, apex_server: EmbeddedServer) -> None:
    client = ApexClient(apex_server.base_url, "snapshot-key")
    pane = SearchPane(client, n_miners=2, n_results=2, max_response_time=10)

    async def run_before(pilot: Pilot[None]) -> None:
        pane.search("python asyncio event loop")
        await pilot.app.workers.wait_for_complete()
        pilot.app.query_one("#search-results", OptionList).focus()
        await pilot.pause()

    assert snap_compare(Host(pane, client), terminal_size=SIZE, run_before=run_before)


def research_pane(*views: JobView, now: datetime) -> ResearchPane:
    pane = ResearchPane(None, export_dir=Path("."), clock=lambda: now, resume=False)
    for view in views:
        pane.jobs[view.job_id] = view
    return pane


def finished_job() -> JobView:
    text = "".join([*PLAN, "## Generating Final Answer\n", REPORT])
    return JobView(
        "7d1f0c2e-5b6a-4c1d-9e8f-0a1b2c3d4e5f",
        title="How do Bittensor subnets reward miners?",
        status="completed",
        created_at=STARTED,
        updated_at=STARTED + timedelta(seconds=48),
        text=text,
        steps=len(PLAN) + 2,
        last_seq=len(PLAN) + 2,
        report=REPORT,
        loaded=True,
    )


def running_job() -> JobView:
    return JobView(
        "c0ffee00-1234-4abc-8def-112233445566",
        title="Compare proof of stake and proof of work",
        status="running",
        created_at=STARTED + timedelta(minutes=5),
        text="".join(PLAN),
        steps=len(PLAN),
        last_seq=len(PLAN),
        loaded=True,
    )


def test_research_pane_mid_job(snap_compare: Any, utc: None) -> None:
    running = running_job()
    now = STARTED + timedelta(minutes=5, seconds=21)
    pane = research_pane(finished_job(), running, now=now)

    async def run_before(pilot: Pilot[None]) -> None:
        pane.select(running.job_id)
        pane.query_one("#research-jobs", OptionList).focus()
        await pilot.pause()

    assert snap_compare(Host(pane), terminal_size=SIZE, run_before=run_before)


def test_research_pane_finished(snap_compare: Any, utc: None) -> None:
    done = finished_job()
    pane = research_pane(done, now=STARTED + timedelta(minutes=2))

    async def run_before(pilot: Pilot[None]) -> None:
        pane.select(done.job_id)
        pane.query_one("#research-jobs", OptionList).focus()
        await pilot.pause()

    assert snap_compare(Host(pane), terminal_size=SIZE, run_before=run_before)
