"""Your models in the app: a model server found on loopback at first run, switched to with one
key (config written, the per-user local server replaced by one on it, the header naming the new
engine); the picker in the chat settings."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import user_servers
from apex_pilot import SIZE, main_of, send, settle, until
from fakes.model_server import ModelServer
from fakes.serve import serving
from textual.widgets import Input, Select, Static

from apex_tui.api.client import ApexClient
from apex_tui.services.config import Config, ServerSection, load_config
from apex_tui.services.connection import (
    Connection,
    aclose_connection,
    current_local_plan,
    open_connection,
)
from apex_tui.ui.app import ApexApp
from apex_tui.ui.screens.chat_settings import ChatSettingsScreen
from apex_tui.ui.widgets.key_hints import KeyHints
from apex_tui.ui.widgets.model_picker import ModelPicker


async def test_first_run_offers_a_found_model_server_and_switches_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = ModelServer(key=None)
    with serving(fake.app()) as url:
        port = int(url.rsplit(":", 1)[1])
        monkeypatch.setattr(
            "apex_tui.services.upstream_models.KNOWN_LOCAL_SERVERS", (("llama.cpp server", port),)
        )
        monkeypatch.delenv("APEX_TUI_DISCOVERY")
        config = Config(server=ServerSection(tokens_per_second=0))
        conn = await asyncio.to_thread(open_connection, config)
        assert conn.local is not None  # the per-user server
        old = conn.local.record
        config_file = tmp_path / "config.toml"
        app = ApexApp(conn, config, config_file=config_file, state_path=tmp_path / "state")
        try:
            async with app.run_test(size=SIZE) as pilot:
                await until(pilot, lambda: app.discovery.found is not None, "discovery")
                assert "offline engine" in main_of(app).status.server
                await pilot.pause()
                welcome = str(main_of(app).query_one("#welcome", Static).render())
                assert f"Found llama.cpp server at {url}/v1 (2 models). Press f8" in welcome
                hints = [(h[0], h[1]) for h in app.screen.query_one(KeyHints).hints]
                assert ("f8", "Use found model") in hints
                await pilot.press("f8")
                await until(pilot, lambda: app.discovery.found is None, "the switch")
                await until(pilot, lambda: not app.discovery.switching, "the restart")
                saved = load_config(config_file).server
                assert (saved.engine, saved.upstream_url, saved.upstream_model) == (
                    "openai",
                    f"{url}/v1",
                    "tiny",
                )
                assert conn.description == "local server, openai engine (tiny)"
                assert "openai engine (tiny)" in main_of(app).status.server
                # One server, the new one: the old one stopped (it ran no job), the record
                # names the plan of the config now written, this window holds it.
                new = user_servers.record()
                assert new is not None and new.pid != old.pid and not user_servers.alive(old.pid)
                assert new.plan == current_local_plan(config_file, conn.local.plan).fingerprint
                assert new.description == "local server, openai engine (tiny)"
                assert conn.local is not None and conn.local.pid == new.pid
                attachment = app._attachment
                assert attachment is not None
                await until(pilot, lambda: attachment.server.pid == new.pid, "the hold moved")
                await until(pilot, attachment.attached.is_set, "attached to the new server")
                toasts = [n.message for n in app._notifications]
                assert any("Now using llama.cpp server" in t for t in toasts)
                assert not any("stopped" in t for t in toasts)  # the switch was asked for
                await send(pilot, "hello from the found model")
                await settle(pilot)
                assert main_of(app).view.turns[-1].answer == "hello from the found model"
                assert fake.kinds() == ["chat"]  # the prompt went only once asked to
        finally:
            await aclose_connection(conn)


async def test_nothing_is_probed_once_a_config_exists(tmp_path: Path, apex_server: Any) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('theme = "apex-dark"\n')
    client = ApexClient(apex_server.base_url, "k", max_retries=0)
    app = ApexApp(Connection(client, "x"), Config(), config_file=config_file, state_path=tmp_path)
    assert not app.discovery.applies(first_run=False)


async def test_the_chat_settings_list_the_upstreams_models(
    tmp_path: Path, apex_server: Any
) -> None:
    fake = ModelServer()
    with serving(fake.app()) as url:
        config = Config()
        config.server.engine, config.server.upstream_url = "openai", url + "/v1"
        config.server.upstream_key = "up-key"
        client = ApexClient(apex_server.base_url, "k", max_retries=0)
        app = ApexApp(
            Connection(client, "local server, openai engine"),
            config,
            config_file=tmp_path / "config.toml",
            state_path=tmp_path / "state",
        )
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+t")
            await until(pilot, lambda: isinstance(app.screen, ChatSettingsScreen), "settings")
            picker = app.screen.query_one(ModelPicker)
            await until(pilot, lambda: bool(picker.models), "the model list")
            assert picker.models == ["tiny", "reasoner"]
            picker.query_one(Select).value = "reasoner"
            await pilot.pause()
            assert app.screen.query_one("#cs-model", Input).value == "reasoner"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert main_of(app).settings.model == "reasoner"
