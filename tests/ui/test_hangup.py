"""A hang-up (terminal window closed, ssh dropped: SIGHUP) leaves the way Ctrl+Q does: the
words typed a moment ago are in the drafts file. The per-user local server runs in its own
session, so the hang-up does not reach it: it stays for other windows and running research
(the test's teardown stops it)."""

from __future__ import annotations

import contextlib
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

from apex_tui.services.local_admin import server_status

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGHUP and ptys are POSIX")


def _read_until(master: int, needle: bytes, seen: bytes, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    while needle not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} never appeared on the terminal")
        if select.select([master], [], [], 0.05)[0]:
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
    return seen


def _wait_draining(app: subprocess.Popen[bytes], master: int, seconds: float) -> int:
    """Wait for the app to end, reading what it writes meanwhile (a full pty buffer would
    block its last frames, and so its exit)."""
    deadline = time.monotonic() + seconds
    while app.poll() is None:
        if time.monotonic() > deadline:
            raise AssertionError("the app did not end after the hang-up")
        if select.select([master], [], [], 0.05)[0]:
            with contextlib.suppress(OSError):  # EIO once the app has closed its end
                os.read(master, 65536)
    return app.returncode


def _servers_on(db_folder: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"serve" in cmdline and str(db_folder).encode() in cmdline:
                found.append(int(entry.name))
    return found


def test_a_hangup_saves_the_draft_and_spares_the_local_server() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APEX_", "MACROCOSMOS_"))}
    env.update(TERM="xterm-256color")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    app = subprocess.Popen(
        [sys.executable, "-m", "apex_tui"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    data_folder = Path(env["XDG_DATA_HOME"]) / "apex-tui"
    try:
        seen = _read_until(master, "apex chats · 0".encode(), b"", 60)
        os.write(master, b"words typed just before the window closed")
        _read_until(master, b"window closed", seen, 20)
        app.send_signal(signal.SIGHUP)  # well inside the 0.4 s before a draft is saved
        assert _wait_draining(app, master, 30) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(5)
        os.close(master)
    drafts = json.loads((Path(env["XDG_STATE_HOME"]) / "apex-tui" / "drafts.json").read_text())
    assert drafts == {"new:apex": "words typed just before the window closed"}
    record = user_servers.record()
    assert record is not None and _servers_on(data_folder) == [record.pid]
    user_servers.wait_for(
        lambda: server_status(record, None).clients == 0, what="the window letting go"
    )
