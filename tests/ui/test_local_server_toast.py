"""The app starts while its local server starts; if it cannot start, a toast says so (with the
log's path) instead of only failed requests. With the per-user server the window holds it (it
counts as a client) while it runs, and says once when it runs with other settings."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import user_servers
from apex_pilot import SIZE

from apex_tui.api.client import ApexClient
from apex_tui.services.attachment import Attachment
from apex_tui.services.config import Config, ServerSection
from apex_tui.services.connection import Connection, aclose_connection, begin_connection
from apex_tui.services.local_admin import request, server_status
from apex_tui.services.local_server import LocalServerProcess
from apex_tui.services.server_plan import plan_local_server
from apex_tui.ui.app import ApexApp
from apex_tui.ui.widgets.status_line import StatusLine


async def test_a_local_server_that_cannot_start_is_reported(tmp_path: Path) -> None:
    db = tmp_path / "apex.db"
    db.write_bytes(b"not a database " * 200)
    server = LocalServerProcess(["--db", str(db)], log_path=tmp_path / "server.log")
    server.start()
    client = ApexClient(server.base_url, "k", max_retries=0)
    conn = Connection(client=client, description="local server, offline engine", embedded=server)
    app = ApexApp(conn, Config(), config_file=tmp_path / "c.toml", state_path=tmp_path / "state")
    try:
        async with app.run_test(size=SIZE) as pilot:
            messages: list[str] = []
            for _ in range(3000):  # a bound, not a clock: the child's start fails in ~1 s
                messages = [n.message for n in app._notifications]
                if any("local server could not start" in m for m in messages):
                    break
                await pilot.pause(0.01)
            toast = next(m for m in messages if "local server could not start" in m)
            assert "database" in toast and str(tmp_path / "server.log") in toast
    finally:
        await aclose_connection(conn)


async def _until(pilot: Any, predicate: Any, bound: int = 3000) -> None:
    for _ in range(bound):  # a bound, not a clock
        if await asyncio.to_thread(predicate):
            return
        await pilot.pause(0.01)
    raise AssertionError("the condition was never met")


def _connection(config: Config) -> Connection:
    return begin_connection(config, env=dict(os.environ)).finish(wait=False)


async def test_the_window_holds_the_per_user_server_while_it_runs(tmp_path: Path) -> None:
    conn = _connection(Config(server=ServerSection(tokens_per_second=0)))
    server = conn.local
    assert server is not None
    app = ApexApp(conn, Config(), config_file=tmp_path / "c.toml", state_path=tmp_path / "state")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _until(pilot, lambda: server_status(server.record, None).clients == 1)
            line = app.screen.query_one(StatusLine)
            assert "local server, offline engine" in line.render().plain
    finally:
        await aclose_connection(conn)
    assert server_status(server.record, None).clients == 0
    assert user_servers.alive(server.pid)  # it stays for other windows and jobs


async def test_a_server_with_other_settings_is_named_once(tmp_path: Path) -> None:
    first = _connection(Config(server=ServerSection(tokens_per_second=0)))
    assert first.local is not None
    first.local.wait_ready()
    holder = Attachment(first.local, lambda _severity, _text: None)
    holder.start()  # another window uses it: it cannot be replaced now
    try:
        assert holder.attached.wait(30)
        conn = _connection(Config(server=ServerSection(tokens_per_second=7)))
        assert conn.local is not None and conn.local.pid == first.local.pid
        app = ApexApp(
            conn, Config(), config_file=tmp_path / "c.toml", state_path=tmp_path / "state"
        )
        try:
            async with app.run_test(size=SIZE) as pilot:
                await _until(
                    pilot, lambda: any("[server] settings" in n.message for n in app._notifications)
                )
                notes = [n for n in app._notifications if "[server] settings" in n.message]
                assert len(notes) == 1 and notes[0].severity == "warning"
        finally:
            await aclose_connection(conn)
    finally:
        holder.close()
        await aclose_connection(first)


async def test_a_per_user_server_that_cannot_start_is_reported(tmp_path: Path) -> None:
    db = Path(os.environ["XDG_DATA_HOME"]) / "apex-tui" / "apex.db"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"not a database " * 200)
    conn = _connection(Config())
    app = ApexApp(conn, Config(), config_file=tmp_path / "c.toml", state_path=tmp_path / "state")
    try:
        async with app.run_test(size=SIZE) as pilot:

            def reported() -> bool:
                return any("local server could not start" in n.message for n in app._notifications)

            await _until(pilot, reported)
            toast = next(n.message for n in app._notifications if "could not start" in n.message)
            assert "database" in toast and "server.log" in toast
    finally:
        await aclose_connection(conn)


async def test_a_stopped_server_is_restarted_by_the_window_with_the_current_settings(
    tmp_path: Path,
) -> None:
    conn = _connection(Config(server=ServerSection(tokens_per_second=0)))
    server = conn.local
    assert server is not None
    config_file = tmp_path / "c.toml"
    app = ApexApp(conn, Config(), config_file=config_file, state_path=tmp_path / "state")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _until(pilot, lambda: server_status(server.record, None).clients == 1)
            config_file.write_text("[server]\ntokens_per_second = 5\n")  # changed meanwhile
            await asyncio.to_thread(request, server.record, None, "POST", "stop")

            def restarted() -> bool:
                record = user_servers.record()
                return record is not None and record.pid != server.pid

            await _until(pilot, restarted)
            record = user_servers.record()
            assert record is not None
            assert record.plan == plan_local_server({"tokens_per_second": 5}).fingerprint
            await _until(pilot, lambda: server_status(record, None).clients == 1)
            notes = [n.message for n in app._notifications]
            assert any("stop requested" in n and "a new one runs now" in n for n in notes), notes
    finally:
        await aclose_connection(conn)


async def test_a_key_without_a_base_url_opens_on_the_local_server_and_says_so(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "MACROCOSMOS_API_KEY": "a-key-from-the-sdk"}
    env.pop("MACROCOSMOS_BASE_URL", None)
    config = Config(server=ServerSection(tokens_per_second=0))
    conn = begin_connection(config, env=env).finish(wait=False)
    assert conn.local is not None
    app = ApexApp(conn, config, config_file=tmp_path / "c.toml", state_path=tmp_path / "state")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            messages = [n.message for n in app._notifications]
            assert any("(from MACROCOSMOS_API_KEY) is not used" in m for m in messages), messages
            line = app.screen.query_one(StatusLine)
            assert "local server, offline engine" in line.render().plain
    finally:
        await aclose_connection(conn)
