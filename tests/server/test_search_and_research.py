"""WebRetrieval ranking and deep-research jobs (to completion, and across a restart)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from apex_tui.server.db_lock import DatabaseBusyError
from apex_tui.server.embedded import EmbeddedServer

from .conftest import chat_body, fast_options, ok, rpc


def test_web_retrieval_ranks_and_limits(client: httpx.Client) -> None:
    data = ok(
        client,
        "WebRetrieval",
        {"searchQuery": "rust borrow checker", "nMiners": 2, "nResults": "3"},
    )
    results = data["results"]
    assert len(results) == 4  # the corpus's four documents on Rust; nothing else matches
    assert all("/rust-ownership/" in r["url"] for r in results)
    broad = ok(
        client, "WebRetrieval", {"searchQuery": "python http server", "nMiners": 2, "nResults": 3}
    )
    assert len(broad["results"]) == 6  # n_miners x n_results
    for result in results:
        assert result["relevant"] in result["content"]
    assert len({r["url"] for r in results}) == len(results)
    default = ok(client, "WebRetrieval", {"search_query": "SQLite WAL"})
    assert len(default["results"]) == 3  # 3 miners x 1 result
    assert "/sqlite/" in default["results"][0]["url"]
    nothing = ok(client, "WebRetrieval", {"search_query": "xylophone quasar"})
    assert nothing == {}
    bad = rpc(client, "WebRetrieval", {"search_query": "tcp", "n_miners": 0})
    assert bad.status_code == 400


def _wait_for(http: httpx.Client, job_id: str, status: str, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = ok(http, "GetDeepResearcherJob", {"job_id": job_id})
        if job["status"] == status:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {status}: {job}")


def test_research_job_runs_to_completion(server: EmbeddedServer, client: httpx.Client) -> None:
    body = chat_body("How do deep research agents use web search?", seed=42)
    body.update({"inference_mode": "Chain-of-Thought", "task": "InferenceTask", "stream": True})
    submitted = ok(client, "SubmitDeepResearcherJob", body)
    assert submitted["status"] == "pending"
    assert submitted["createdAt"].endswith("Z")
    job = _wait_for(client, submitted["jobId"], "completed")
    seq = [int(c["seqId"]) for c in job["result"]]
    assert seq == list(range(1, len(seq) + 1))
    contents = [json.loads(c["chunk"])[0]["content"] for c in job["result"]]
    assert job["result"][0]["chunk"] == json.dumps([{"content": "## Generating Research Plan\n"}])
    assert any(c.startswith("## Step 1: Planning Tools") for c in contents)
    assert contents[-1].startswith("# Final Answer")
    assert "corpus.apex-tui.local" in contents[-1]
    assert job["updatedAt"] > job["createdAt"]
    assert "error" not in job
    with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer x"}) as other:
        assert rpc(other, "GetDeepResearcherJob", {"job_id": submitted["jobId"]}).status_code == 404


def test_research_job_resumes_after_restart(tmp_path: Path) -> None:
    headers = {"Authorization": "Bearer researcher"}
    body = chat_body("What is Bittensor and how do subnets work?", seed=7)
    with (
        EmbeddedServer(fast_options(tmp_path, research_step_seconds=0.3)) as server,
        httpx.Client(base_url=server.base_url, headers=headers) as http,
    ):
        job_id = ok(http, "SubmitDeepResearcherJob", body)["jobId"]
        partial = _wait_for(http, job_id, "running")
    assert 0 < len(partial["result"]) < 10
    with (
        EmbeddedServer(fast_options(tmp_path, research_step_seconds=0.01)) as server,
        httpx.Client(base_url=server.base_url, headers=headers) as http,
    ):
        done = _wait_for(http, job_id, "completed")
    assert [int(c["seqId"]) for c in done["result"]] == list(range(1, len(done["result"]) + 1))
    assert done["result"][: len(partial["result"])] == partial["result"]
    # the same request and seed on a fresh server gives the same steps
    with (
        EmbeddedServer(fast_options(tmp_path / "b", research_step_seconds=0.0)) as server,
        httpx.Client(base_url=server.base_url, headers=headers) as http,
    ):
        again = _wait_for(http, ok(http, "SubmitDeepResearcherJob", body)["jobId"], "completed")
    assert [c["chunk"] for c in again["result"]] == [c["chunk"] for c in done["result"]]


def test_research_job_that_cannot_resume_is_marked_failed(tmp_path: Path) -> None:
    headers = {"Authorization": "Bearer researcher"}
    with (
        EmbeddedServer(fast_options(tmp_path, research_step_seconds=0.3)) as server,
        httpx.Client(base_url=server.base_url, headers=headers) as http,
    ):
        job_id = ok(http, "SubmitDeepResearcherJob", chat_body("Explain TCP", seed=1))["jobId"]
        _wait_for(http, job_id, "running")
        storage = server.state.storage
        # simulate stored steps that no longer match what this version computes
        storage._db.execute("UPDATE job_chunks SET chunk='[]' WHERE job_id=?", (job_id,))
    with (
        EmbeddedServer(fast_options(tmp_path)) as server,
        httpx.Client(base_url=server.base_url, headers=headers) as http,
    ):
        failed = _wait_for(http, job_id, "failed")
    assert "could not resume" in failed["error"]


def test_a_second_server_on_a_database_in_use_refuses_to_start(tmp_path: Path) -> None:
    """One server per database (``db_lock``): a second one would step the first one's
    research jobs too. It says which process holds the file; once that one is gone the next
    start works and resumes what is left."""
    headers = {"Authorization": "Bearer researcher"}
    body = chat_body("How do validators score miners?", seed=3)
    with (
        EmbeddedServer(fast_options(tmp_path, research_step_seconds=0.3)) as first,
        httpx.Client(base_url=first.base_url, headers=headers) as http,
    ):
        job_id = ok(http, "SubmitDeepResearcherJob", body)["jobId"]
        _wait_for(http, job_id, "running")
        with pytest.raises(DatabaseBusyError) as refused:
            EmbeddedServer(fast_options(tmp_path, research_step_seconds=0.0)).start()
        assert f"(pid {os.getpid()})" in str(refused.value)
        assert "apex-tui server stop" in str(refused.value)
        assert job_id in first.state.research._tasks
    with (
        EmbeddedServer(fast_options(tmp_path, research_step_seconds=0.0)) as third,
        httpx.Client(base_url=third.base_url, headers=headers) as http,
    ):
        done = _wait_for(http, job_id, "completed")
    assert [int(c["seqId"]) for c in done["result"]] == list(range(1, len(done["result"]) + 1))
