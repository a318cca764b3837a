"""The per-user local server with real processes and sockets: one server however many start at
once, stale records and socket files replaced, private files, the token on loopback TCP, idle
exit (not while a client is attached), and the rule for a server of another version or plan.
Each test has its own runtime folder; the conftest stops any server a test leaves."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
import user_servers

from apex_tui.api.client import ApexClient
from apex_tui.api.models import ChatCompletionRequest, ChatMessage
from apex_tui.services import runtime_files as files
from apex_tui.services import user_server
from apex_tui.services.attachment import Attachment
from apex_tui.services.connection import LOCAL_KEY
from apex_tui.services.local_admin import server_status
from apex_tui.services.local_server import LocalServerError
from apex_tui.services.server_plan import LocalServerPlan, plan_local_server
from apex_tui.services.user_server import UserServer, connect

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the per-user server is POSIX")


def _plan(**settings: float) -> LocalServerPlan:
    return plan_local_server({"tokens_per_second": 0, **settings})


def _ready(plan: LocalServerPlan, **options: object) -> UserServer:
    server = connect(plan, **options)  # type: ignore[arg-type]
    assert server is not None
    server.wait_ready()
    return server


async def _sessions(server: UserServer) -> list[str]:
    async with ApexClient(
        server.base_url, LOCAL_KEY, route=server.route(), extra_headers=server.headers()
    ) as client:
        return [s.id for s in await client.get_chat_sessions("apex")]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_the_first_process_starts_it_and_the_next_finds_it() -> None:
    first = _ready(_plan())
    assert first.starting is not None and first.record.uds is not None
    folder = files.runtime_folder()
    assert folder == Path(os.environ["XDG_RUNTIME_DIR"]) / "apex-tui"
    assert _mode(folder) == 0o700
    assert _mode(folder / files.SOCKET_NAME) == 0o600
    assert _mode(folder / files.RECORD_NAME) == 0o600
    record = files.read_record(folder)
    assert record is not None and record.pid == first.pid
    assert record.version == user_server.APP_VERSION
    assert record.description == "local server, offline engine"
    assert asyncio.run(_sessions(first)) == []
    second = _ready(_plan())
    assert second.pid == first.pid and second.starting is None
    status = server_status(second.record, None)
    assert status.pid == first.pid and status.address == record.address
    assert status.idle_minutes == 10.0 and status.engine == "offline"


RACER = """
import os, sys, time
from pathlib import Path
from apex_tui.services.server_plan import plan_local_server
from apex_tui.services.user_server import connect
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
server = connect(plan_local_server({"tokens_per_second": 0}))
server.wait_ready()
print(server.pid, flush=True)
"""


def test_five_processes_started_at_once_end_with_one_server(tmp_path: Path) -> None:
    go = tmp_path / "go"
    racers = [
        subprocess.Popen([sys.executable, "-c", RACER, str(go)], stdout=subprocess.PIPE, text=True)
        for _ in range(5)
    ]
    time.sleep(1.0)  # let all five import and wait at the start line
    go.touch()
    pids = set()
    for racer in racers:
        out, _ = racer.communicate(timeout=90)
        assert racer.returncode == 0
        pids.add(int(out.split()[0]))
    assert len(pids) == 1
    folder = files.runtime_folder()
    assert user_servers.server_pids_in(folder) == list(pids)


def test_a_stale_record_and_socket_file_are_replaced() -> None:
    folder = files.private_folder()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(folder / files.SOCKET_NAME))  # a socket file nobody listens on
    left.close()
    stale = files.ServerRecord(
        pid=dead.pid,
        version=user_server.APP_VERSION,
        address=f"unix:{folder / files.SOCKET_NAME}",
        started=time.time() - 3600,
        plan=_plan().fingerprint,
        description="local server, offline engine",
        log="/nowhere",
    )
    files.write_record(folder, stale)
    server = _ready(_plan())
    assert server.pid != dead.pid and server.starting is not None
    assert asyncio.run(_sessions(server)) == []


def test_a_live_pid_whose_socket_refuses_is_stale_too() -> None:
    folder = files.private_folder()
    other = files.ServerRecord(
        pid=os.getpid(),  # alive, but not a server: the pid was reused
        version=user_server.APP_VERSION,
        address=f"unix:{folder / files.SOCKET_NAME}",
        started=time.time(),
        plan=_plan().fingerprint,
        description="local server, offline engine",
        log="/nowhere",
    )
    files.write_record(folder, other)
    server = _ready(_plan())
    assert server.pid != os.getpid()
    assert asyncio.run(_sessions(server)) == []


def test_the_folder_is_made_private_and_another_users_folder_is_refused() -> None:
    folder = files.runtime_folder()
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    assert files.private_folder() == folder and _mode(folder) == 0o700
    if os.getuid() != 0:
        return  # only root can hand a folder to someone else
    os.chown(folder, 65534, 65534)
    with pytest.raises(LocalServerError) as refused:
        connect(_plan())
    assert "belongs to another user" in str(refused.value)
    os.chown(folder, 0, 0)


def test_on_loopback_tcp_a_request_without_the_token_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(user_server.TRANSPORT_ENV, "tcp")
    server = _ready(_plan())
    address = server.record.address
    assert address.startswith("http://127.0.0.1:") and server.record.uds is None
    token_file = files.runtime_folder() / files.TOKEN_NAME
    assert _mode(token_file) == 0o600 and server.token
    body = b"{}"
    rpc = f"{address}/apex.v1.ApexService/GetChatSessions"
    base = {"Content-Type": "application/json", "Authorization": f"Bearer {LOCAL_KEY}"}
    for extra in ({}, {"X-Apex-Tui-Token": "guessed"}):
        refused = httpx.post(rpc, content=body, headers={**base, **extra})
        assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
        assert httpx.get(f"{address}/apex-tui/v1/status", headers=extra).status_code == 401
    allowed = httpx.post(rpc, content=body, headers={**base, "X-Apex-Tui-Token": server.token})
    assert allowed.status_code == 200
    assert asyncio.run(_sessions(server)) == []  # the client sends it
    # the next process finds it and reads the token from the file
    again = _ready(_plan())
    assert again.pid == server.pid and again.token == server.token


def test_idle_exit_but_not_while_a_client_is_attached() -> None:
    server = _ready(_plan(idle_minutes=0.02))  # 1.2 s
    notices: list[str] = []
    attachment = Attachment(server, lambda _severity, text: notices.append(text))
    attachment.start()
    try:
        assert attachment.attached.wait(30)
        time.sleep(3.0)  # two and a half idle times with a window open
        assert user_servers.alive(server.pid)
        assert server_status(server.record, None).clients == 1
    finally:
        attachment.close()
    assert user_servers.gone_within(server.pid, 60), "the idle server did not exit"
    assert files.live_record(files.runtime_folder()) is None
    log = Path(server.record.log).read_text()
    assert "shutting down: idle for 0.02 min" in log
    assert notices == []


def test_a_window_starts_a_new_server_when_its_server_is_killed() -> None:
    server = _ready(_plan())
    notices: list[str] = []
    attachment = Attachment(server, lambda _severity, text: notices.append(text))
    attachment.start()
    try:
        assert attachment.attached.wait(30)
        os.kill(server.pid, 9)
        user_servers.wait_for(
            lambda: attachment.server.pid != server.pid and attachment.attached.is_set(),
            what="a new server attached",
        )
        assert any("a new one runs now" in n for n in notices), notices
        assert asyncio.run(_sessions(server)) == []  # same socket path: the old client works
    finally:
        attachment.close()


OLD_PYTHON = """#!/bin/sh
shift 2
exec {python} -c 'import sys, apex_tui; apex_tui.__version__ = "0.0.1-old"
from apex_tui.cli import main
sys.exit(main(sys.argv[1:]))' "$@"
"""


def _old_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **settings: float) -> UserServer:
    """A per-user server as an older apex-tui left it: its record and its status both say
    version 0.0.1-old."""
    wrapper = tmp_path / "old-python"
    wrapper.write_text(textwrap.dedent(OLD_PYTHON).format(python=sys.executable))
    wrapper.chmod(0o755)
    with monkeypatch.context() as patch:
        patch.setattr(user_server, "APP_VERSION", "0.0.1-old")
        old = _ready(_plan(**settings), python=str(wrapper))
    assert server_status(old.record, None).version == "0.0.1-old"
    return old


def test_an_idle_server_of_another_version_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _old_server(tmp_path, monkeypatch)
    new = _ready(_plan())
    assert new.pid != old.pid and not new.mismatch
    assert user_servers.gone_within(old.pid, 30)
    assert server_status(new.record, None).version == user_server.APP_VERSION


def test_a_busy_server_of_another_version_is_kept_until_its_job_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _old_server(tmp_path, monkeypatch, research_step_seconds=0.15)

    async def submit() -> str:
        request = ChatCompletionRequest(messages=[ChatMessage(role="user", content="What is WAL?")])
        async with ApexClient(old.base_url, LOCAL_KEY, route=old.route()) as client:
            return (await client.submit_deep_researcher_job(request)).job_id

    job_id = asyncio.run(submit())
    kept = _ready(_plan(research_step_seconds=0.15))
    assert kept.pid == old.pid  # a job runs there: never stopped for a newer version
    assert "runs apex-tui 0.0.1-old" in kept.mismatch
    status = server_status(kept.record, None)
    assert status.retiring and job_id in status.running_jobs
    assert user_servers.gone_within(old.pid, 90), "the retiring server did not exit once idle"
    assert "retired" in Path(old.record.log).read_text()
    new = _ready(_plan(research_step_seconds=0.15))
    assert new.pid != old.pid and not new.mismatch

    async def job_status() -> str:
        async with ApexClient(new.base_url, LOCAL_KEY, route=new.route()) as client:
            return (await client.get_deep_researcher_job(job_id)).status

    assert asyncio.run(job_status()) == "completed"


def test_a_server_with_other_settings_is_kept_while_a_window_uses_it() -> None:
    server = _ready(_plan())
    attachment = Attachment(server, lambda _severity, _text: None)
    attachment.start()
    try:
        assert attachment.attached.wait(30)
        other = _ready(_plan(tokens_per_second=5))
        assert other.pid == server.pid
        assert "[server] settings" in other.mismatch
    finally:
        attachment.close()
    # nothing uses it now: it retires, and the next process gets the new settings
    assert user_servers.gone_within(server.pid, 60)
    new = _ready(_plan(tokens_per_second=5))
    assert new.pid != server.pid and not new.mismatch
