"""The per-user local server's files: its private folder, its record, its start lock.

* The folder is ``$XDG_RUNTIME_DIR/apex-tui`` (per user, on tmpfs, emptied at logout), else
  ``$XDG_STATE_HOME/apex-tui/run``. It is always a real folder of ours with mode 0700 (forced
  if it is ours with a wider mode; refused if it belongs to someone else or is a symlink), so
  another local user can neither reach the socket in it nor read the token.
* ``server.json`` — the record: pid, version, address, start time, the plan's fingerprint, the
  description shown in the header and the log's path. Written (atomically, mode 0600) by the
  process that started the server, right after starting it.
* ``start.lock`` — held (``flock``) by a process while it decides whether to start a server and
  starts it, so processes started at once end with one server.
* ``server.sock`` (the Unix socket) or ``server.token`` (loopback TCP's access token).

A record is *live* when its pid runs and its address accepts a connection; anything else is
stale (the server was killed, or the machine rebooted and the pid now names something else).
No pydantic or httpx here: the interactive command reads this before they load.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from apex_tui.services.atomic_file import write_atomically
from apex_tui.services.local_server import LocalServerError
from apex_tui.services.paths import APP_DIR, state_dir

try:
    import fcntl
except ImportError:  # not POSIX: apex-tui runs its server as a child instead (connection)
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "LOCK_NAME",
    "RECORD_NAME",
    "SOCKET_NAME",
    "TOKEN_HEADER",
    "TOKEN_NAME",
    "ServerRecord",
    "StartLock",
    "live_record",
    "pid_alive",
    "private_folder",
    "probe",
    "read_record",
    "runtime_folder",
    "write_record",
]

TOKEN_HEADER = "X-Apex-Tui-Token"
"""Where the token of ``server.token`` goes; same literal as ``apex_tui.server.lifetime``."""
RECORD_NAME = "server.json"
LOCK_NAME = "start.lock"
SOCKET_NAME = "server.sock"
TOKEN_NAME = "server.token"
LOCK_TIMEOUT = 45.0
"""Longer than a replaced server takes to stop (``user_server.STOP_TIMEOUT``) and a new one to
be spawned: a process waiting this long for the lock means the holder hangs."""


def runtime_folder() -> Path:
    """Where the per-user server's socket, record and lock live (not created here)."""
    base = os.environ.get("XDG_RUNTIME_DIR", "")
    if base and os.path.isabs(base) and os.path.isdir(base):
        return Path(base) / APP_DIR
    return state_dir() / "run"


def private_folder(folder: Path | None = None) -> Path:
    """Create (mode 0700) or check the runtime folder; raises :class:`LocalServerError` if it
    is not a folder of this user's."""
    folder = folder or runtime_folder()
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
        info = os.lstat(folder)
    except OSError as exc:
        raise LocalServerError(
            f"cannot create the local server's folder {folder}: {exc.strerror or exc}. "
            "Check its parent's permissions, or set XDG_RUNTIME_DIR to a folder of yours."
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise LocalServerError(
            f"{folder} should be the local server's folder but is not a folder (a symlink or "
            "a file); remove it and start again"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise LocalServerError(
            f"the local server's folder {folder} belongs to another user; remove it, or set "
            "XDG_RUNTIME_DIR to a folder of yours"
        )
    if os.name == "posix" and stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)  # ours, but others could reach the socket in it
    return folder


@dataclass(frozen=True)
class ServerRecord:
    """What ``server.json`` says about the running server."""

    pid: int
    version: str
    address: str
    """``unix:/path/server.sock`` or ``http://127.0.0.1:PORT``."""
    started: float
    """``time.time()`` when it was started."""
    plan: str
    """The fingerprint of the plan it was started with (``LocalServerPlan.fingerprint``)."""
    description: str
    log: str

    @property
    def uds(self) -> str | None:
        return self.address[len("unix:") :] if self.address.startswith("unix:") else None

    @classmethod
    def from_json(cls, text: str) -> ServerRecord | None:
        """None for anything that is not a whole record (a half-written or foreign file)."""
        try:
            data = json.loads(text)
            record = cls(**{name: data[name] for name in cls.__dataclass_fields__})
        except (ValueError, TypeError, KeyError):
            return None
        if not isinstance(record.pid, int) or not isinstance(record.address, str):
            return None
        return record

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1) + "\n"


def read_record(folder: Path) -> ServerRecord | None:
    try:
        return ServerRecord.from_json((folder / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def write_record(folder: Path, record: ServerRecord) -> None:
    """Atomically (a reader sees the old record or the new one, never half of one)."""
    write_atomically(folder / RECORD_NAME, record.to_json())


def remove_record(folder: Path, pid: int) -> None:
    """Remove the record if it still names ``pid`` (called with the start lock held)."""
    record = read_record(folder)
    if record is not None and record.pid == pid:
        with contextlib.suppress(OSError):
            (folder / RECORD_NAME).unlink()


def pid_alive(pid: int) -> bool:
    """Running; a process that has exited but was not reaped yet (a zombie: its starter still
    runs and has not waited for it) counts as gone."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process took the pid: the probe will tell
    except OSError:
        return False
    with contextlib.suppress(OSError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] not in ("Z", "X")
    return True


def probe(address: str, timeout: float = 2.0) -> bool:
    """Does something accept connections at ``address``? (A server still starting does: its
    socket was bound and handed to it, and connections wait in the backlog.)"""
    try:
        if address.startswith("unix:"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target: str | tuple[str, int] = address[len("unix:") :]
        else:
            host, _, port = address.removeprefix("http://").rpartition(":")
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = (host, int(port))
    except (ValueError, OSError):
        return False
    sock.settimeout(timeout)
    try:
        sock.connect(target)
    except OSError:
        return False
    finally:
        sock.close()
    return True


def live_record(folder: Path) -> ServerRecord | None:
    """The record, if the server it names is running and accepting connections."""
    record = read_record(folder)
    if record is None or not pid_alive(record.pid) or not probe(record.address):
        return None
    return record


class StartLock:
    """``with StartLock(folder):`` — one process at a time decides and starts the server.
    Polls a non-blocking ``flock`` so a holder that hangs is reported instead of waited for
    forever; the kernel drops the lock when its holder dies."""

    def __init__(self, folder: Path, timeout: float = LOCK_TIMEOUT) -> None:
        self.path = folder / LOCK_NAME
        self.timeout = timeout
        self._file: IO[bytes] | None = None

    def __enter__(self) -> StartLock:
        handle = open(self.path, "a+b")
        if fcntl is None:
            self._file = handle
            return self
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    handle.close()
                    raise LocalServerError(
                        f"another apex-tui process has been starting the local server for "
                        f"{self.timeout:.0f} s without finishing (lock {self.path}); see "
                        "`apex-tui server status` and `apex-tui server logs`"
                    ) from None
                time.sleep(0.02)
        self._file = handle
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()
