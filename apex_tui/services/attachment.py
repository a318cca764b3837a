"""An app window's hold on the per-user server: ``/apex-tui/v1/attach`` kept open by a thread.

While it is open the server counts this process as a client and does not exit when idle; it
closes with the process, however that ends (even SIGKILL). When the server goes away under a
window — stopped by ``apex-tui server stop``, killed, crashed — :class:`Attachment` finds or
starts the per-user server again (``user_server.connect``: the socket's path stays the same,
so the window's client carries on) and says what happened through ``notify``. A thread and the
standard library, no event loop: the app's loop is not involved and nothing here imports
Textual.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections.abc import Callable, Mapping

from apex_tui.services.local_admin import headers, open_http
from apex_tui.services.local_server import LocalServerError
from apex_tui.services.server_plan import LocalServerPlan
from apex_tui.services.user_server import UserServer, connect

__all__ = ["Attachment", "Notify"]

Notify = Callable[[str, str], None]
"""``notify(severity, message)``; severity is ``information``, ``warning`` or ``error``."""
MAX_BACKOFF = 30.0


class Attachment:
    """Holds the attach request open and starts a new server if this one goes away."""

    def __init__(
        self,
        server: UserServer,
        notify: Notify,
        env: Mapping[str, str] | None = None,
        plan_source: Callable[[], LocalServerPlan] | None = None,
        on_new: Callable[[UserServer], None] | None = None,
    ) -> None:
        self.server = server
        self.notify = notify
        self.env = env
        self.plan_source = plan_source
        """The settings a new server is started with (the config as it is now); else the
        plan this process started with."""
        self.on_new = on_new
        """Told of each new server this window holds (from the thread: its description may
        name another engine)."""
        self._expected = threading.Event()
        self.attached = threading.Event()
        """Set while the server has counted this process (tests wait on it)."""
        self._closed = threading.Event()
        self._connection: http.client.HTTPConnection | None = None
        self._held = False
        self._thread = threading.Thread(target=self._run, name="apex-attach", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def expect_restart(self, expected: bool = True) -> None:
        """This window is replacing the server itself (``server_switch``): the next new server
        is held without a notice that the old one stopped."""
        if expected:
            self._expected.set()
        else:
            self._expected.clear()

    def close(self) -> None:
        """Let go (the app is quitting): the server no longer counts this window."""
        self._closed.set()
        connection = self._connection
        if connection is not None and connection.sock is not None:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        backoff = 0.5
        while not self._closed.is_set():
            why = self._hold()
            if self._closed.is_set():
                return
            if self._held:
                backoff = 0.5
            elif self._closed.wait(backoff):  # it refused us or never answered: not too often
                return
            else:
                backoff = min(MAX_BACKOFF, backoff * 2)
            self._reap()
            try:
                plan = self.plan_source() if self.plan_source else self.server.plan
                server = connect(plan, self.env)
                assert server is not None
                server.wait_ready()
            except LocalServerError as exc:
                self.notify("error", str(exc))
                continue
            if not self._expected.is_set():
                self._report_new(server, why)
            self._expected.clear()
            self.server = server
            if self.on_new is not None:
                self.on_new(server)

    def _hold(self) -> str:
        """Attach and wait until the stream ends; returns why (the server's words if it said)."""
        record = self.server.record
        connection = open_http(record, timeout=10.0)
        self._connection = connection
        self._held = False
        try:
            connection.request("GET", "/apex-tui/v1/attach", headers=headers(self.server.token))
            reply = connection.getresponse()
            if reply.status != 200:
                return f"it refused this window (HTTP {reply.status})"
            if connection.sock is not None:
                connection.sock.settimeout(None)  # held for as long as the window runs
            reply.readline()  # {"attached": true, ...}
            self._held = True
            self.attached.set()
            while line := reply.readline():
                with contextlib.suppress(ValueError, AttributeError):
                    closing = json.loads(line).get("closing")
                    if closing:
                        return str(closing)
            return "it went away"
        except (OSError, http.client.HTTPException):
            return "it went away"
        finally:
            self.attached.clear()
            self._connection = None
            connection.close()

    def _reap(self) -> None:
        """A server this process started and that has ended is reaped (no zombie left)."""
        starting = self.server.starting
        if starting is not None:
            with contextlib.suppress(OSError):
                starting.process.poll()

    def _report_new(self, server: UserServer, why: str) -> None:
        old = self.server.record
        if server.record.address != old.address:
            self.notify(
                "warning",
                f"The local server stopped ({why}) and a new one listens at "
                f"{server.record.address}; restart apex-tui to use it.",
            )
        elif server.pid != old.pid:
            self.notify(
                "information",
                f"The local server stopped ({why}); a new one runs now (pid {server.pid}). "
                "Unfinished research jobs continue there.",
            )
        if server.mismatch:
            self.notify("warning", server.mismatch[0].upper() + server.mismatch[1:] + ".")
