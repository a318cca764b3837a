"""Deep research driven by a model: the openai engine against a scripted model server and a
SearXNG-compatible search server (real HTTP on loopback), to completion, through upstream
failures, and across a restart in the middle of a job."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fakes.model_server import ModelServer
from fakes.searxng import SearchLog, make_searxng
from fakes.serve import serving

from apex_tui.server.embedded import EmbeddedServer
from apex_tui.server.research_agent import parse_plan, tidy_report
from apex_tui.server.research_layout import (
    Source,
    final_chunk,
    plan_chunk,
    read_chunks,
    results_chunk,
)

from .conftest import chat_body, fast_options, ok

HEADERS = {"Authorization": "Bearer researcher"}
QUESTION = "How do SQLite and PostgreSQL handle concurrent readers and writers?"


@pytest.fixture
def model() -> Iterator[tuple[ModelServer, str]]:
    fake = ModelServer()
    with serving(fake.app()) as url:
        yield fake, url


@pytest.fixture
def searxng() -> Iterator[tuple[SearchLog, str]]:
    log = SearchLog()
    with serving(make_searxng(log)) as url:
        yield log, url


def research_server(tmp_path: Path, model_url: str, searx_url: str, **extra: Any) -> EmbeddedServer:
    options: dict[str, Any] = {
        "engine": "openai",
        "upstream_url": model_url + "/v1",
        "upstream_key": "up-key",
        "upstream_model": "tiny",
        "searxng_url": searx_url,
        "fetch_private_pages": True,  # the test pages are on loopback
        "upstream_retry_seconds": 0.01,
    }
    options.update(extra)
    return EmbeddedServer(fast_options(tmp_path, **options))


def submit(http: httpx.Client, prompt: str = QUESTION) -> str:
    body = chat_body(prompt, seed=5, inference_mode="Chain-of-Thought", task="InferenceTask")
    return str(ok(http, "SubmitDeepResearcherJob", body)["jobId"])


def wait_for(http: httpx.Client, job_id: str, statuses: tuple[str, ...], chunks: int = 0) -> dict:
    deadline = time.monotonic() + 60
    job: dict[str, Any] = {}
    while time.monotonic() < deadline:
        job = ok(http, "GetDeepResearcherJob", {"job_id": job_id})
        if job["status"] in statuses and len(job.get("result", [])) >= chunks:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never reached {statuses}: {job}")


def texts(job: dict) -> list[str]:
    return [json.loads(c["chunk"])[0]["content"] for c in job.get("result", [])]


def test_model_drives_a_job_to_its_report(
    tmp_path: Path, model: tuple[ModelServer, str], searxng: tuple[SearchLog, str]
) -> None:
    fake, model_url = model
    log, searx_url = searxng
    with (
        research_server(tmp_path, model_url, searx_url) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=30) as http,
    ):
        job = wait_for(http, submit(http), ("completed", "failed"))
    assert job["status"] == "completed", job.get("error")
    steps = texts(job)
    assert [int(c["seqId"]) for c in job["result"]] == list(range(1, len(steps) + 1))
    heads = [s.split("\n", 1)[0] for s in steps]
    assert heads[:2] == ["## Generating Research Plan", "## Research Plan"]
    plan = steps[1]
    assert "1. ○ What is write-ahead logging in SQLite?" in plan  # bold marks dropped
    assert "2. ○ How does SQLite locking work for readers and writers?" in plan  # a bullet
    assert "3. ○ How does PostgreSQL MVCC compare?" in plan and "fourth" not in plan  # capped
    for n in (1, 2, 3):
        at = heads.index(f"## Step {n} Summary")
        assert heads[at - 3].startswith(f"## Step {n}: ")
        assert heads[at - 2 : at] == ["## Executing web_search", "### Tool Results"]
        assert heads[at + 1] == "## Research Plan Updated"
        assert f"{n}. ✓" in steps[at + 1]
        assert n == 3 or f"{n + 1}. ○" in steps[at + 1]
    assert heads[-2:] == ["## Generating Final Answer", "# Final Answer"]
    # The model wrote the plan, every summary and the report; the searcher ran per step.
    assert fake.kinds() == ["plan", "summary", "summary", "summary", "report"]
    assert log.queries == [
        "What is write-ahead logging in SQLite?",
        "How does SQLite locking work for readers and writers?",
        "How does PostgreSQL MVCC compare?",
    ]
    # The pages were read: the model saw page text, not only SearXNG's 80-character snippet.
    assert "checkpoint copies them" in fake.calls[1].prompt
    # Citations map to the searched URLs; invented ones are gone.
    report = steps[-1]
    body, sources = report.split("\n## Sources\n")
    listed = dict(re.findall(r"^(\d+)\. \[.*\]\((\S+)\)$", sources, re.M))
    assert listed and all("/page/" in url and url.startswith(searx_url) for url in listed.values())
    cited = set(re.findall(r"\[(\d+)\]", body))
    assert cited and cited <= set(listed)
    assert "[42]" not in body and "invented.example" not in report and "References" not in body
    for summary in (s for s in steps if s.startswith("## Step") and "Summary" in s):
        assert "[99]" not in summary and re.search(r"\[\d+\]", summary)
    results = "\n".join(s for s in steps if s.startswith("### Tool Results"))
    for number, url in listed.items():
        assert f"[{number}] [" in results and f"]({url})" in results


def test_upstream_failures_are_retried_then_fail_the_job(
    tmp_path: Path, model: tuple[ModelServer, str], searxng: tuple[SearchLog, str]
) -> None:
    fake, model_url = model
    _, searx_url = searxng
    fake.stall_seconds = 3.0
    with (
        research_server(tmp_path, model_url, searx_url, upstream_timeout=0.5) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=30) as http,
    ):
        fake.faults[:] = ["500", "stall", "500"]  # three failed tries of the plan, then fine
        job = wait_for(http, submit(http), ("completed", "failed"))
        assert job["status"] == "completed", job.get("error")
        assert [c.kind for c in fake.faulted] == ["plan"] * 3
        fake.faults[:] = ["500"] * 4  # one more than the retries
        failed = wait_for(http, submit(http), ("completed", "failed"))
    assert failed["status"] == "failed"
    assert "writing the research plan failed after 4 tries" in failed["error"]
    assert "overloaded" in failed["error"] and "submit the question again" in failed["error"]
    assert texts(failed) == ["## Generating Research Plan\n"]


def test_a_restarted_server_continues_after_the_last_stored_step(
    tmp_path: Path, model: tuple[ModelServer, str], searxng: tuple[SearchLog, str]
) -> None:
    fake, model_url = model
    log, searx_url = searxng
    fake.hold(lambda call: call.kind == "summary" and "question: How does SQLite" in call.prompt)
    with (
        research_server(tmp_path, model_url, searx_url) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=30) as http,
    ):
        job_id = submit(http)
        assert fake.holding.wait(30)  # step 2's summary is being written
        before = texts(wait_for(http, job_id, ("running",), chunks=10))
    assert [s.split("\n", 1)[0] for s in before][-1] == "### Tool Results"
    assert fake.kinds() == ["plan", "summary"]
    fake.release()
    with (
        research_server(tmp_path, model_url, searx_url) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=30) as http,
    ):
        job = wait_for(http, job_id, ("completed", "failed"))
    assert job["status"] == "completed", job.get("error")
    steps = texts(job)
    assert steps[: len(before)] == before
    heads = [s.split("\n", 1)[0] for s in steps]
    assert len(heads) == 2 + 3 * 5 + 2  # every step's five chunks once, nothing repeated
    assert heads.count("## Step 2 Summary") == 1 and heads.count("## Research Plan") == 1
    # No call redone: the plan and step 1 came from the chunks; only step 2's interrupted
    # summary was asked again.
    assert fake.kinds() == ["plan", "summary", "summary", "summary", "report"]
    assert len(log.queries) == 3


def test_plan_parsing_accepts_messy_lists() -> None:
    messy = "Plan:\n**1.** First sub-question here?\n* second one about things\n\n10) third"
    assert parse_plan(messy, "Q?", 5) == [
        "First sub-question here?",
        "second one about things",
    ]
    assert parse_plan("I cannot make a list.", "What is WAL?", 3) == ["What is WAL?"]
    assert parse_plan("Is SQLite fast?\nIs SQLite fast?\n- x", "Q", 3) == ["Is SQLite fast?"]
    assert parse_plan("<think>1. hidden thoughts here</think>1. Real question one", "Q", 3) == [
        "Real question one"
    ]


def test_report_tidying_and_chunk_round_trip() -> None:
    text = "# Final Answer\n\nA [1, 2] and B [7].\n\n**Sources**\n1. made up"
    assert tidy_report(text, 2) == "A [1][2] and B."
    sources = [Source(1, "https://a.example/x", "A [page]", "alpha"), Source(2, "http://b", "", "")]
    state = read_chunks([plan_chunk("Q?", ["one", "two"]), final_chunk("Report [1].", sources)])
    assert state.plan == ["one", "two"] and state.last == "final"
    with pytest.raises(ValueError, match="unknown heading"):
        read_chunks(["## Something else\n"])


def test_a_run_on_item_is_cut_to_its_first_sentence() -> None:
    plan = "1. What is WAL? It is a log SQLite keeps.\n2. SQLite locks readers out. And then more"
    assert parse_plan(plan, "Q", 3) == ["What is WAL?", "SQLite locks readers out."]


def test_long_sub_questions_titles_and_passages_end_at_a_whole_word() -> None:
    words = " ".join(f"word{i}" for i in range(80))  # no sentence end: cut by length
    (item,) = parse_plan(f"1. {words}", "Q", 3)
    assert item.endswith("…") and len(item) <= 160 and words.startswith(item[:-1])
    assert words[len(item) - 1] == " "  # the cut fell between two words
    source = Source(1, "https://a.example/x", "title " * 40, "passage " * 200)
    chunk = results_chunk([source])
    title = chunk.split("[1] [", 1)[1].split("](", 1)[0]
    passage = chunk.split("> ", 1)[1].strip()
    assert title.endswith("title…") and len(title) <= 160
    assert passage.endswith("passage…") and len(passage) <= 700
    long_question = "Why " + "really " * 60 + "?"
    question = plan_chunk(long_question, ["one"]).split("“", 1)[1].split("”", 1)[0]
    assert question.endswith("really…") and len(question) <= 300
