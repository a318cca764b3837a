"""Pilot tests of the chat flows against the in-process local server (issue 4's list)."""

from __future__ import annotations

from typing import Any

from apex_pilot import KEY, SIZE, AppFactory, main_of, notices, send, settle

from apex_tui.api.client import ApexClient
from apex_tui.ui.widgets.conversation import ConversationView
from apex_tui.ui.widgets.sessions import ChatList


async def test_new_chat_streams_and_syncs(make_app: AppFactory, apex_server: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "What is Bittensor subnet 1?")
        await settle(pilot)
        assert main.prompt_bar.text == ""
        assert main.chat_id is not None
        assert main.sessions.visible_ids == [main.chat_id]
        assert main.sessions.session(main.chat_id).title == "What is Bittensor subnet 1?"  # type: ignore[union-attr]
        [turn] = main.view.turns
        assert turn.status == "done" and turn.answer
        assert turn.key == main.chat.turns[0].completion_id
        chat_id, answer = main.chat_id, turn.answer
    async with ApexClient(apex_server.base_url, KEY) as client:
        [stored] = await client.get_stored_chat_completions(chat_id)
        assert stored.completion_text == answer
        assert stored.user_prompt_text == "What is Bittensor subnet 1?"


async def test_the_whole_answer_is_drawn_before_it_is_stored(
    make_app: AppFactory, apex_server: Any
) -> None:
    """When the stream ends the view draws what arrived at once (``draw_now``), while the
    answer is still being stored: not at its next paced draw, nor after the store's reply."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        drawn: list[tuple[str, str]] = []
        draw_now = main.view.draw_now

        def recorded() -> None:
            draw_now()
            turn = main.view.turns[-1]
            drawn.append((turn.status, turn.answer))

        main.view.draw_now = recorded  # type: ignore[method-assign]
        await send(pilot, "What is Bittensor subnet 1?")
        await settle(pilot)
        [turn] = main.view.turns
        assert turn.status == "done"
        assert drawn == [("streaming", turn.answer)]  # all of it, before the store finished


async def test_continue_a_stored_chat(make_app: AppFactory, apex_server: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "first question")
        await settle(pilot)
        chat_id = main.chat_id
        main.action_new_chat()
        assert main.view.turns == []
        main.sessions.query_one(ChatList).focus()
        main.sessions.highlight(chat_id)  # type: ignore[arg-type]
        await pilot.press("enter")
        await settle(pilot)
        assert [t.prompt for t in main.view.turns] == ["first question"]
        await send(pilot, "second question")
        await settle(pilot)
        assert [t.prompt for t in main.view.turns] == ["first question", "second question"]
    async with ApexClient(apex_server.base_url, KEY) as client:
        stored = await client.get_stored_chat_completions(chat_id)  # type: ignore[arg-type]
        assert [s.user_prompt_text for s in stored] == ["first question", "second question"]
        assert all(s.completion_text for s in stored)


async def test_stop_keeps_partial_answer(make_app: AppFactory, apex_server: Any) -> None:
    apex_server.inject_fault("stall-after=2:30", method="ChatCompletionStream")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "tell me a long story")
        while not main.view.turns or not main.view.turns[-1].answer:
            await pilot.pause(0.05)
        await pilot.press("escape")
        await settle(pilot)
        [turn] = main.view.turns
        assert turn.status == "interrupted" and turn.answer
        assert not main.streaming
        partial, chat_id = turn.answer, main.chat_id
        assert any("Stopped" in n for n in notices(app))
    async with ApexClient(apex_server.base_url, KEY) as client:
        [stored] = await client.get_stored_chat_completions(chat_id)  # type: ignore[arg-type]
        assert stored.completion_text == partial
        assert (stored.metadata or {}).get("interrupted") is True


async def test_regenerate_keeps_the_old_answer_as_a_branch(
    make_app: AppFactory, apex_server: Any
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "regenerate me")
        await settle(pilot)
        old_id = main.chat.turns[0].completion_id
        await pilot.press("ctrl+r")
        await settle(pilot)
        [turn] = main.view.turns
        assert turn.key != old_id and turn.status == "done" and turn.prompt == "regenerate me"
        assert turn.branch == (2, 2)
        chat_id = main.chat_id
    async with ApexClient(apex_server.base_url, KEY) as client:
        stored = await client.get_stored_chat_completions(chat_id)  # type: ignore[arg-type]
        assert [s.id for s in stored] == [old_id, turn.key]


async def test_edit_resend_and_delete_turn(make_app: AppFactory, apex_server: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        for prompt in ("one", "two", "three"):
            await send(pilot, prompt)
            await settle(pilot)
        view = main.query_one(ConversationView)
        view.focus()
        await pilot.press("[", "[")  # select "two"
        assert view.selected_turn().prompt == "two"  # type: ignore[union-attr]
        await pilot.press("e")
        assert main.prompt_bar.text == "two" and main.turn_flow.editing is not None
        main.prompt_bar.input.load_text("two, edited")
        await pilot.press("enter")
        await settle(pilot)
        assert [t.prompt for t in view.turns] == ["one", "two, edited"]
        # deleting the new branch's turn shows the other branch again
        view.focus()
        await pilot.press("[")
        assert view.selected_turn().prompt == "two, edited"  # type: ignore[union-attr]
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert [t.prompt for t in view.turns] == ["one", "two", "three"]
        # deleting "two" deletes what follows from it too, after saying so
        view.focus()
        await pilot.press("[", "[")
        assert view.selected_turn().prompt == "two"  # type: ignore[union-attr]
        await pilot.press("d")
        await pilot.pause()
        note = app.screen.query_one("#confirm-note").render()
        assert "the 1 turn after it" in str(note)
        await pilot.press("y")
        await settle(pilot)
        assert [t.prompt for t in view.turns] == ["one"]
        chat_id = main.chat_id
    async with ApexClient(apex_server.base_url, KEY) as client:
        stored = await client.get_stored_chat_completions(chat_id)  # type: ignore[arg-type]
        assert [s.user_prompt_text for s in stored] == ["one"]


async def test_dropped_stream_keeps_partial_and_app_lives(
    make_app: AppFactory, apex_server: Any
) -> None:
    apex_server.inject_fault("drop-after=3", method="ChatCompletionStream")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "this stream will drop")
        await settle(pilot)
        [turn] = main.view.turns
        assert turn.status == "error" and turn.answer and turn.error
        assert any("what arrived is kept" in n for n in notices(app))
        assert app.is_running
        partial, chat_id = turn.answer, main.chat_id
        await pilot.press("ctrl+r")  # the offered retry
        await settle(pilot)
        assert main.view.turns[-1].status == "done"
        assert main.view.turns[-1].branch == (2, 2)  # the broken answer is the other branch
    async with ApexClient(apex_server.base_url, KEY) as client:
        stored = await client.get_stored_chat_completions(chat_id)  # type: ignore[arg-type]
        assert [s.completion_text == partial for s in stored] == [True, False]


async def test_unsent_prompt_comes_back_on_error(make_app: AppFactory, apex_server: Any) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        apex_server.inject_fault("status=503", method="CreateChatAndCompletion")
        await send(pilot, "keep me")
        await settle(pilot)
        assert main.view.turns == []
        assert main.prompt_bar.text == "keep me"
        assert any("Not sent" in n and "unavailable" in n.lower() for n in notices(app))
