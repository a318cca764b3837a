"""Make the local server run with new ``[server]`` settings now (the app's switch to a model
server it found): :func:`restart_local_server`.

The per-user server (``user_server``) is shared and outlives windows, and a changed setting
otherwise applies only once it is idle. Here the user asked for the change, so, unless research
jobs run on it, it is stopped the way ``apex-tui server stop`` stops it and the server for the
new plan is found or started at once, on the same database; this connection's client follows
it. Other windows attached to the old server start the next one with the config file's
settings — the same new ones, since the switch writes them there first. Under running research
jobs nothing is stopped: the server is asked to retire, and the next one (started once the jobs
have finished) has the new settings.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping

from apex_tui.services.config import Config, ConfigError
from apex_tui.services.connection import Connection, child_server, local_plan
from apex_tui.services.local_server import LocalServerError, LocalServerProcess
from apex_tui.services.server_plan import LocalServerPlan
from apex_tui.services.user_server import APP_VERSION, UserServer, connect, stop_server

__all__ = ["ServerBusy", "restart_local_server"]


class ServerBusy(LocalServerError):
    """Research jobs run on the per-user server: it is not stopped under them."""


def restart_local_server(
    conn: Connection, config: Config, env: Mapping[str, str] | None = None
) -> str:
    """Make the connection's local server run with ``config``'s ``[server]`` settings (see the
    module docstring); returns the new description. Blocking (run it in a thread). Raises
    ``ConfigError`` for unusable settings (before anything stops), :class:`ServerBusy` while
    research jobs run, ``LocalServerError`` if the new server cannot start."""
    env = os.environ if env is None else env
    plan = local_plan(config)
    if conn.local is not None:
        server = _replace(conn.local, plan, env)
        if server.base_url != conn.client.base_url:  # loopback TCP on another port
            conn.client.retarget(server.base_url)
        conn.local, conn.description = server, server.description
        return server.description
    old = conn.embedded
    if not isinstance(old, LocalServerProcess):
        raise ConfigError("apex-tui is not running its own local server; nothing to restart")
    old.stop()  # first: the new server then holds the database's lock and resumes its jobs
    new = child_server(plan, env)
    try:
        url = new.wait_ready()
    except BaseException:
        new.stop()
        raise
    conn.client.retarget(url)
    conn.embedded, conn.description = new, plan.description
    return plan.description


def _replace(server: UserServer, plan: LocalServerPlan, env: Mapping[str, str]) -> UserServer:
    """The per-user server for ``plan``: ``server`` stopped first unless it runs that plan."""
    from apex_tui.services.local_admin import AdminError, request, server_status

    record, token = server.record, server.token
    if record.plan != plan.fingerprint or record.version != APP_VERSION:
        try:
            status = server_status(record, token)
        except AdminError:
            status = None  # gone already (or not answering): connect decides below
        if status is not None and status.running_jobs:
            with contextlib.suppress(AdminError):
                request(record, token, "POST", "retire")
            count = len(status.running_jobs)
            raise ServerBusy(
                f"{count} research job{'s' if count != 1 else ''} run on the local server, so "
                "it keeps its settings until they finish; then the next one starts with the "
                "new settings (already in the config). `apex-tui server stop --yes` pauses "
                "the jobs and applies them now."
            )
        if status is not None and not stop_server(record, token):
            raise LocalServerError(
                f"the local server (pid {record.pid}) did not stop in time; "
                "`apex-tui server stop --force` ends it, then try again"
            )
    new = connect(plan, env)
    assert new is not None  # only defer_mismatch returns None
    if new.mismatch:  # the old one is still there (it did not answer): it retires once idle
        raise LocalServerError(new.mismatch)
    new.wait_ready()
    return new
