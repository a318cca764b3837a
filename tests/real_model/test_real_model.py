"""Opt-in (``pytest -m real_model``): every model feature against a real OpenAI-compatible
server, llama.cpp's (``llama-cpp-python[server]``) serving SmolLM2-135M-Instruct.

Set ``APEX_TUI_REAL_MODEL_PYTHON`` to a Python that has ``llama_cpp.server`` and
``APEX_TUI_REAL_MODEL_GGUF`` to the model file (the README's "Testing against a real model"
says how to get both); without them these tests are skipped. The server is started on an
ephemeral loopback port for this module and stopped after it. Search runs against the
SearXNG-compatible test server (pages on loopback), as there is no network here.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fakes.searxng import SearchLog, make_searxng
from fakes.serve import serving

from apex_tui.api.client import ApexClient
from apex_tui.server.embedded import EmbeddedServer, ServerOptions
from apex_tui.services.chat_sync import ChatSettings, ChatSync, TurnFinished
from apex_tui.services.research import chunk_text

pytestmark = pytest.mark.real_model

PYTHON = os.environ.get("APEX_TUI_REAL_MODEL_PYTHON", "")
GGUF = os.environ.get("APEX_TUI_REAL_MODEL_GGUF", "")
START_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def real_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:PORT/v1`` of a llama.cpp server with the model (model name smollm2)."""
    if not (PYTHON and Path(PYTHON).exists() and GGUF and Path(GGUF).exists()):
        pytest.skip("set APEX_TUI_REAL_MODEL_PYTHON and APEX_TUI_REAL_MODEL_GGUF (see README)")
    check = subprocess.run([PYTHON, "-c", "import llama_cpp.server"], capture_output=True)
    if check.returncode != 0:
        pytest.skip(f"{PYTHON} has no llama_cpp.server (pip install 'llama-cpp-python[server]')")
    port = _free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    args = [PYTHON, "-m", "llama_cpp.server", "--model", GGUF, "--host", "127.0.0.1"]
    args += ["--port", str(port), "--n_ctx", "8192", "--model_alias", "smollm2"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the model server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/v1/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the model server did not start")
            time.sleep(0.5)
        yield f"{url}/v1"
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture
def apex_on_model(tmp_path: Path, real_model: str) -> Iterator[tuple[EmbeddedServer, SearchLog]]:
    log = SearchLog()
    with serving(make_searxng(log)) as searx:
        options = ServerOptions(
            db_path=tmp_path / "apex.db",
            engine="openai",
            upstream_url=real_model,
            upstream_model="smollm2",
            searxng_url=searx,
            fetch_private_pages=True,
            upstream_timeout=120,
        )
        with EmbeddedServer(options) as server:
            yield server, log


async def _ask(server: EmbeddedServer, prompt: str, **settings: object) -> TurnFinished:
    async with ApexClient(server.base_url, "real", max_retries=0, stream_timeout=300) as client:
        sync = ChatSync(client)
        events = [e async for e in sync.send(None, prompt, [], ChatSettings(**settings))]
        finished = next(e for e in events if isinstance(e, TurnFinished))
        stored = (await sync.load_turns(events[0].chat.id))[0]  # type: ignore[union-attr]
    assert stored.answer == finished.turn.answer
    return finished


@pytest.mark.timeout(300)
async def test_chat_with_the_real_model(apex_on_model: tuple[EmbeddedServer, SearchLog]) -> None:
    server, _ = apex_on_model
    done = await _ask(server, "What is the capital of France? One sentence.", max_new_tokens=64)
    turn = done.turn
    assert turn.answer.strip() and not turn.error
    assert turn.finish_reason in ("stop", "length")
    assert turn.metadata["model"] == "smollm2"
    assert turn.metadata["usage"]["completion_tokens"] > 0


@pytest.mark.timeout(300)
async def test_web_search_type_with_the_real_model(
    apex_on_model: tuple[EmbeddedServer, SearchLog],
) -> None:
    server, log = apex_on_model
    done = await _ask(
        server,
        "How does SQLite write-ahead logging work?",
        completion_type="web-search",
        max_new_tokens=160,
    )
    turn = done.turn
    assert turn.answer.strip() and not turn.error
    sources = [s["url"] for s in turn.metadata["sources"]]
    assert sources and all("/page/" in url for url in sources)
    assert log.queries and log.fetched  # searched, and the pages were read


@pytest.mark.timeout(1200)
def test_research_job_with_the_real_model(
    apex_on_model: tuple[EmbeddedServer, SearchLog], capsys: pytest.CaptureFixture[str]
) -> None:
    server, log = apex_on_model
    started = time.monotonic()
    with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer r"}) as http:
        body = {
            "messages": [
                {"role": "user", "content": "How do SQLite and PostgreSQL handle concurrency?"}
            ],
            "seed": 1,
            "sampling_parameters": {"temperature": 0.3, "maxNewTokens": 1024},
        }
        job_id = http.post("/apex.v1.ApexService/SubmitDeepResearcherJob", json=body).json()[
            "jobId"
        ]
        deadline = time.monotonic() + 900
        while True:
            job = http.post(
                "/apex.v1.ApexService/GetDeepResearcherJob", json={"job_id": job_id}
            ).json()
            if job["status"] in ("completed", "failed") or time.monotonic() > deadline:
                break
            time.sleep(1)
    wall = time.monotonic() - started
    assert job["status"] == "completed", job.get("error")
    steps = [chunk_text(c["chunk"]) for c in job["result"]]
    heads = [s.split("\n", 1)[0] for s in steps]
    assert heads[1] == "## Research Plan" and heads[-1] == "# Final Answer"
    plan_size = sum(1 for h in heads if re.match(r"## Step \d+ Summary", h))
    report = steps[-1]
    listed = re.findall(r"^\d+\. \[.*\]\((\S+)\)$", report.split("## Sources", 1)[1], re.M)
    assert listed and all("/page/" in url for url in listed)
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", report.split("## Sources", 1)[0])}
    assert cited <= set(range(1, len(listed) + 1))
    with capsys.disabled():
        print(
            f"\nreal model research: {wall:.0f} s wall, {plan_size + 2} model calls "
            f"({plan_size} steps), {len(log.queries)} searches, {len(steps)} chunks"
        )
