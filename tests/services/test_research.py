"""Research tracking against the real local server: follow to the end, dedupe, resume."""

from __future__ import annotations

from contextlib import aclosing
from typing import TYPE_CHECKING

from apex_tui.api.client import ApexClient
from apex_tui.api.models import DeepResearcherResultChunk
from apex_tui.services.research import ResearchTracker, _new_steps, chunk_text
from apex_tui.services.state import JobStore

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer


def test_chunks_are_parsed_tolerantly() -> None:
    assert chunk_text('[{"content": "## Step 1\\n"}]') == "## Step 1\n"
    assert chunk_text('[{"content": "a"}, {"role": "x"}, {"content": "b"}]') == "ab"
    assert chunk_text('{"content": "solo"}') == "solo"
    assert chunk_text("plain text, not JSON") == "plain text, not JSON"
    assert chunk_text('"a json string"') == "a json string"


def test_steps_are_deduplicated_by_seq_id_and_ordered() -> None:
    result = [
        DeepResearcherResultChunk(seq_id=2, chunk='[{"content": "two"}]'),
        DeepResearcherResultChunk(seq_id=1, chunk='[{"content": "one"}]'),
        DeepResearcherResultChunk(seq_id=2, chunk='[{"content": "two again"}]'),
        DeepResearcherResultChunk(seq_id=3, chunk='[{"content": "three"}]'),
    ]
    assert [(s.seq_id, s.text) for s in _new_steps(result, 1)] == [(2, "two"), (3, "three")]


async def test_follow_interrupt_and_resume(apex_server: EmbeddedServer, tmp_path) -> None:
    store = JobStore(tmp_path / "research.json")
    async with ApexClient(apex_server.base_url, "k") as client:
        tracker = ResearchTracker(client, store, poll_interval=0.02, max_poll_interval=0.1)
        job_id = await tracker.submit("How do rate limits work?")
        assert [j.job_id for j in tracker.list_jobs()] == [job_id]

        first: list[int] = []
        updates = tracker.follow(job_id)
        async with aclosing(updates):
            async for update in updates:
                first += [s.seq_id for s in update.steps]
                if first:
                    break  # interrupted after the first batch of steps
        assert first and store.get(job_id).last_seq_id == first[-1]  # type: ignore[union-attr]

        # A new tracker (a later run) resumes after what was shown.
        again = ResearchTracker(client, JobStore(store.path), poll_interval=0.02)
        second: list[int] = []
        final = None
        async for update in again.follow(job_id):
            second += [s.seq_id for s in update.steps]
            final = update
        assert final is not None and final.done and final.status == "completed"
        assert final.report and not final.error
        assert not set(first) & set(second)
        assert sorted(first + second) == list(range(1, max(second) + 1))
        assert store.get(job_id).status == "completed"  # type: ignore[union-attr]

        # The job is linked from a stored completion, with the report written back.
        (linked,) = await client.get_completions_with_deep_researcher_entry()
        assert (linked.metadata or {})["deep-researcher"]["jobId"] == job_id
        stored = await client.get_chat_completion(linked.id)
        assert stored.completion_text == final.report
