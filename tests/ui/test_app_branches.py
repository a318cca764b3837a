"""Branches in the app: edit-and-resend and regenerate keep the old turns as a sibling branch,
``<`` ``>`` and a click on "‹ ›" switch, the choice is stored (a restart and the CLI see it),
and the history sent to the model is the chosen branch (what the model server received)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apex_pilot import SIZE, main_of, send, settle
from fakes.stack import ModelStack, model_stack

from apex_tui.api.client import ApexClient
from apex_tui.cli import main as cli_main
from apex_tui.services.chat_sync import ChatSync
from apex_tui.services.config import Config
from apex_tui.services.connection import Connection
from apex_tui.ui.app import ApexApp
from apex_tui.ui.widgets.conversation import ConversationView
from apex_tui.ui.widgets.conversation_paint import GUTTER

KEY = "test-key"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ModelStack]:
    with model_stack(tmp_path, model="tiny") as running:
        yield running


def app_on(stack: ModelStack, tmp_path: Path) -> ApexApp:
    client = ApexClient(stack.server.base_url, KEY, max_retries=0)
    connection = Connection(client=client, description="local server, openai engine (tiny)")
    return ApexApp(
        connection,
        Config(),
        config_file=tmp_path / "config.toml",
        state_path=tmp_path / "state",
        system_copy=None,
    )


def prompts(view: ConversationView) -> list[str]:
    return [t.prompt for t in view.turns]


def sent_history(stack: ModelStack) -> list[str]:
    """The user and assistant messages of the last chat request the model server received."""
    messages = stack.model.calls[-1].body["messages"]
    return [m["content"] for m in messages if m["role"] in ("user", "assistant")]


async def header_click(pilot: Any, view: ConversationView, key: str, arrow: str) -> None:
    index = view._index.index_of(key)
    row = view._layout.offset(index) - round(view.scroll_y)
    header = view.rendered_lines(key)[0].text
    await pilot.click(ConversationView, offset=(GUTTER + header.index(arrow), row))
    await settle(pilot)


async def test_branches_are_made_switched_stored_and_sent(
    stack: ModelStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_on(stack, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        view = main.view
        for prompt in ("one", "two", "three"):
            await send(pilot, prompt)
            await settle(pilot)
        # edit "two" and resend: a branch beside it; "three" stays stored on the old branch
        view.focus()
        await pilot.press("[", "[")
        await pilot.press("e")
        main.prompt_bar.input.load_text("two, edited")
        await pilot.press("enter")
        await settle(pilot)
        assert prompts(view) == ["one", "two, edited"]
        assert view.turns[1].branch == (2, 2)
        assert "‹ 2/2 ›" in view.rendered_lines(view.turns[1].key)[0].text
        assert sent_history(stack) == ["one", "one", "two, edited"]
        await send(pilot, "four")
        await settle(pilot)
        assert sent_history(stack) == ["one", "one", "two, edited", "two, edited", "four"]
        # "<" in the conversation: the nearest fork above the cursor goes to its other branch
        view.focus()
        await pilot.press("less_than_sign")
        await settle(pilot)
        assert prompts(view) == ["one", "two", "three"]
        assert view.turns[1].branch == (1, 2) and view.selected_key == view.turns[1].key
        await send(pilot, "five")
        await settle(pilot)
        assert sent_history(stack) == ["one", "one", "two", "two", "three", "three", "five"]
        # regenerate: the last answer again, beside the old one, with the same history
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert prompts(view) == ["one", "two", "three", "five"]
        assert view.turns[-1].branch == (2, 2)
        assert sent_history(stack) == ["one", "one", "two", "two", "three", "three", "five"]
        # a click on the "›" of "two" shows the edited branch again, down to its end
        await header_click(pilot, view, view.turns[1].key, "›")
        assert prompts(view) == ["one", "two, edited", "four"]
        await header_click(pilot, view, view.turns[1].key, "‹")
        assert prompts(view) == ["one", "two", "three", "five"]
        await header_click(pilot, view, view.turns[1].key, "›")
        chat_id = main.chat_id
        assert chat_id is not None
    # stored: another client (and a restart) reads the same tree and the same choice
    async with ApexClient(stack.server.base_url, KEY) as client:
        tree = await ChatSync(client).load_tree(chat_id)
    assert [t.prompt for t in tree.path()] == ["one", "two, edited", "four"]
    assert len(tree) == 7
    again = app_on(stack, tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(again)
        main.open_chat_id(chat_id)
        await settle(pilot)
        assert prompts(main.view) == ["one", "two, edited", "four"]
        assert main.view.turns[1].branch == (2, 2)
        main.view.focus()
        await pilot.press("alt+left")
        await settle(pilot)
        assert prompts(main.view) == ["one", "two", "three", "five"]
        assert main.view.turns[-1].branch == (2, 2)  # five was regenerated: its 2nd answer
    # the CLI: `chats show` is the chosen branch, `export --all-branches` the whole tree
    endpoint = ["--base-url", stack.server.base_url, "--api-key", KEY]

    async def cli(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(cli_main, [*argv, *endpoint])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = await cli("chats", "show", chat_id, "--markdown")
    assert code == 0
    assert [ln for ln in out.splitlines() if ln and not ln.startswith("#")][::2] == [
        "one",
        "two",
        "three",
        "five",
    ]
    assert "--all-branches" in err
    code, out, _ = await cli("chats", "export", chat_id, "--all-branches")
    assert code == 0
    assert out.count("Branch 1 of 2 (shown)") == 1 and out.count("Branch 2 of 2 (shown)") == 1
    assert out.index("two, edited") > out.index("five")  # branch 1 (two…five) comes first
    code, out, _ = await cli("chats", "export", chat_id, "--all-branches", "--format", "json")
    tree_data = json.loads(out)["tree"]
    assert [t["prompt"] for t in tree_data["turns"]] == ["one"]
    old, new = tree_data["branches"]
    assert (old["chosen"], new["chosen"]) == (True, False)
    assert [t["prompt"] for t in old["turns"]] == ["two", "three"]
    assert [b["chosen"] for b in old["branches"]] == [False, True]
    assert [t["prompt"] for t in new["turns"]] == ["two, edited", "four"]
