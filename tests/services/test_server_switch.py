"""Switching the per-user local server to new ``[server]`` settings now (the app's f8), with real
processes and sockets: with no research job the old server stops and the connection's client
goes on with the new one, however many windows hold it; with a job running nothing is stopped,
the server retires and the switch says when the new settings apply. Bad settings stop nothing.
Live-search settings are part of the plan (so changing them replaces an idle server)."""

from __future__ import annotations

import asyncio
import os

import pytest
import user_servers
from fakes.searxng import SearchLog, make_searxng
from fakes.serve import serving

from apex_tui.api.models import ChatCompletionRequest, ChatMessage, WebRetrievalRequest
from apex_tui.services.attachment import Attachment
from apex_tui.services.config import Config, ConfigError, ServerSection
from apex_tui.services.connection import Connection, close_connection, open_connection
from apex_tui.services.local_admin import server_status
from apex_tui.services.server_plan import plan_local_server
from apex_tui.services.server_switch import ServerBusy, restart_local_server

pytestmark = pytest.mark.skipif(os.name != "posix", reason="the per-user server is POSIX")


def _config(**settings: object) -> Config:
    return Config(server=ServerSection.model_validate({"tokens_per_second": 0, **settings}))


async def _chat_ids(conn: Connection) -> list[str]:
    return [s.id for s in await conn.client.get_chat_sessions("apex")]


def test_an_idle_server_is_replaced_and_the_client_follows() -> None:
    conn = open_connection(_config())
    try:
        assert conn.local is not None
        old = conn.local
        other = Attachment(old, lambda _severity, _text: None)  # another window holds it
        other.start()
        try:
            assert other.attached.wait(30)
            description = restart_local_server(conn, _config(research_step_seconds=0.5))
            assert description == "local server, offline engine"
            assert conn.local is not None and conn.local.pid != old.pid
            assert user_servers.gone_within(old.pid, 30)
            record = user_servers.record()
            assert record is not None and record.pid == conn.local.pid
            assert record.plan == conn.local.plan.fingerprint != old.plan.fingerprint
            assert asyncio.run(_chat_ids(conn)) == []  # the same client, the new server
        finally:
            other.close()
    finally:
        close_connection(conn)


def test_under_a_running_job_nothing_stops_and_the_server_retires() -> None:
    conn = open_connection(_config(research_step_seconds=0.3))
    try:
        assert conn.local is not None
        server = conn.local

        async def submit() -> str:
            request = ChatCompletionRequest(
                messages=[ChatMessage(role="user", content="What is WAL?")]
            )
            return (await conn.client.submit_deep_researcher_job(request)).job_id

        job_id = asyncio.run(submit())
        with pytest.raises(ServerBusy, match="1 research job run on the local server"):
            restart_local_server(conn, _config(research_step_seconds=0.3, tokens_per_second=5))
        assert conn.local is server and user_servers.alive(server.pid)
        status = server_status(server.record, server.token)
        assert status.retiring and job_id in status.running_jobs
    finally:
        close_connection(conn)


def test_settings_that_cannot_run_stop_nothing() -> None:
    conn = open_connection(_config())
    try:
        assert conn.local is not None
        with pytest.raises(ConfigError, match="upstream"):
            restart_local_server(conn, _config(engine="openai"))  # no upstream_url
        assert user_servers.alive(conn.local.pid)
        assert not server_status(conn.local.record, conn.local.token).retiring
    finally:
        close_connection(conn)


def test_live_search_settings_are_in_the_plan_and_the_server_runs_with_them() -> None:
    plain = plan_local_server({})
    assert "--searxng" not in plain.args and "--fetch-private-pages" not in plain.args
    with pytest.raises(ValueError, match="fetch_private_pages"):
        plan_local_server({"fetch_private_pages": "yes"})
    log = SearchLog()
    with serving(make_searxng(log)) as url:
        raw = {"tokens_per_second": 0, "searxng_url": url, "fetch_private_pages": True}
        live = plan_local_server(raw)
        args = live.args
        assert args[args.index("--searxng") + 1] == url and "--fetch-private-pages" in args
        assert live == plan_local_server(ServerSection(**raw).model_dump())  # early = late
        assert live.fingerprint != plan_local_server({"tokens_per_second": 0}).fingerprint
        conn = open_connection(Config(server=ServerSection(**raw)))  # type: ignore[arg-type]
        try:

            async def search() -> list[str]:
                request = WebRetrievalRequest(
                    search_query="sqlite write-ahead logging", n_results=2
                )
                reply = await conn.client.web_retrieval(request)
                return [r.content for r in reply.results]

            contents = asyncio.run(search())
        finally:
            close_connection(conn)
    assert log.queries == ["sqlite write-ahead logging"]
    assert "sqlite-wal" in log.fetched  # a loopback page, read since private pages are allowed
    assert any("WAL file holds new pages" in c for c in contents)
