"""The settings screens refuse what ``config set`` refuses, in the same words
(``services.config.describe_errors`` over the config's models)."""

from __future__ import annotations

from apex_pilot import SIZE, AppFactory, settle
from textual.widgets import Input

from apex_tui.services.config import ConfigError, check_setting
from apex_tui.ui.screens.chat_settings import ChatSettingsScreen
from apex_tui.ui.screens.settings import SettingsScreen


def _rule(key: str, raw: str) -> str:
    try:
        check_setting(key, raw)
    except ConfigError as exc:
        return str(exc).removeprefix(f"{key}: ")
    raise AssertionError(f"{key}={raw!r} was accepted")


async def test_chat_settings_use_the_config_rules(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#chat-settings-button")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ChatSettingsScreen)
        screen.query_one("#cs-top_p", Input).value = "0"
        screen.query_one("#cs-temperature", Input).value = "9"
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = str(screen.query_one("#chat-settings-errors").render())
        assert f"Temperature: {_rule('defaults.temperature', '9')}." in errors
        assert f"top_p: {_rule('defaults.top_p', '0')}." in errors
        screen.query_one("#cs-top_p", Input).value = "1"
        screen.query_one("#cs-temperature", Input).value = "2"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ChatSettingsScreen)


async def test_settings_screen_uses_the_config_rules(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.query_one("#base_url", Input).value = "ftp://example.com"
        screen.query_one("#tokens_per_second", Input).value = "-1"
        config, problems = screen.collect()
        assert config is None
        assert problems == [
            f"Base URL: {_rule('base_url', 'ftp://example.com')}.",
            f"Offline tokens per second: {_rule('server.tokens_per_second', '-1')}.",
        ]
        screen.query_one("#base_url", Input).value = "localhost:8080"  # as `config set` takes
        screen.query_one("#tokens_per_second", Input).value = "0"
        config, problems = screen.collect()
        assert problems == [] and config is not None and config.base_url == "localhost:8080"
