"""The interactive command finds or starts the per-user local server before the config models
load (``EarlyLocalServer``); ``begin_connection`` adopts it only when the validated config asks
for the same server, and asks again otherwise — so the early path never changes which server
runs, it only makes it ready sooner. A running server of another plan is left to the normal
path (which decides about replacing it)."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path
from typing import Any

import pytest
import user_servers
from test_local_server import _alive

from apex_tui import cli
from apex_tui.services.config import Config, ServerSection
from apex_tui.services.connection import begin_connection, close_connection, resolve_endpoint
from apex_tui.services.local_plan import EarlyLocalServer, nothing_configured, plan_local_server

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process checks use /proc")


def _children() -> set[int]:
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        text = (task / "children").read_text().split()
        pids.update(int(p) for p in text)
    return {p for p in pids if _alive(p)}


def _config_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_raw_rule_is_resolve_endpoints_rule() -> None:
    values = (None, "", "  ", "x")
    for flag_url, flag_key, env_key, env_url, cfg_key, cfg_url in itertools.product(
        values, values, values, values, values, values
    ):
        env = {"APEX_API_KEY": env_key, "MACROCOSMOS_BASE_URL": env_url}
        env = {k: v for k, v in env.items() if v is not None}
        config = Config(api_key=cfg_key, base_url=cfg_url)
        local = resolve_endpoint(flag_url, flag_key, env, config) == (None, None)
        assert nothing_configured(flag_url, flag_key, env, cfg_key, cfg_url) is local


def test_a_raw_table_and_its_validated_section_make_the_same_plan() -> None:
    raw = {"engine": "offline", "tokens_per_second": 0}
    assert plan_local_server(raw) == plan_local_server(ServerSection(**raw).model_dump())
    with pytest.raises(ValueError):
        plan_local_server({"tokens_per_second": "fast"})


def test_the_early_server_is_adopted_when_the_config_agrees(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "[server]\ntokens_per_second = 0\n")
    early = EarlyLocalServer.start(path, None, None, env={})
    assert early is not None
    pid = early.server.pid
    assert _alive(pid) and early.server.starting is not None  # this process started it
    config = Config(server=ServerSection(tokens_per_second=0))
    conn = begin_connection(config, env={}, early=early).finish()
    try:
        assert conn.local is early.server and conn.embedded is None
        assert conn.description == "local server, offline engine"
        assert asyncio.run(conn.client.get_chat_sessions("apex")) == []
    finally:
        close_connection(conn)
    assert _alive(pid)  # shared: it stays for the next process
    again = EarlyLocalServer.start(path, None, None, env={})
    assert again is not None and again.server.pid == pid and again.server.starting is None


def test_the_early_server_is_replaced_when_the_validated_config_differs(tmp_path: Path) -> None:
    early = EarlyLocalServer.start(_config_file(tmp_path, ""), None, None, env={})
    assert early is not None
    early_pid = early.server.pid
    early.server.wait_ready()
    config = Config(server=ServerSection(tokens_per_second=0))  # not what the file said
    conn = begin_connection(config, env={}, early=early).finish()
    try:
        assert conn.local is not None and conn.local.pid != early_pid
        assert not conn.local.mismatch  # the early one was idle: replaced, not kept
        assert not _alive(early_pid)
        assert asyncio.run(conn.client.get_chat_sessions("apex")) == []
    finally:
        close_connection(conn)


def test_a_running_server_of_another_plan_is_left_to_the_normal_path(tmp_path: Path) -> None:
    first = EarlyLocalServer.start(_config_file(tmp_path, ""), None, None, env={})
    assert first is not None
    other = _config_file(tmp_path, "[server]\ntokens_per_second = 5\n")
    assert EarlyLocalServer.start(other, None, None, env={}) is None
    assert _alive(first.server.pid)


def test_the_early_server_is_not_used_when_a_key_is_configured_after_all(tmp_path: Path) -> None:
    early = EarlyLocalServer.start(_config_file(tmp_path, ""), None, None, env={})
    assert early is not None
    pending = begin_connection(Config(), env={"APEX_API_KEY": "k"}, early=early)
    assert pending.local is None and pending.url is not None


@pytest.mark.parametrize(
    ("text", "flags", "env"),
    [
        ('api_key = "k"\n', (None, None), {}),
        ('base_url = "http://127.0.0.1:9"\n', (None, None), {}),
        ("", ("http://127.0.0.1:9", None), {}),
        ("", (None, None), {"MACROCOSMOS_API_KEY": "k"}),
        ("this is = = not toml\n", (None, None), {}),
        ("api_key = 5\n", (None, None), {}),
        ("[server]\ntokens_per_second = 'fast'\n", (None, None), {}),
    ],
)
def test_nothing_starts_early_unless_the_local_server_is_clearly_wanted(
    tmp_path: Path, text: str, flags: tuple[str | None, str | None], env: dict[str, str]
) -> None:
    before = _children()
    early = EarlyLocalServer.start(_config_file(tmp_path, text), *flags, env=env)
    assert early is None
    assert _children() == before
    assert user_servers.record() is None


def test_a_config_the_models_refuse_is_reported(tmp_path: Path, capsys: Any) -> None:
    path = _config_file(tmp_path, "theme = 5\n")  # valid TOML; the models want a string
    assert cli.main(["--config", path]) == 2
    assert "theme" in capsys.readouterr().err
