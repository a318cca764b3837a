"""The settings screen (issue 14, item 21): grouped, the search defaults in it, the connection
in use and where each value comes from."""

from __future__ import annotations

from typing import Any

from apex_pilot import SIZE, AppFactory, settle
from textual.widgets import Input, Label, TabbedContent

from apex_tui.services.config import Config, load_config
from apex_tui.services.connection import (
    EndpointOrigins,
    begin_connection,
    close_connection,
    endpoint_origins,
)
from apex_tui.ui.screens.settings import GROUPS, InUse, SettingsScreen


def labels(screen: SettingsScreen) -> list[str]:
    return [str(label.render()) for label in screen.query(Label)]


async def test_settings_are_grouped_and_say_where_values_come_from(
    make_app: AppFactory, config_file: Any
) -> None:
    config = Config()
    config.defaults.temperature = 0.2
    app = make_app(config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        assert [title for _, title, _ in GROUPS] == [
            "Server",
            "Model and sampling",
            "Search",
            "Look",
        ]
        shown = labels(screen)
        assert any(t.startswith("Temperature (0–2)") and t.endswith("config file") for t in shown)
        assert any(t.startswith("top_p") and t.endswith("default") for t in shown)
        assert "In use: local server, offline engine" not in str(
            screen.query_one("#settings-in-use").render()
        )  # the test's app runs on a server it was handed, not apex-tui's own
        # the search defaults are there, and saved by the config's rules
        tabs = screen.query_one(TabbedContent)
        screen.query_one("#n_miners", Input).value = "0"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert tabs.active == "tab-search" and app.focused is screen.query_one("#n_miners")
        assert "Miners asked per search: must be a whole number, at least 1" in str(
            screen.query_one("#settings-errors").render()
        )
        screen.query_one("#n_miners", Input).value = "3"
        screen.query_one("#max_response_time", Input).value = "12"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
    saved = load_config(config_file)
    assert saved.search.n_miners == 3 and saved.search.max_response_time == 12


def test_origins_follow_the_precedence_of_the_connection() -> None:
    config = Config(base_url="http://from-file:1", api_key="file-key")
    env = {"APEX_API_KEY": "env-key", "MACROCOSMOS_BASE_URL": "env-host:2"}
    assert endpoint_origins("http://flag:3", None, env, config) == EndpointOrigins(
        "--base-url", "APEX_API_KEY"
    )
    assert endpoint_origins(None, None, {}, config) == EndpointOrigins(
        "the config file", "the config file"
    )
    assert endpoint_origins(None, None, {}, Config()) == EndpointOrigins("", "")
    pending = begin_connection(Config(), base_url="http://127.0.0.1:9", env={})
    connection = pending.finish()
    try:
        assert connection.origins == EndpointOrigins("--base-url", "")
    finally:
        close_connection(connection)


async def test_a_flag_overriding_the_file_is_named(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        in_use = InUse(
            "127.0.0.1:8080",
            "http://127.0.0.1:8080",
            EndpointOrigins("--base-url", "APEX_API_KEY"),
        )
        app.push_screen(SettingsScreen(Config(), ["apex-dark"], in_use=in_use))
        await pilot.pause()
        screen = app.screen
        assert str(screen.query_one("#settings-in-use").render()) == (
            "In use: http://127.0.0.1:8080 (base URL from --base-url, key from APEX_API_KEY)."
        )
        shown = labels(screen)
        assert any(t.startswith("Base URL") and "in use from --base-url" in t for t in shown)
        assert any(t.startswith("API key") and "in use from APEX_API_KEY" in t for t in shown)


def test_the_local_server_in_use_names_a_key_it_does_not_use() -> None:
    plain = InUse("local server, offline engine", "", local=True).summary()
    assert "no base URL is set" in plain and "not used" not in plain
    keyed = InUse(
        "local server, offline engine",
        "",
        EndpointOrigins(api_key="MACROCOSMOS_API_KEY"),
        local=True,
    ).summary()
    assert "the key from MACROCOSMOS_API_KEY is not used" in keyed
