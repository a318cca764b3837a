"""The app starts while its local server child starts; if the child cannot start, a toast
says so (with the log's path) instead of only failed requests."""

from __future__ import annotations

from pathlib import Path

from apex_pilot import SIZE

from apex_tui.api.client import ApexClient
from apex_tui.services.config import Config
from apex_tui.services.connection import Connection, aclose_connection
from apex_tui.services.local_server import LocalServerProcess
from apex_tui.ui.app import ApexApp


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
