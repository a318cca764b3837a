"""The CLI as people run it: a real process, real signals, the embedded default."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from apex_tui.api.client import ApexClient
from apex_tui.services.chat_sync import ChatSync

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer

CLI = [sys.executable, "-m", "apex_tui"]


def _run(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *argv], capture_output=True, text=True, timeout=90, input=stdin, check=False
    )


def _read_line_with(stream: object, needle: str) -> str:
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        line = raw.decode()
        if needle in line:
            return line
    raise AssertionError(f"{needle!r} never appeared")


def test_version_and_help() -> None:
    result = _run("--version")
    assert result.returncode == 0 and result.stdout.startswith("apex-tui ")
    result = _run("--help")
    assert result.returncode == 0
    for command in ("ask", "search", "research", "chats", "config", "serve"):
        assert command in result.stdout
    result = _run("serve", "--help")
    assert result.returncode == 0 and "--port" in result.stdout


def test_ask_with_no_key_uses_the_embedded_server() -> None:
    # Fast streaming for the test; everything else is the fresh-machine default.
    assert _run("config", "set", "server.tokens_per_second", "0").returncode == 0
    result = _run("ask", "hello")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "local server, offline engine" in result.stderr
    assert "chat " in result.stderr
    data_home = Path(os.environ["XDG_DATA_HOME"])
    assert (data_home / "apex-tui" / "apex.db").exists()
    listed = _run("chats", "list")
    assert listed.returncode == 0 and "hello" in listed.stdout


def test_ctrl_c_mid_stream_keeps_the_partial_answer(apex_server: EmbeddedServer) -> None:
    apex_server.inject_fault("stall-after=3:60", method="ChatCompletionStream")
    proc = subprocess.Popen(
        [*CLI, "ask", "Tell me a long story", "--base-url", apex_server.base_url, "--api-key", "k"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        chat_id = _read_line_with(proc.stderr, "chat ").split()[1]
        first = os.read(proc.stdout.fileno(), 1)  # type: ignore[union-attr]
        assert first
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert b"partial answer is saved" in err

    async def stored() -> list:
        async with ApexClient(apex_server.base_url, "k") as client:
            return await ChatSync(client).load_turns(chat_id)

    (turn,) = asyncio.run(stored())
    assert turn.interrupted and turn.answer
    printed = (first + out).decode()
    assert printed.strip().startswith(turn.answer.strip()[:5])


@pytest.fixture
def slow_research_server(tmp_path: Path):
    from apex_tui.server.embedded import EmbeddedServer, ServerOptions

    server = EmbeddedServer(
        ServerOptions(db_path=tmp_path / "slow.db", tokens_per_second=0, research_step_seconds=0.4)
    )
    server.start()
    yield server
    server.stop()


def test_research_follow_interrupted_and_resumed(slow_research_server: EmbeddedServer) -> None:
    endpoint = ["--base-url", slow_research_server.base_url, "--api-key", "k"]
    proc = subprocess.Popen(
        [*CLI, "research", "How do caches work?", "--follow", "--poll-interval", "0.05", *endpoint],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        job_id = proc.stdout.readline().decode().strip()  # type: ignore[union-attr]
        first_step = proc.stdout.readline().decode()  # type: ignore[union-attr]
        assert first_step.strip()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert f"research status {job_id} --follow" in err.decode()
    listed = _run("research", "list", *endpoint)
    assert job_id in listed.stdout
    resumed = _run("research", "status", job_id, "--follow", "--poll-interval", "0.05", *endpoint)
    assert resumed.returncode == 0, resumed.stderr
    assert "completed" in resumed.stderr
    assert first_step.strip() not in resumed.stdout  # resumed after what was shown
    assert "Final" in resumed.stdout
