"""Test helpers for the per-user local server: find it, wait for it, and make sure none is left.

Every test runs with its own XDG folders (``conftest._isolated_dirs``), so a per-user server a
test starts — in-process or through a CLI or app subprocess — lives in that test's runtime
folder, and the fixture's teardown stops it (by its recorded pid as a last resort)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from apex_tui.services import runtime_files as files
from apex_tui.services.local_admin import AdminError, request


def runtime_folder() -> Path:
    return files.runtime_folder()


def record(folder: Path | None = None) -> files.ServerRecord | None:
    return files.read_record(folder or runtime_folder())


def alive(pid: int) -> bool:
    return files.pid_alive(pid)


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def token(folder: Path | None = None) -> str | None:
    path = (folder or runtime_folder()) / files.TOKEN_NAME
    with contextlib.suppress(OSError):
        return path.read_text(encoding="utf-8").strip()
    return None


def wait_for(predicate: object, seconds: float = 60.0, what: str = "the condition") -> None:
    """Poll ``predicate()`` until true; a bound, not a timing assertion."""
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds:.0f} s")
        time.sleep(0.05)


def server_pids_in(folder: Path) -> list[int]:
    """Every ``apex-tui serve`` process started for this runtime folder: its environment's
    ``XDG_RUNTIME_DIR`` is the folder's parent (Linux ``/proc``)."""
    found = []
    needle = b"XDG_RUNTIME_DIR=" + str(folder.parent).encode() + b"\0"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        ours = needle in environ
        if b"serve" in cmdline and ours and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def stop_all(folder: Path) -> None:
    """Stop the per-user server of this runtime folder, and any other server started for it."""
    rec = files.read_record(folder)
    if rec is not None and alive(rec.pid):
        with contextlib.suppress(AdminError):
            request(rec, token(folder), "POST", "stop", timeout=2.0)
        if not gone_within(rec.pid, 15):
            with contextlib.suppress(OSError):
                os.kill(rec.pid, signal.SIGKILL)
            gone_within(rec.pid, 5)
    for pid in server_pids_in(folder):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        gone_within(pid, 5)
