"""One local server per user: every apex-tui process (windows, CLI commands) uses the same
``apex-tui serve``, started on demand by the first that needs it and left running detached.

:func:`connect` finds the live server in the runtime folder (``runtime_files``) and returns a
:class:`UserServer` for it, or starts one. Without the lock when the record matches (the fast
path: a file read, a pid check and a connect); with the start lock otherwise, so processes
started at once end with one server. The rules, under the lock:

* no live record (none, the pid is gone, or its socket refuses): remove what is left, start a
  new server — this process binds its socket (a Unix socket, mode 0600, in the 0700 folder; or
  127.0.0.1 with a random token in a 0600 file where Unix sockets cannot be used) and hands it
  over, so the address is known at once and early requests wait in the socket's backlog;
* a live server of this version and plan (the ``[server]`` settings): use it;
* another version or plan: if it is idle (no research job, no client, no request) stop it and
  start a new one; else use it as it is and ask it to retire once idle — never stop a job for
  it. ``UserServer.mismatch`` says so, for the app or CLI to tell the user once.

The server runs in its own session with stdin from /dev/null and its output in the server
log (``$XDG_STATE_HOME/apex-tui/server.log``), and exits after ``idle_minutes`` unused. It
holds its database's lock, so it is also the one server that runs and resumes research jobs.
No pydantic or httpx on the fast path (``local_plan`` calls it before they load).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from apex_tui import __version__
from apex_tui.services import runtime_files as files
from apex_tui.services.local_server import (
    READY_PREFIX,
    UPSTREAM_KEY_ENV,
    LocalServerError,
    last_log_line,
)
from apex_tui.services.paths import data_dir, state_dir
from apex_tui.services.runtime_files import TOKEN_HEADER, ServerRecord, StartLock
from apex_tui.services.server_plan import LocalServerPlan

if TYPE_CHECKING:
    from apex_tui.api.transport import Route

__all__ = ["APP_VERSION", "TRANSPORT_ENV", "UserServer", "connect", "stop_server"]

APP_VERSION = __version__
"""The version this process writes into the records of servers it starts."""
TRANSPORT_ENV = "APEX_TUI_LOCAL_TRANSPORT"
"""``tcp``: start the server on 127.0.0.1 with a token even where Unix sockets work (tests)."""
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
"""A stopped server ends open streams within 10 s (uvicorn's graceful shutdown)."""
DB_WAIT = 15.0
"""How long a new server waits for a replaced one to let go of the database."""
UNIX_PATH_MAX = 100
"""Unix socket paths are limited to ~104-108 bytes; beyond this, loopback TCP is used."""


@dataclass
class UserServer:
    """The per-user server this process uses (it is never stopped when the process ends)."""

    record: ServerRecord
    folder: Path
    plan: LocalServerPlan
    """What this process asked for (the server runs it unless :attr:`mismatch` says not)."""
    token: str | None = None
    mismatch: str = ""
    """Why the server does not run this process's version or settings (empty: it does)."""
    starting: _ReadyWatch | None = field(default=None, repr=False)
    """Set when this process started it: :meth:`wait_ready` reports a failed start."""

    @property
    def description(self) -> str:
        return self.record.description

    @property
    def pid(self) -> int:
        return self.record.pid

    @property
    def base_url(self) -> str:
        """For ``ApexClient``: over the Unix socket the URL's host is only a name."""
        return "http://apex-tui.local" if self.record.uds is not None else self.record.address

    def route(self) -> Route:
        from apex_tui.api.transport import Route  # httpx: not on the early path

        return Route(
            uds=self.record.uds,
            label=f"the local server ({self.record.address})",
            hint="It may have stopped: run the command again to start it, or see "
            "`apex-tui server logs`",
        )

    def headers(self) -> dict[str, str]:
        """The access token, on loopback TCP."""
        return {TOKEN_HEADER: self.token} if self.token else {}

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """If this process started the server, wait until it serves; raises
        :class:`LocalServerError` (saying why, from its log) if it could not start."""
        if self.starting is not None:
            self.starting.wait(timeout, self)


class _ReadyWatch:
    """Reads the ready line the new server writes to a pipe (``--ready-fd``)."""

    def __init__(self, fd: int, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log
        self._line = b""
        self._done = threading.Event()
        threading.Thread(
            target=self._read, args=(fd,), name="apex-server-ready", daemon=True
        ).start()

    def _read(self, fd: int) -> None:
        try:
            while not self._line.endswith(b"\n"):
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                self._line += chunk
        except OSError:
            pass
        finally:
            os.close(fd)
            self._done.set()

    def wait(self, timeout: float, server: UserServer) -> None:
        answered = self._done.wait(timeout)
        if self._line.decode(errors="replace").startswith(READY_PREFIX):
            return
        if not answered:
            reason = f"it did not report being ready within {timeout:.0f} s"
        else:  # the pipe closed without a line: it is exiting
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(STOP_TIMEOUT)
            code = self.process.poll()
            reason = last_log_line(self.log) or f"it exited with status {code}"
        with StartLock(server.folder):
            files.remove_record(server.folder, server.pid)
        raise LocalServerError(
            f"local server could not start: {reason}. Its log: {self.log}. Fix what it names "
            "(the [server] settings: `apex-tui config show`), or set a base URL and API key "
            "to use another server."
        )


def connect(
    plan: LocalServerPlan,
    env: Mapping[str, str] | None = None,
    *,
    defer_mismatch: bool = False,
    python: str = sys.executable,
) -> UserServer | None:
    """The per-user server for this plan, started if none runs.

    ``defer_mismatch``: return None instead of deciding about a server of another version or
    plan (the early path, before pydantic loads, leaves that to the normal one)."""
    env = os.environ if env is None else env
    folder = files.private_folder()
    record = files.live_record(folder)
    if record is not None and _reason(record, plan.fingerprint) == "":
        return UserServer(record, folder, plan, _token(folder, record))
    if record is not None and defer_mismatch:
        return None
    with StartLock(folder):
        record = files.live_record(folder)
        if record is not None:
            reason = _reason(record, plan.fingerprint)
            token = _token(folder, record)
            if not reason:
                return UserServer(record, folder, plan, token)
            if defer_mismatch:
                return None
            from apex_tui.services.local_admin import AdminError, request, server_status

            try:
                status = server_status(record, token)
            except AdminError:
                status = None  # not answering: leave it be, it may be busy
            if status is None or not status.idle:
                with contextlib.suppress(AdminError):
                    request(record, token, "POST", "retire")
                return UserServer(record, folder, plan, token, mismatch=reason)
            _stop_and_wait(record, token)
        return _start(folder, plan, env, python, previous=files.read_record(folder))


def _reason(record: ServerRecord, fingerprint: str) -> str:
    if record.version != APP_VERSION:
        return (
            f"the local server runs apex-tui {record.version}, not {APP_VERSION}; it is "
            "replaced once no research job or window uses it"
        )
    if record.plan != fingerprint:
        return (
            "the local server still runs with the [server] settings it was started with; "
            "the new ones apply once no research job or window uses it (or after "
            "`apex-tui server stop`)"
        )
    return ""


def _token(folder: Path, record: ServerRecord) -> str | None:
    if record.uds is not None:
        return None
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return (folder / files.TOKEN_NAME).read_text(encoding="utf-8").strip() or None
    return None


def stop_server(record: ServerRecord, token: str | None, *, force: bool = False) -> bool:
    """Ask the server to stop and wait for its process to end; with ``force``, then SIGTERM
    and SIGKILL. True once it is gone."""
    from apex_tui.services.local_admin import AdminError, request  # http.client: not at start

    with contextlib.suppress(AdminError):
        request(record, token, "POST", "stop")
    if _gone_within(record.pid, STOP_TIMEOUT):
        return True
    if not force:
        return False
    for sig in (signal.SIGTERM, getattr(signal, "SIGKILL", signal.SIGTERM)):
        with contextlib.suppress(OSError):
            os.kill(record.pid, sig)
        if _gone_within(record.pid, 5.0):
            return True
    return False


def _stop_and_wait(record: ServerRecord, token: str | None) -> None:
    """Stop an idle server that is to be replaced (it has no job to lose)."""
    if not stop_server(record, token, force=True):
        raise LocalServerError(
            f"the local server (pid {record.pid}) of another version or settings did not stop; "
            "stop it with `apex-tui server stop --force`"
        )


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while files.pid_alive(pid):
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)  # our own child: reap it, or it lingers as a zombie
        if not files.pid_alive(pid):
            break
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _use_unix(folder: Path, env: Mapping[str, str]) -> bool:
    if env.get(TRANSPORT_ENV, "").strip().lower() == "tcp":
        return False
    return hasattr(socket, "AF_UNIX") and len(str(folder / files.SOCKET_NAME)) <= UNIX_PATH_MAX


def _listen(folder: Path, env: Mapping[str, str], previous: ServerRecord | None) -> socket.socket:
    """The new server's listening socket (inheritable): the Unix socket, or 127.0.0.1 on the
    previous server's port if it is free (windows keep their address) or any free port."""
    if _use_unix(folder, env):
        path = folder / files.SOCKET_NAME
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # stale: no live server holds it (we checked under the lock)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(path))
            os.chmod(path, 0o600)
        except OSError:
            sock.close()
            raise
    else:
        old_port = 0
        if previous is not None and previous.uds is None:
            with contextlib.suppress(ValueError):
                old_port = int(previous.address.rpartition(":")[2])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        for port in dict.fromkeys((old_port, 0)):
            try:
                sock.bind(("127.0.0.1", port))
                break
            except OSError:
                if port == 0:
                    sock.close()
                    raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _address(sock: socket.socket) -> str:
    if hasattr(socket, "AF_UNIX") and sock.family == socket.AF_UNIX:
        return f"unix:{sock.getsockname()}"
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


def _token_file(folder: Path) -> Path:
    """The access token for loopback TCP: kept across starts (a window reconnects to the next
    server with the token it has), created 0600, refused if others could read it."""
    path = folder / files.TOKEN_NAME
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
    if os.name == "posix" and os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)
    return path


def _open_log() -> tuple[Path, int]:
    log = state_dir() / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # keep the previous run's log for one more start
        log.replace(log.with_name(log.name + ".1"))
    return log, os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)


def _start(
    folder: Path,
    plan: LocalServerPlan,
    env: Mapping[str, str],
    python: str,
    previous: ServerRecord | None,
) -> UserServer:
    """Start the server detached (call with the start lock held) and write its record."""
    child_env = dict(env)
    child_env.pop(UPSTREAM_KEY_ENV, None)
    if plan.upstream_key:  # in the environment: argv is world-readable
        child_env[UPSTREAM_KEY_ENV] = plan.upstream_key
    data_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        sock = _listen(folder, env, previous)
    except OSError as exc:
        raise LocalServerError(
            f"local server could not start: cannot listen in {folder} ({exc.strerror or exc}). "
            "Check that folder, or set a base URL and API key to use another server."
        ) from None
    address = _address(sock)
    token_args: list[str] = []
    token: str | None = None
    if not address.startswith("unix:"):
        path = _token_file(folder)
        token = path.read_text(encoding="utf-8").strip()
        token_args = ["--token-file", str(path)]
    ready_read, ready_write = os.pipe()
    log, log_fd = _open_log()
    command = [python, "-m", "apex_tui", "serve", *plan.args, *token_args]
    command += ["--fd", str(sock.fileno()), "--ready-fd", str(ready_write)]
    command += ["--idle-minutes", repr(plan.idle_minutes), "--db-wait", repr(DB_WAIT)]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_fd,
            stderr=log_fd,
            env=child_env,
            close_fds=True,
            pass_fds=(sock.fileno(), ready_write),
            start_new_session=True,  # Ctrl-C or a hang-up meant for this process spares it
            umask=0o077,  # its database, journal and lock files: this user's only
        )
    except OSError as exc:
        os.close(ready_read)
        raise LocalServerError(
            f"local server could not start: {exc}. Check that {python} runs."
        ) from None
    finally:
        sock.close()  # the server holds it now
        os.close(ready_write)
        os.close(log_fd)
    record = ServerRecord(
        pid=process.pid,
        version=APP_VERSION,
        address=address,
        started=time.time(),
        plan=plan.fingerprint,
        description=plan.description,
        log=str(log),
    )
    files.write_record(folder, record)
    watch = _ReadyWatch(ready_read, process, log)
    return UserServer(record, folder, plan, token, starting=watch)
