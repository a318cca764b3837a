"""The local server in a child process tied to its parent (benchmarks, and the default where the
per-user server is not available): it starts and answers, stops gracefully, never outlives its
parent (normal exit or SIGKILL) and explains a failed start. And the default connection: the
per-user server, shared and left running."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apex_tui.api.client import ApexClient
from apex_tui.api.errors import ApexStreamError
from apex_tui.api.models import ChatCompletionRequest, ChatMessage
from apex_tui.services.config import Config, ServerSection, state_dir
from apex_tui.services.connection import close_connection, open_connection
from apex_tui.services.local_server import LocalServerError, LocalServerProcess
from apex_tui.services.user_server import UserServer

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process lifecycle checks use /proc")

PARENT = """
import sys, time
from pathlib import Path
from apex_tui.services.local_server import LocalServerProcess
server = LocalServerProcess(
    ["--db", sys.argv[1], "--tokens-per-second", "0"], log_path=Path(sys.argv[2])
)
server.wait_ready()
print(server.pid, server.base_url, flush=True)
if sys.argv[3] == "sleep":
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _server(tmp_path: Path, *extra: str) -> LocalServerProcess:
    args = ["--db", str(tmp_path / "apex.db"), "--tokens-per-second", "0", *extra]
    return LocalServerProcess(args, log_path=tmp_path / "state" / "server.log")


def test_starts_answers_logs_to_a_file_and_stops(tmp_path: Path) -> None:
    server = _server(tmp_path)
    server.start()
    url = server.base_url  # known before it is ready: we bound its socket
    assert url.startswith("http://127.0.0.1:")
    pid = server.pid
    assert pid is not None

    async def talk() -> list[str]:
        async with ApexClient(url, "k") as client:  # may be sent before the child serves
            await client.create_chat_and_completion(
                "hello", chat_type="apex", completion_type="basic", title="first"
            )
            return [s.title for s in await client.get_chat_sessions("apex")]

    assert asyncio.run(talk()) == ["first"]
    assert server.wait_ready() == url
    server.stop()
    assert not _alive(pid)
    log = (tmp_path / "state" / "server.log").read_text()
    assert "CreateChatAndCompletion 200" in log and "stdin closed: shutting down" in log


def test_stop_ends_an_open_stream_with_an_end_envelope(tmp_path: Path) -> None:
    server = LocalServerProcess(
        ["--db", str(tmp_path / "apex.db"), "--tokens-per-second", "40"],
        log_path=tmp_path / "server.log",
    )
    url = server.wait_ready()

    async def stream_then_stop() -> ApexStreamError:
        request = ChatCompletionRequest(
            messages=[ChatMessage(role="user", content="Write a long detailed essay about TCP")]
        )
        async with ApexClient(url, "k", max_retries=0) as client:
            chunks = client.chat_completion_stream(request)
            got = 0
            try:
                async for _chunk in chunks:
                    got += 1
                    if got == 3:
                        asyncio.get_running_loop().run_in_executor(None, server.stop)
            except ApexStreamError as exc:
                return exc
        raise AssertionError("the stream finished before the server stopped")

    error = asyncio.run(stream_then_stop())
    assert error.code == "unavailable" and not error.transport, error
    assert "shutting down" in error.message


@pytest.mark.parametrize("how", ["exit", "sigkill"])
def test_the_child_never_outlives_its_parent(tmp_path: Path, how: str) -> None:
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            PARENT,
            str(tmp_path / "apex.db"),
            str(tmp_path / "server.log"),
            "sleep" if how == "sigkill" else "exit",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    pid_text, url = parent.stdout.readline().split()
    child = int(pid_text)
    assert _alive(child) and url.startswith("http://127.0.0.1:")
    if how == "sigkill":
        parent.send_signal(signal.SIGKILL)
    parent.wait(60)
    assert _gone_within(child, 60), f"the local server {child} outlived its parent ({how})"
    assert "stdin closed: shutting down" in (tmp_path / "server.log").read_text()


def test_a_failed_start_says_why_and_where_the_log_is(tmp_path: Path) -> None:
    (tmp_path / "apex.db").write_bytes(b"this is not an SQLite database, " * 100)
    server = _server(tmp_path)
    with pytest.raises(LocalServerError) as caught:
        server.wait_ready()
    message = str(caught.value)
    assert message.startswith("local server could not start: ")
    assert "database" in message and str(tmp_path / "state" / "server.log") in message
    assert server.pid is None  # stopped


def test_open_connection_uses_the_per_user_server_by_default(tmp_path: Path) -> None:
    conn = open_connection(Config(server=ServerSection(tokens_per_second=0)), env={})
    local = conn.local
    assert isinstance(local, UserServer) and conn.embedded is None
    assert conn.description == "local server, offline engine"
    pid = local.pid
    assert pid != os.getpid() and _alive(pid)
    assert asyncio.run(conn.client.get_chat_sessions("apex")) == []
    close_connection(conn)
    assert _alive(pid)  # shared by every apex-tui process: it exits on its own when unused
    second = open_connection(Config(server=ServerSection(tokens_per_second=0)), env={})
    try:
        assert second.local is not None and second.local.pid == pid
        assert second.local.starting is None  # found, not started
    finally:
        close_connection(second)
    assert (state_dir() / "server.log").exists()


def test_the_cli_reports_a_local_server_that_cannot_start(tmp_path: Path) -> None:
    db = Path(os.environ["XDG_DATA_HOME"]) / "apex-tui" / "apex.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"not a database " * 200)
    result = subprocess.run(
        [sys.executable, "-m", "apex_tui", "chats", "list"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 1
    assert "apex-tui: local server could not start: " in result.stderr
    assert "Traceback" not in result.stderr


def test_a_child_that_closes_its_output_then_exits_is_a_failed_start(tmp_path: Path) -> None:
    """Its stdout closes a moment before it can be reaped: that is a failed start with the
    log's reason, not "did not report its address within 30 s" (a race seen under load)."""
    fake = tmp_path / "fake-python"
    fake.write_text(
        "#!/bin/sh\nexec 1>&-\necho 'apex-tui serve: cannot open database x.db' >&2\n"
        "sleep 0.5\nexit 2\n"
    )
    fake.chmod(0o755)
    server = LocalServerProcess([], log_path=tmp_path / "server.log", python=str(fake))
    with pytest.raises(LocalServerError) as failed:
        server.wait_ready(timeout=20)
    assert "cannot open database x.db" in str(failed.value)
    assert "did not report" not in str(failed.value)
