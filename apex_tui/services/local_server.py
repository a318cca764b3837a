"""The local server in a child process tied to its parent: benchmarks, tests, and the default
where the per-user server (``user_server``, POSIX) is not available.

Why a process and not a thread: the UI and the server would share one GIL. A child starts while
the UI imports (on the other core) and, while an answer streams at full speed, generates and
encodes chunks without taking the UI thread's turns.

The child is ``python -m apex_tui serve --port 0 --ready-line --stdin-lifeline …``: it prints one
machine-readable line on stdout once it listens (:data:`READY_PREFIX` + base URL), logs to a
file in the state folder (never to the terminal the TUI draws on), and shuts down gracefully
when its stdin reaches EOF — which happens when this process closes the pipe (:meth:`stop`) or
dies in any way, even by SIGKILL, so no server is left behind. It runs in its own session so a
Ctrl-C meant for the CLI does not kill it mid-answer.

This module imports nothing from ``apex_tui.server`` (the parent never loads uvicorn).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "READY_PREFIX",
    "UPSTREAM_KEY_ENV",
    "LocalServerError",
    "LocalServerProcess",
    "last_log_line",
]

READY_PREFIX = "apex-tui-server-ready "
"""The child's ready line: this prefix, then ``http://HOST:PORT`` (``apex_tui.server.cli``)."""
UPSTREAM_KEY_ENV = "APEX_TUI_UPSTREAM_KEY"
"""The upstream key travels in the child's environment, not on its (world-readable) argv."""
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
"""The child gives open streams up to 10 s to end (uvicorn's ``timeout_graceful_shutdown``)."""


class LocalServerError(Exception):
    """The local server could not start; the message says why and where its log is."""


def last_log_line(path: Path) -> str:
    """The server log's last line (a failed start's reason), or empty."""
    with contextlib.suppress(OSError):
        lines = [x.strip() for x in path.read_text(errors="replace").splitlines()]
        last = next((x for x in reversed(lines) if x), "")
        return last.removeprefix("apex-tui serve: ")
    return ""


class LocalServerProcess:
    """One ``apex-tui serve`` child: :meth:`start` spawns it and returns at once,
    :meth:`wait_ready` waits for its ready line, :meth:`stop` ends it gracefully (EOF on its
    stdin), then firmly.

    On POSIX this process binds the listening socket itself and hands it to the child
    (``--fd``), so the address is known at once: a request sent before the child is serving
    waits in the socket's backlog instead of failing. Our copy of the socket is closed right
    after the spawn, so if the child dies its socket closes and requests fail at once."""

    def __init__(
        self,
        serve_args: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        python: str = sys.executable,
        host: str = "127.0.0.1",
    ) -> None:
        self.serve_args = list(serve_args)
        self.log_path = log_path
        self.env = dict(os.environ if env is None else env)
        self.python = python
        self.host = host
        self._process: subprocess.Popen[bytes] | None = None
        self._base_url = ""
        self._ready = threading.Event()
        self._line = ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def base_url(self) -> str:
        """Known once started (POSIX: we bound its socket), else once ready."""
        if not self._base_url:
            raise RuntimeError("the local server is not ready; call wait_ready() first")
        return self._base_url

    def start(self) -> None:
        """Spawn the child and return at once (it imports and starts in parallel with us)."""
        if self._process is not None:
            return
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):  # keep the previous run's log for one more start
            self.log_path.replace(self.log_path.with_name(self.log_path.name + ".1"))
        command = [self.python, "-m", "apex_tui", "serve", *self.serve_args]
        command += ["--ready-line", "--stdin-lifeline"]
        sock = _listening_socket(self.host) if os.name == "posix" else None
        if sock is not None:
            command += ["--fd", str(sock.fileno())]
        try:
            with open(self.log_path, "wb") as log:
                self._process = subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    env=self.env,
                    close_fds=True,
                    pass_fds=(sock.fileno(),) if sock is not None else (),
                    start_new_session=True,
                )
        except OSError as exc:
            raise LocalServerError(
                f"local server could not start: {exc}. Check that {self.python} runs."
            ) from None
        finally:
            if sock is not None:
                port = sock.getsockname()[1]
                sock.close()  # the child holds it now
        if sock is not None:
            shown = f"[{self.host}]" if ":" in self.host else self.host
            self._base_url = f"http://{shown}:{port}"
        threading.Thread(target=self._watch_ready, name="apex-server-ready", daemon=True).start()

    def _watch_ready(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        with contextlib.suppress(OSError, ValueError):
            self._line = process.stdout.readline().decode(errors="replace")
            process.stdout.close()  # nothing more is written there
        self._ready.set()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> str:
        """Block until the child prints its ready line; returns its base URL. Raises
        :class:`LocalServerError` (and stops the child) if it fails to start."""
        self.start()
        process = self._process
        if process is None:
            raise LocalServerError("local server could not start: it was stopped")
        answered = self._ready.wait(timeout)
        line = self._line
        if line.startswith(READY_PREFIX):
            self._base_url = line[len(READY_PREFIX) :].strip()
            return self._base_url
        if line:  # not ours: something else wrote to stdout first
            reason = f"it printed {line.strip()[:200]!r} instead of its address"
        elif not answered:
            reason = f"it did not report its address within {timeout:.0f} s"
        else:
            # Its stdout closed without a line: it is exiting. (It may not be reaped yet, so
            # asking poll() here would mistake a failed start for a slow one.)
            reason = self._failure_reason(process)
        self.stop()
        raise LocalServerError(
            f"local server could not start: {reason}. Its log: {self.log_path}. "
            "Fix what it names (the [server] settings: `apex-tui config show`), or set a base URL "
            "and API key to use another server."
        )

    def _failure_reason(self, process: subprocess.Popen[bytes]) -> str:
        try:
            code: int | None = process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            code = None
        last = last_log_line(self.log_path)
        if last:
            return last
        if code is None:
            return "it closed its output without reporting its address"
        return f"it exited with status {code}"

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Graceful stop: EOF on its stdin ends open streams with an end envelope and keeps
        research state; SIGTERM, then SIGKILL if it does not exit in time."""
        process, self._process = self._process, None
        self._base_url = ""
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        for step in (process.terminate, process.kill):
            try:
                process.wait(timeout)
                break
            except subprocess.TimeoutExpired:
                step()
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)


def _listening_socket(host: str) -> socket.socket:
    """A listening socket on ``host`` and a free port, inheritable by the child."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, 0))
        sock.listen(128)
        sock.set_inheritable(True)
    except OSError as exc:
        sock.close()
        raise LocalServerError(
            f"local server could not start: cannot listen on {host} ({exc.strerror}). "
            "Check the loopback interface, or set a base URL and API key."
        ) from None
    return sock
