"""The chat list asked for at the app's mount goes into the first frame when it arrives in
time (one paint instead of two); a server slow to answer only delays the first frame by
``FIRST_FRAME_WAIT``, after which the list loads as before and says so; a server this process
is starting is not waited for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apex_pilot import KEY, SIZE, AppFactory
from hostile_servers import hostile, silent

from apex_tui.api.client import ApexClient
from apex_tui.services.config import Config
from apex_tui.services.connection import Connection
from apex_tui.services.local_server import LocalServerProcess
from apex_tui.ui.app import FIRST_FRAME_WAIT, ApexApp
from apex_tui.ui.controllers.chat_list import ChatListController
from apex_tui.ui.widgets.sessions import SessionsPane
from apex_tui.ui.widgets.status_line import StatusLine


async def test_chats_answered_in_time_are_in_the_first_frame(
    make_app: AppFactory, apex_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[object] = []
    original = ChatListController.load

    async def counted(self: ChatListController) -> None:
        loads.append(self)
        await original(self)

    monkeypatch.setattr(ChatListController, "load", counted)
    async with ApexClient(apex_server.base_url, KEY, max_retries=0) as client:
        created = await client.create_chat_and_completion("hello there")  # before the start
    app = make_app()
    async with app.run_test(size=SIZE):
        main = app.main_screen
        assert main is not None
        # No pause: the screen's mount, which the first frame follows, filled the list itself.
        pane = main.query_one(SessionsPane)
        assert created.parsed_chat is not None
        assert [s.id for s in pane.sessions][:1] == [created.parsed_chat.id]
        assert loads == []  # the loading worker (a second paint) was not needed


async def test_a_server_slow_to_answer_delays_the_first_frame_only_a_little(
    make_app: AppFactory,
) -> None:
    with hostile(silent) as server:
        app = make_app(base_url=server.base_url)
        async with app.run_test(size=SIZE) as pilot:
            main = app.main_screen
            assert main is not None
            await pilot.pause()
            # The wait is over: the list is loading the usual way and the status says so.
            assert main.query_one(StatusLine).activity == "loading chats…"
            assert [w for w in app.workers if w.group == "sessions"]


def test_the_first_frame_does_not_wait_for_a_server_this_process_starts(tmp_path: Path) -> None:
    """A child server just started answers only once it is up: waiting would only hold the
    first frame back. A server that already ran is worth the (bounded) wait."""
    client = ApexClient("http://127.0.0.1:9", KEY, max_retries=0)
    starting = LocalServerProcess(["--port", "0"], log_path=tmp_path / "server.log")  # not run
    for connection, wait in (
        (Connection(client=client, description="a child server", embedded=starting), 0.0),
        (Connection(client=client, description="127.0.0.1:9"), FIRST_FRAME_WAIT),
    ):
        app = ApexApp(connection, Config(), config_file=tmp_path / "c.toml", state_path=tmp_path)
        assert app._first_frame_wait() == wait
