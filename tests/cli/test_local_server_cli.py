"""The per-user local server as people meet it, with real processes: research that finishes
after the command that submitted it has exited, a killed server replaced by the next command
with its job resumed, two app windows on one server, and ``apex-tui server status|stop|logs``.
(The conftest gives each test its own XDG folders and stops the server it leaves.)"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
import user_servers

from apex_tui.services import runtime_files as files
from apex_tui.services.local_admin import server_status

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the per-user server is POSIX")

CLI = [sys.executable, "-m", "apex_tui"]


def _run(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin,
        check=False,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )


def _configure(**settings: str) -> None:
    for key, value in {"tokens_per_second": "0", **settings}.items():
        assert _run("config", "set", f"server.{key}", value).returncode == 0


def _live() -> files.ServerRecord:
    record = files.live_record(files.runtime_folder())
    assert record is not None, "no local server is running"
    return record


def _job(job_id: str) -> dict[str, object]:
    result = _run("research", "status", job_id, "--json")
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_research_without_follow_completes_with_no_client_attached() -> None:
    _configure(research_step_seconds="0.1")
    submitted = _run("research", "What is WAL?")
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    assert "it runs on in the local server after this command ends" in submitted.stderr
    record = _live()
    status = server_status(record, None)
    assert status.clients == 0 and status.requests == 0  # the command is gone
    user_servers.wait_for(
        lambda: not server_status(record, None).running_jobs, 120, "the job to finish"
    )
    done = _job(job_id)
    assert done["status"] == "completed" and "Final Answer" in str(done["report"])
    assert _live().pid == record.pid


def test_a_killed_server_is_replaced_by_the_next_command_and_its_job_resumes() -> None:
    _configure(research_step_seconds="0.4")
    job_id = _run("research", "How does SQLite's WAL work?").stdout.strip()
    first = _live()
    user_servers.wait_for(lambda: len(_job(job_id)["steps"]) >= 2, 60, "two steps")  # type: ignore[arg-type]
    os.kill(first.pid, signal.SIGKILL)
    assert user_servers.gone_within(first.pid, 30)
    assert files.live_record(files.runtime_folder()) is None
    followed = _run("research", "status", job_id, "--follow", "--poll-interval", "0.2")
    assert followed.returncode == 0, followed.stderr
    assert f"job {job_id} completed" in followed.stderr
    second = _live()
    assert second.pid != first.pid
    done = _job(job_id)
    steps = done["steps"]
    assert isinstance(steps, list)
    assert [s["seq_id"] for s in steps] == list(range(1, len(steps) + 1))
    assert "resuming deep research job " + job_id in Path(second.log).read_text()


def _pty_app() -> tuple[subprocess.Popen[bytes], int]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    app = subprocess.Popen(
        CLI, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    return app, master


def _read_until(master: int, needle: bytes, timeout: float = 60) -> None:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} never appeared on the terminal")
        if select.select([master], [], [], 0.05)[0]:
            try:
                seen = seen[-4000:] + os.read(master, 65536)
            except OSError:
                break


def _drain(master: int) -> None:
    """Read what the app wrote (a full pty buffer would block it)."""
    while select.select([master], [], [], 0)[0]:
        try:
            if not os.read(master, 65536):
                return
        except OSError:
            return


def _wait_draining(app: subprocess.Popen[bytes], master: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while app.poll() is None:
        if time.monotonic() > deadline:
            raise AssertionError("the app did not quit")
        _drain(master)
        time.sleep(0.05)
    return app.returncode


def test_two_app_windows_share_one_server() -> None:
    _configure()
    apps = [_pty_app(), _pty_app()]
    try:
        for _, master in apps:
            _read_until(master, "apex chats · 0".encode())
        record = _live()
        assert user_servers.server_pids_in(files.runtime_folder()) == [record.pid]
        for _, master in apps:
            _drain(master)
        user_servers.wait_for(lambda: server_status(record, None).clients == 2, 30, "2 clients")
        killed, _ = apps[0]
        killed.kill()  # SIGKILL: the window cannot say goodbye; its socket closes anyway
        killed.wait(10)
        user_servers.wait_for(lambda: server_status(record, None).clients == 1, 30, "1 client")
        quitting, master = apps[1]
        _drain(master)
        os.write(master, b"\x11")  # Ctrl+Q
        assert _wait_draining(quitting, master, 30) == 0
        user_servers.wait_for(lambda: server_status(record, None).clients == 0, 30, "0 clients")
        assert _live().pid == record.pid  # it stays (idle exit later)
    finally:
        for app, master in apps:
            if app.poll() is None:
                app.kill()
                app.wait(5)
            os.close(master)


def test_server_status_stop_and_logs() -> None:
    none = _run("server", "status", "--json")
    assert none.returncode == 0 and json.loads(none.stdout)["running"] is False
    assert "no local server is running" in _run("server", "status").stdout
    _configure(research_step_seconds="0.5")
    job_id = _run("research", "What is a write-ahead log?").stdout.strip()
    data = json.loads(_run("server", "status", "--json").stdout)
    record = _live()
    assert data["running"] is True and data["pid"] == record.pid
    assert data["address"] == record.address and data["version"]
    assert data["engine"] == "offline" and data["running_jobs"] == [job_id]
    assert data["clients"] == 0 and data["uptime_seconds"] >= 0
    text = _run("server", "status").stdout
    assert f"pid        {record.pid}" in text and "1 running" in text
    refused = _run("server", "stop")  # no terminal to ask on: refused, saying why
    assert refused.returncode == 1
    assert "1 research job running" in refused.stderr and "--yes" in refused.stderr
    assert user_servers.alive(record.pid)
    stopped = _run("server", "stop", "--yes")
    assert stopped.returncode == 0 and f"stopped the local server (pid {record.pid})" in (
        stopped.stderr
    )
    assert not user_servers.alive(record.pid)
    logs = _run("server", "logs")
    assert logs.returncode == 0 and "shutting down: stop requested" in logs.stdout
    assert len(_run("server", "logs", "-n", "3").stdout.splitlines()) == 3
    # the paused job resumes at the next start
    _configure(research_step_seconds="0.05")  # other settings: the next start uses them
    followed = _run("research", "status", job_id, "--follow", "--poll-interval", "0.2")
    assert followed.returncode == 0 and f"job {job_id} completed" in followed.stderr


def test_a_key_without_a_base_url_asks_the_local_server_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An SDK user's MACROCOSMOS_API_KEY in the environment, no base URL: the public Apex
    service is gone, so the question goes to the local server and the key is named unused."""
    _configure()
    monkeypatch.setenv("MACROCOSMOS_API_KEY", "a-key-from-the-sdk")
    result = _run("ask", "What is Bittensor?", "--no-store")
    assert result.returncode == 0, result.stderr
    assert "Bittensor" in result.stdout
    assert "The API key (from MACROCOSMOS_API_KEY) is not used" in result.stderr
    assert "set a base URL" in result.stderr
