"""The interactive command starts the local server before the config models load
(``EarlyLocalServer``); ``begin_connection`` adopts that child only when the validated config
asks for the same server, and stops it otherwise — so starting early never changes which
server runs, it only makes it ready sooner."""

from __future__ import annotations

import asyncio
import itertools
import os
from pathlib import Path

import pytest
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


def test_the_early_child_is_adopted_when_the_config_agrees(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "[server]\ntokens_per_second = 0\n")
    early = EarlyLocalServer.start(path, None, None, env={})
    assert early is not None
    pid = early.process.pid
    assert pid is not None and _alive(pid)
    config = Config(server=ServerSection(tokens_per_second=0))
    conn = begin_connection(config, env={}, early=early).finish()
    try:
        assert conn.embedded is early.process and conn.embedded.pid == pid
        assert conn.description == "local server, offline engine"
        assert asyncio.run(conn.client.get_chat_sessions("apex")) == []
    finally:
        close_connection(conn)
    assert not _alive(pid)


def test_the_early_child_is_replaced_when_the_validated_config_differs(tmp_path: Path) -> None:
    early = EarlyLocalServer.start(_config_file(tmp_path, ""), None, None, env={})
    assert early is not None
    early_pid = early.process.pid
    assert early_pid is not None
    config = Config(server=ServerSection(tokens_per_second=0))  # not what the file said
    conn = begin_connection(config, env={}, early=early).finish()
    try:
        assert not _alive(early_pid)
        assert conn.embedded is not None and conn.embedded.pid not in (None, early_pid)
        assert asyncio.run(conn.client.get_chat_sessions("apex")) == []
    finally:
        close_connection(conn)


def test_the_early_child_is_stopped_when_a_key_is_configured_after_all(tmp_path: Path) -> None:
    early = EarlyLocalServer.start(_config_file(tmp_path, ""), None, None, env={})
    assert early is not None and early.process.pid is not None
    pid = early.process.pid
    pending = begin_connection(Config(), env={"APEX_API_KEY": "k"}, early=early)
    assert pending.local is None
    assert not _alive(pid)


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


def test_a_config_the_models_refuse_stops_the_early_child(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "theme = 5\n")  # valid TOML; the models want a string
    before = _children()
    assert cli.main(["--config", path]) == 2
    assert _children() == before
