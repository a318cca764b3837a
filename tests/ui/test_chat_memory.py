"""What the app remembers of its chats (issue 14, items 1 and 11): each chat's settings, kept
with the chat on the server and, until they are sent, on this machine; and the chat open last,
which the app starts on."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from apex_pilot import KEY, SIZE, AppFactory, main_of, notices, send, settle
from textual.widgets import Input

from apex_tui.api.client import ApexClient
from apex_tui.services.chat_memory import ChatMemory, apply_settings, settings_from_turns
from apex_tui.services.chat_sync import ChatSettings, Turn
from apex_tui.ui.screens.chat_settings import ChatSettingsScreen


async def test_settings_survive_a_restart_before_any_send(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "first question")
        await settle(pilot)
        chat_id = main.chat_id
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, ChatSettingsScreen)
        app.screen.query_one("#cs-temperature", Input).value = "0.3"
        app.screen.query_one("#cs-seed", Input).value = "7"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert main.settings.temperature == 0.3 and main.settings.seed == 7
        border = str(main.prompt_bar.input.border_subtitle)
        assert "temperature 0.3" in border and "seed 7" in border  # shown by the prompt
    app = make_app()  # a restart: the same state folder
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert main.chat_id == chat_id  # item 11: the chat the user was in
        assert [t.prompt for t in main.view.turns] == ["first question"]
        assert main.settings.temperature == 0.3 and main.settings.seed == 7
        assert "temperature 0.3" in str(main.prompt_bar.input.border_subtitle)
        assert app.focused is main.prompt_bar.input


async def test_a_chat_takes_the_settings_of_its_last_answer(
    make_app: AppFactory, apex_server: Any, tmp_path: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.chat.set_settings_of(
            None, replace(main.settings, top_p=0.5, system_prompt="Answer like a pirate.")
        )
        await send(pilot, "hello there")
        await settle(pilot)
        chat_id = main.chat_id
        assert chat_id is not None
    async with ApexClient(apex_server.base_url, KEY) as client:
        [stored] = await client.get_stored_chat_completions(chat_id)
    record = (stored.metadata or {})["settings"]
    assert record["top_p"] == 0.5 and record["system_prompt"] == "Answer like a pirate."
    # Nothing is left on this machine once the server holds them: another client (a fresh
    # state folder here) reading the chat gets them from the server.
    memory = ChatMemory(tmp_path / "state" / "chats.json")
    assert memory.unsent_settings(chat_id, ChatSettings()) is None
    (tmp_path / "state" / "chats.json").unlink()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.open_chat_id(chat_id)
        await settle(pilot)
        assert main.settings.top_p == 0.5
        assert main.settings.system_prompt == "Answer like a pirate."
        assert main.settings.temperature == ChatSettings().temperature


async def test_a_last_chat_deleted_meanwhile_opens_the_welcome(
    make_app: AppFactory, apex_server: Any
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "soon gone")
        await settle(pilot)
        chat_id = main_of(app).chat_id
    async with ApexClient(apex_server.base_url, KEY) as client:
        await client.delete_chats([chat_id or ""])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert main.chat_id is None and main.view.turns == []
        assert main.query_one("#welcome").display
        assert not any("Could not open" in n for n in notices(app))


async def test_a_new_chat_is_where_the_next_start_begins(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "an older chat")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert main_of(app).chat_id is None


def test_stored_settings_are_checked_by_the_config_rules() -> None:
    base = ChatSettings()
    taken = apply_settings(base, {"temperature": 9, "top_p": 0.4, "seed": "x", "bogus": 1})
    assert taken.temperature == base.temperature and taken.seed is None
    assert taken.top_p == 0.4
    turns = [
        Turn("a", "p", "a", "basic", metadata={"settings": {"max_new_tokens": 64}}),
        Turn("b", "p", "a", "basic", metadata={}),
    ]
    assert settings_from_turns(turns, base).max_new_tokens == 64


def test_the_memory_file_round_trips(tmp_path: Path) -> None:
    memory = ChatMemory(tmp_path / "chats.json")
    memory.set_last_chat("apex", "c1")
    memory.keep_settings("new:apex", replace(ChatSettings(), seed=3))
    memory.move("new:apex", "c2")
    memory.save()
    again = ChatMemory(tmp_path / "chats.json")
    assert again.last_chat("apex") == "c1" and again.last_chat("gravity") is None
    assert again.unsent_settings("c2", ChatSettings()) == replace(ChatSettings(), seed=3)
    again.forget(["c1", "c2"])
    assert again.last_chat("apex") is None
    assert again.unsent_settings("c2", ChatSettings()) is None
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    assert ChatMemory(tmp_path / "broken.json").load_error


async def test_a_damaged_chats_file_is_reported_at_start(
    make_app: AppFactory, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir(parents=True, exist_ok=True)
    (state / "chats.json").write_text("{ not json", encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        said = [n for n in notices(app) if "chats.json could not be read" in n]
        assert said and "starts afresh" in said[0]


async def test_switching_chat_type_returns_to_that_types_last_chat(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "an apex question")
        await settle(pilot)
        apex_chat = main.chat_id
        assert apex_chat is not None
        await pilot.press("ctrl+g")  # gravity: none open before, so a new chat
        await settle(pilot)
        assert main.chat_type == "gravity" and main.chat_id is None and not main.view.turns
        await pilot.press("ctrl+g")  # back to apex: its chat again, with its turn
        await settle(pilot)
        assert main.chat_type == "apex" and main.chat_id == apex_chat
        assert [t.prompt for t in main.view.turns] == ["an apex question"]
        assert app.focused is main.prompt_bar.input
