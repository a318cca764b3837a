"""``server.grpc_port`` in the config (issue 16): the app's local server then also speaks gRPC
on that port, so SDK scripts read and write the chats the app shows."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from apex_tui.cli import main
from apex_tui.services.config import Config, ConfigError, ServerSection, set_value
from apex_tui.services.connection import LOCAL_KEY, close_connection, open_connection
from apex_tui.services.local_plan import plan_local_server
from apex_tui.services.server_plan import grpc_key_path


def test_the_plan_passes_the_port_on_and_checks_it() -> None:
    args = plan_local_server({"grpc_port": 50051}).args
    assert args[args.index("--grpc-port") + 1] == "50051"
    assert "--grpc-port" not in plan_local_server({}).args  # off unless asked
    raw = {"grpc_port": 50051, "tokens_per_second": 0}
    assert plan_local_server(raw) == plan_local_server(ServerSection(**raw).model_dump())
    for bad in ("50051", True, 1.5):
        with pytest.raises(ValueError, match="grpc_port"):
            plan_local_server({"grpc_port": bad})


def test_config_set_takes_a_port_number_only() -> None:
    config = Config()
    set_value(config, "server.grpc_port", "50051")
    assert config.server.grpc_port == 50051
    set_value(config, "server.grpc_port", "none")
    assert config.server.grpc_port is None
    for bad in ("0", "70000", "fast"):
        with pytest.raises(ConfigError, match=r"server\.grpc_port"):
            set_value(config, "server.grpc_port", bad)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_apps_local_server_shares_its_chats_over_grpc(
    capsys: pytest.CaptureFixture[str],
) -> None:
    grpc = pytest.importorskip("grpc")
    from apex_tui.server.grpc.generated import apex_pb2, apex_pb2_grpc

    port = _free_port()
    config = Config(server=ServerSection(tokens_per_second=0, grpc_port=port))
    conn = open_connection(config, env={})
    try:

        async def make_chat() -> Any:
            return await conn.client.create_chat_and_completion(
                "Made in the app", chat_type="apex", completion_type="basic"
            )

        made = asyncio.run(make_chat())
        key_file = grpc_key_path()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = apex_pb2_grpc.ApexServiceStub(channel)

            def sessions_for(key: str) -> Any:
                return stub.GetChatSessions(
                    apex_pb2.GetChatSessionsRequest(),
                    metadata=[("authorization", f"Bearer {key}")],
                    timeout=30,
                )

            # Any local user can reach a loopback port, and the app's key is no secret: the
            # port takes only the key in a file of the user's own.
            with pytest.raises(grpc.RpcError) as refused:
                sessions_for(LOCAL_KEY)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert "apex-tui server grpc-key" in str(refused.value.details())
            assert key_file.stat().st_mode & 0o777 == 0o600
            sessions = sessions_for(key_file.read_text(encoding="utf-8").strip())
    finally:
        close_connection(conn)
    assert [s.title for s in sessions.chat_sessions] == ["Made in the app"]
    assert sessions.chat_sessions[0].id == made.parsed_chat.id
    capsys.readouterr()
    assert main(["server", "grpc-key"]) == 0  # what MACROCOSMOS_API_KEY=$(…) reads
    assert capsys.readouterr().out.strip() == key_file.read_text(encoding="utf-8").strip()
