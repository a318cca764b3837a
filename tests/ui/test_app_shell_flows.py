"""Pilot tests of the shell: sessions actions, copy, themes, settings, drafts, help, 401."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path
from typing import Any

from apex_pilot import KEY, SIZE, AppFactory, main_of, notices, settle
from rich.console import Console
from textual.widgets import Input

from apex_tui.api.client import ApexClient
from apex_tui.server.embedded import EmbeddedServer, ServerOptions
from apex_tui.ui.screens.confirm import ConfirmDeleteScreen
from apex_tui.ui.screens.help import HelpScreen, help_table
from apex_tui.ui.screens.settings import SettingsScreen
from apex_tui.ui.widgets.conversation import ConversationView
from apex_tui.ui.widgets.sessions import ChatList


async def seed(base_url: str, *chats: tuple[str, str, str]) -> list[str]:
    """Stored chats (title, answer, chat type) made through the real client."""
    ids = []
    async with ApexClient(base_url, KEY) as client:
        for title, answer, chat_type in chats:
            made = await client.create_chat_and_completion(title, chat_type=chat_type, title=title)
            assert made.parsed_chat and made.parsed_completion
            await client.update_completion_attributes(
                made.parsed_completion.id, completion_text=answer
            )
            ids.append(made.parsed_chat.id)
    return ids


async def test_rename_and_refused_rename(make_app: AppFactory, apex_server: Any) -> None:
    [chat_id] = await seed(apex_server.base_url, ("old title", "answer", "apex"))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.sessions.query_one(ChatList).focus()
        await pilot.press("f2")
        main.sessions.query_one("#rename-input", Input).value = "new title"
        await pilot.press("enter")
        await settle(pilot)
        assert main.sessions.session(chat_id).title == "new title"  # type: ignore[union-attr]
        apex_server.inject_fault("status=403", method="UpdateChatAttributes")
        await pilot.press("f2")
        main.sessions.query_one("#rename-input", Input).value = "refused title"
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)
        assert main.sessions.session(chat_id).title == "new title"  # type: ignore[union-attr]
        assert any("Rename refused" in n for n in notices(app))
    async with ApexClient(apex_server.base_url, KEY) as client:
        [session] = await client.get_chat_sessions("apex")
        assert session.title == "new title"


async def test_delete_marked_chats_after_confirm(make_app: AppFactory, apex_server: Any) -> None:
    ids = await seed(
        apex_server.base_url, ("a", "x", "apex"), ("b", "y", "apex"), ("c", "z", "apex")
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.sessions.query_one(ChatList).focus()
        await pilot.press("space", "down", "space", "delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("n")
        await settle(pilot)
        assert len(main.sessions.visible_ids) == 3
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert main.sessions.visible_ids == [ids[0]]
    async with ApexClient(apex_server.base_url, KEY) as client:
        assert [s.id for s in await client.get_chat_sessions("apex")] == [ids[0]]


async def test_filter_server_search_and_type_toggle(make_app: AppFactory, apex_server: Any) -> None:
    ids = await seed(
        apex_server.base_url,
        ("Rust lifetimes", "borrow checker talk", "apex"),
        ("Cooking", "a recipe with saffron", "apex"),
        ("Gravity question", "apples fall", "gravity"),
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert set(main.sessions.visible_ids) == set(ids[:2])
        await pilot.press("ctrl+f")
        await pilot.press(*"rust")
        assert main.sessions.visible_ids == [ids[0]]
        main.sessions.query_one("#chat-filter", Input).value = "saffron"
        await pilot.pause()
        assert main.sessions.visible_ids == []  # no title has it...
        await pilot.press("enter")
        await settle(pilot)
        assert main.sessions.visible_ids == [ids[1]]  # ...but the server finds the text
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert main.chat_type == "gravity" and main.sessions.visible_ids == [ids[2]]


async def test_copy_answer_and_code_block_both_paths(
    make_app: AppFactory, apex_server: Any
) -> None:
    answer = "Here:\n\n```python\nprint('one')\n```\n\nand\n\n```sh\necho two\n```\n"
    [chat_id] = await seed(apex_server.base_url, ("code please", answer, "apex"))
    system: list[str] = []
    app = make_app(system_copy=system.append)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.sessions.query_one(ChatList).focus()
        await pilot.press("enter")
        await settle(pilot)
        main.query_one(ConversationView).focus()
        await pilot.press("c")
        assert system == [answer] and app.clipboard == answer
        assert any("system clipboard" in n for n in notices(app))
        await pilot.press("b", "b")
        assert system[1:] == ["print('one')\n", "echo two\n"]
    app = make_app(system_copy=None)  # no clipboard: OSC 52, and no crash
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.sessions.query_one(ChatList).focus()
        await pilot.press("enter")
        await settle(pilot)
        main.query_one(ConversationView).focus()
        await pilot.press("c")
        assert app.clipboard == answer
        assert any("OSC 52" in n for n in notices(app))
        assert chat_id == main.chat_id


async def test_theme_switch_is_saved(make_app: AppFactory, config_file: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "apex-dark"
        app.theme = "apex-light"
        await pilot.pause()
    assert tomllib.loads(config_file.read_text())["theme"] == "apex-light"
    from apex_tui.services.config import load_config

    app = make_app(config=load_config(config_file))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "apex-light"


async def test_settings_validate_and_save(make_app: AppFactory, config_file: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.query_one("#temperature", Input).value = "3"
        screen.query_one("#max_new_tokens", Input).value = "many"
        await pilot.press("ctrl+s")
        await pilot.pause()
        errors = str(screen.query_one("#settings-errors").render())
        assert "Not saved" in errors and "Max new tokens" in errors
        assert not config_file.exists()
        screen.query_one("#max_new_tokens", Input).value = "512"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Temperature: must be a number from 0 to 2" in str(
            screen.query_one("#settings-errors").render()
        )
        screen.query_one("#temperature", Input).value = "0.3"
        screen.query_one("#system_prompt", Input).value = "Be brief."
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, SettingsScreen)
        assert main_of(app).config.defaults.temperature == 0.3
    saved = tomllib.loads(config_file.read_text())
    assert saved["defaults"] == {
        "temperature": 0.3,
        "max_new_tokens": 512,
        "system_prompt": "Be brief.",
    }


async def test_draft_restored_after_restart(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main_of(app).prompt_bar.input.focus()
        await pilot.press(*"half a thought")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert main_of(app).prompt_bar.text == "half a thought"


async def test_text_whose_changes_are_still_queued_is_kept_on_exit(
    make_app: AppFactory,
) -> None:
    """Quit (or a hang-up) in the same moment as the last keys: the prompt's text is the draft,
    not what the last handled change message said."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main_of(app).prompt_bar.input.text = "typed as the window closed"
        app.exit(0)  # before the text area's Changed message is handled
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert main_of(app).prompt_bar.text == "typed as the window closed"


async def test_bad_key_shows_hint(make_app: AppFactory, tmp_path: Path) -> None:
    server = EmbeddedServer(ServerOptions(db_path=tmp_path / "keyed.db", api_keys=["right"]))
    base_url = server.start()
    try:
        app = make_app(api_key="wrong", base_url=base_url)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            text = "\n".join(notices(app))
            assert "Could not load your chats" in text and "APEX_API_KEY" in text
            assert app.is_running
    finally:
        server.stop()


async def test_help_lists_every_key_and_palette_has_actions(make_app: AppFactory) -> None:
    app = make_app(config=None)
    app.config.keymap = {"chat.new": "ctrl+b"}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(help_table(app.screen.sections, app.screen.keymap))
        text = console.export_text()
        for needle in (
            "ctrl+b",
            "New chat",
            "Stop",
            "Regenerate",
            "Copy code",
            "Rename",
            "Send",
            "Command palette",
        ):
            assert needle in text, needle
        await pilot.press("escape")
        await pilot.press("ctrl+b")  # the remapped key works
        await pilot.pause()
        from apex_tui.ui.commands import app_commands

        names = {name for name, _, _ in app_commands(app, main_of(app))}
        assert {"New chat", "Stop generation", "Delete chats", "Theme: apex-light"} <= names


async def test_palette_help_names_the_key_as_remapped(make_app: AppFactory) -> None:
    from apex_tui.ui.commands import app_commands

    app = make_app(config=None)
    app.config.keymap = {"chat.new": "ctrl+k"}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        helps = {name: help for name, help, _ in app_commands(app, main_of(app))}
        assert helps["New chat"].endswith("(ctrl+k)"), helps["New chat"]
        assert helps["Web search pane"].endswith("(f3)"), helps["Web search pane"]


async def test_the_gear_opens_chat_settings_by_click_and_by_key(make_app: AppFactory) -> None:
    from apex_tui.ui.screens.chat_settings import ChatSettingsScreen
    from apex_tui.ui.widgets.icon_button import IconButton

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.click("#chat-settings-button")
        await pilot.pause()
        assert isinstance(app.screen, ChatSettingsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ChatSettingsScreen)
        app.screen.query_one("#chat-settings-button", IconButton).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ChatSettingsScreen)


async def test_the_palette_finds_the_app_through_its_interface(make_app: AppFactory) -> None:
    """The provider reaches the app as a ``PaletteHost`` (commands.py does not import the app)."""
    from apex_tui.ui.commands import ApexCommands, PaletteHost

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app, PaletteHost)
        provider = ApexCommands(app.screen)
        found = [hit.text async for hit in provider.discover()]
        assert {"New chat", "Start deep research", "Settings", "Help: keys"} <= set(found), found
        matched = [hit.text async for hit in provider.search("maximise")]
        assert "Maximise pane" in [str(t) for t in matched], matched
