"""The app on a model: reasoning shown apart (collapsed, opened with a key or a click), an
answer cut at the token limit, and a model-driven research job's live checklist."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apex_pilot import SIZE, main_of, send, settle
from fakes.stack import ModelStack, model_stack

from apex_tui.api.client import ApexClient
from apex_tui.services.config import Config
from apex_tui.services.connection import Connection
from apex_tui.ui.app import ApexApp
from apex_tui.ui.widgets.conversation import ConversationView
from apex_tui.ui.widgets.key_hints import KeyHints


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ModelStack]:
    with model_stack(tmp_path, model="reasoner") as running:
        yield running


def app_on(stack: ModelStack, tmp_path: Path, config: Config | None = None) -> ApexApp:
    client = ApexClient(stack.server.base_url, "test-key", max_retries=0)
    connection = Connection(client=client, description="local server, openai engine (reasoner)")
    return ApexApp(
        connection,
        config or Config(),
        config_file=tmp_path / "config.toml",
        state_path=tmp_path / "state",
        system_copy=None,
    )


def text_of(view: ConversationView, key: str) -> list[str]:
    return [line.text.rstrip() for line in view.rendered_lines(key)]


async def test_reasoning_is_a_collapsed_block_above_the_answer(
    stack: ModelStack, tmp_path: Path
) -> None:
    app = app_on(stack, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "why is the sky blue", mode="reasoning")
        await settle(pilot)
        main = main_of(app)
        view = main.view
        turn = view.turns[-1]
        assert turn.reasoning == "Let me think about it." and turn.answer == "why is the sky blue"
        lines = text_of(view, turn.key)
        marker = next(i for i, ln in enumerate(lines) if ln.startswith("▸ Reasoning"))
        assert "5 words · hidden" in lines[marker]
        answer_at = next(i for i, ln in enumerate(lines) if "why is the sky blue" in ln and i > 1)
        assert marker < answer_at
        assert not any("Let me think" in ln for ln in lines)  # collapsed: not shown
        view.focus()
        await pilot.pause()
        assert any(h[1] == "Reasoning on/off" for h in app.screen.query_one(KeyHints).hints)
        await pilot.press("t")
        await pilot.pause()
        lines = text_of(view, turn.key)
        assert any(ln.startswith("▾ Reasoning") for ln in lines)
        assert any("Let me think about it." in ln for ln in lines)
        # a click on the block's first line closes it again
        top = view._layout.offset(view._index.index_of(turn.key)) - round(view.scroll_y)
        row = top + next(i for i, ln in enumerate(lines) if ln.startswith("▾ Reasoning"))
        await pilot.click(ConversationView, offset=(4, row))
        await pilot.pause()
        assert not any("Let me think" in ln for ln in text_of(view, turn.key))
        # the stored turn: answer without reasoning, reasoning in its metadata
        stored = (await main.sync.load_turns(main.chat_id or ""))[0]
        assert stored.answer == "why is the sky blue"
        assert stored.metadata["reasoning"] == "Let me think about it."
        # reopening the chat shows the same block, collapsed
        main.open_chat_id(main.chat_id or "")
        await settle(pilot)
        reopened = view.turns[-1]
        assert reopened.reasoning == "Let me think about it." and not reopened.reasoning_open


async def test_an_answer_cut_by_the_token_limit_says_so(stack: ModelStack, tmp_path: Path) -> None:
    config = Config()
    config.defaults.max_new_tokens = 2
    app = app_on(stack, tmp_path, config)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "one two three four five")
        await settle(pilot)
        view = main_of(app).view
        lines = text_of(view, view.turns[-1].key)
        assert view.turns[-1].answer == "one two"
        assert any("stopped at the token limit — raise max tokens" in ln for ln in lines)


def research_checklist(app: Any) -> list[str]:
    pane = main_of(app).research_pane
    return list(pane.query_one("#research-plan").items_shown)


async def test_a_model_driven_research_job_shows_its_checklist(
    stack: ModelStack, tmp_path: Path
) -> None:
    app = app_on(stack, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.research_pane.tracker.poll_interval = 0.05  # type: ignore[union-attr]
        main.search_flow.start_research("How do SQLite and PostgreSQL handle concurrency?")
        await settle(pilot)
        pane = main.research_pane
        view = next(iter(pane.jobs.values()))
        assert view.status == "completed", view.error
        assert research_checklist(app) == [
            "✓ 1. What is write-ahead logging in SQLite?",
            "✓ 2. How does SQLite locking work for readers and writers?",
            "✓ 3. How does PostgreSQL MVCC compare?",
        ]
        assert "## Sources" in view.report and stack.searxng_url in view.report
