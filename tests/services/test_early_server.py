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
from apex_tui.services.config import Config, ServerSection, load_config
from apex_tui.services.connection import begin_connection, close_connection, resolve_endpoint
from apex_tui.services.local_plan import EarlyLocalServer, no_base_url, plan_local_server

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
        local = resolve_endpoint(flag_url, flag_key, env, config)[0] is None
        assert no_base_url(flag_url, env, cfg_url) is local


def test_a_raw_table_and_its_validated_section_make_the_same_plan() -> None:
    raw = {"engine": "offline", "tokens_per_second": 0}
    assert plan_local_server(raw) == plan_local_server(ServerSection(**raw).model_dump())
    with pytest.raises(ValueError):
        plan_local_server({"tokens_per_second": "fast"})


def test_the_early_server_is_adopted_when_the_config_agrees(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "[server]\ntokens_per_second = 0\n")
    early = EarlyLocalServer.start(path, None, env={})
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
    again = EarlyLocalServer.start(path, None, env={})
    assert again is not None and again.server.pid == pid and again.server.starting is None


def test_the_early_server_is_replaced_when_the_validated_config_differs(tmp_path: Path) -> None:
    early = EarlyLocalServer.start(_config_file(tmp_path, ""), None, env={})
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
    first = EarlyLocalServer.start(_config_file(tmp_path, ""), None, env={})
    assert first is not None
    other = _config_file(tmp_path, "[server]\ntokens_per_second = 5\n")
    assert EarlyLocalServer.start(other, None, env={}) is None
    assert _alive(first.server.pid)


def test_the_early_server_is_not_used_when_a_base_url_is_configured_after_all(
    tmp_path: Path,
) -> None:
    early = EarlyLocalServer.start(_config_file(tmp_path, ""), None, env={})
    assert early is not None
    pending = begin_connection(Config(), env={"MACROCOSMOS_BASE_URL": "127.0.0.1:9"}, early=early)
    assert pending.local is None and pending.url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("text", "env", "origin"),
    [
        ('api_key = "k"\n', {}, "the config file"),
        ("", {"MACROCOSMOS_API_KEY": "k"}, "MACROCOSMOS_API_KEY"),
    ],
)
def test_a_key_without_a_base_url_uses_the_local_server_and_says_the_key_is_unused(
    tmp_path: Path, text: str, env: dict[str, str], origin: str
) -> None:
    """The public Apex service has closed: a key alone (an SDK user's MACROCOSMOS_API_KEY)
    means no remote server, so the local one serves, early too, and the key is not sent."""
    path = _config_file(tmp_path, text)
    early = EarlyLocalServer.start(path, None, env=env)
    assert early is not None
    conn = begin_connection(load_config(Path(path)), env=env, early=early).finish()
    try:
        assert conn.local is not None and conn.local.pid == early.server.pid
        assert asyncio.run(conn.client.get_chat_sessions("apex")) == []  # its own key works
        assert f"The API key (from {origin}) is not used" in conn.notice
        assert "base URL" in conn.notice
    finally:
        close_connection(conn)


@pytest.mark.parametrize(
    ("text", "flag_base_url", "env"),
    [
        ('base_url = "http://127.0.0.1:9"\n', None, {}),
        ("", "http://127.0.0.1:9", {}),
        ("", None, {"MACROCOSMOS_BASE_URL": "127.0.0.1:9"}),
        ("this is = = not toml\n", None, {}),
        ("api_key = 5\n", None, {}),
        ("[server]\ntokens_per_second = 'fast'\n", None, {}),
    ],
)
def test_nothing_starts_early_unless_the_local_server_is_clearly_wanted(
    tmp_path: Path, text: str, flag_base_url: str | None, env: dict[str, str]
) -> None:
    before = _children()
    early = EarlyLocalServer.start(_config_file(tmp_path, text), flag_base_url, env=env)
    assert early is None
    assert _children() == before
    assert user_servers.record() is None


def test_a_config_the_models_refuse_is_reported(tmp_path: Path, capsys: Any) -> None:
    path = _config_file(tmp_path, "theme = 5\n")  # valid TOML; the models want a string
    assert cli.main(["--config", path]) == 2
    assert "theme" in capsys.readouterr().err
