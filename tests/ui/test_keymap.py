"""Remapped keys (issue 14, item 10): a global key keeps working and keeps its footer hint
wherever the focus is; entries the app cannot use are named, never silently dropped."""

from __future__ import annotations

import pytest
from apex_pilot import SIZE, AppFactory, main_of, notices, send, settle
from textual.binding import Binding

from apex_tui.services.config import Config, ConfigError, set_value
from apex_tui.services.keymap import BINDING_IDS, GLOBAL_BINDING_IDS
from apex_tui.ui.screens.main import MainScreen


async def test_the_keymap_ids_are_the_apps(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = {
            b.id
            for _, bindings in app.help_sections()
            for b in bindings
            if isinstance(b, Binding) and b.id
        }
        assert ids == BINDING_IDS
        priority = {
            b.id for b in MainScreen.BINDINGS if isinstance(b, Binding) and b.priority and b.id
        }
        assert priority | {"app.quit"} == GLOBAL_BINDING_IDS


async def test_new_chat_remapped_to_a_key_the_prompt_binds(make_app: AppFactory) -> None:
    config = Config(keymap={"chat.new": "ctrl+k"})  # TextArea's "delete to the line end"
    app = make_app(config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "a first chat")
        await settle(pilot)
        assert app.focused is main.prompt_bar.input
        hints = [(key, what) for key, what, _, _ in main.query_one("KeyHints").hints]
        assert ("^k", "New chat") in hints
        assert main.chat_id is not None
        await pilot.press("ctrl+k")
        assert main.chat_id is None and main.view.turns == []
        assert not [n for n in notices(app) if "Keymap" in n]


async def test_entries_the_app_cannot_use_are_named(make_app: AppFactory) -> None:
    config = Config(keymap={"chat.nwe": "f7", "pane.search": "s", "chat.settings": "f6"})
    app = make_app(config=config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        [note] = [n for n in notices(app) if "Keymap entries not used" in n]
        assert "'chat.nwe' (did you mean chat.new?)" in note
        assert "keymap.pane.search: s would be taken from the text boxes" in note
        assert "chat.settings" not in note
        main = main_of(app)
        main.prompt_bar.input.focus()
        await pilot.press("s")
        assert main.prompt_bar.text == "s" and not main.panes.open_panes()
        await pilot.press("f3")  # the default key stays
        await pilot.pause()
        assert main.search_pane.display
        await pilot.press("escape")
        await pilot.press("f6")
        await pilot.pause()
        assert type(app.screen).__name__ == "ChatSettingsScreen"


def test_config_set_refuses_unknown_ids_and_typing_keys() -> None:
    config = Config()
    with pytest.raises(ConfigError, match=r"unknown keymap id 'chat.nwe' \(did you mean chat.new"):
        set_value(config, "keymap.chat.nwe", "ctrl+k")
    with pytest.raises(ConfigError, match="would be taken from the text boxes"):
        set_value(config, "keymap.chat.new", "n")
    set_value(config, "keymap.chat.new", "ctrl+k")
    set_value(config, "keymap.chat.copy_answer", "y")  # a letter is fine where no box types
    assert config.keymap == {"chat.new": "ctrl+k", "chat.copy_answer": "y"}
