"""Pilot tests of the search and research panes inside the app, against the real local server."""

from __future__ import annotations

from typing import Any

from apex_pilot import KEY, SIZE, AppFactory, main_of, notices, send, settle
from textual import events
from textual.widgets import OptionList

from apex_tui.api.client import ApexClient
from apex_tui.ui.commands import app_commands, typed_commands
from apex_tui.ui.screens.main import MainScreen
from apex_tui.ui.widgets.prompt_bar import RESEARCH_MODE

QUERY = "sqlite wal mode"


def fast_research(main: MainScreen) -> None:
    """Poll the local server's fast research often (the default waits 2 s between polls)."""
    tracker = main.research_pane.tracker
    assert tracker is not None
    tracker.poll_interval = 0.05
    tracker.max_poll_interval = 0.2


def focus_is_in(main: MainScreen, widget: Any) -> bool:
    return main.focused is not None and widget in main.focused.ancestors_with_self


def command(app: Any, name: str) -> Any:
    return next(cb for n, _, cb in app_commands(app, main_of(app)) if n == name)


async def test_pane_keys_show_focus_hide_and_maximise(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(pilot)
        main = main_of(app)
        search, research = main.search_pane, main.research_pane
        assert not search.display and not research.display
        assert main.check_action("maximise", ()) is False
        await pilot.press("f3")
        assert search.display and focus_is_in(main, search)
        assert main.query_one("#side").region.x > main.query_one("#chat-column").region.x
        await pilot.press("f5")
        assert research.display and focus_is_in(main, research)
        await pilot.press("f3")  # shown but not focused: focus it
        assert search.display and focus_is_in(main, search)
        await pilot.press("f9")
        assert main.has_class("-maximised")
        assert not main.query_one("#chat-column").display
        await pilot.press("f9")
        assert not main.has_class("-maximised")
        await pilot.press("f3")  # focused: hide, focus goes back to the prompt
        assert not search.display and main.focused is main.prompt_bar.input
        await pilot.press("ctrl+o")
        assert main.focused is main.view
        await pilot.press("ctrl+o")
        assert focus_is_in(main, research)
        await pilot.press("ctrl+b")
        assert not main.sessions.display
        await pilot.press("f5")
        assert not research.display and not main.query_one("#side").display


async def test_palette_commands_drive_the_panes(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        names = [n for n, _, _ in app_commands(app, main)]
        for expected in ("Web search pane", "Search the web for …", "Start deep research"):
            assert expected in names
        command(app, "Deep research pane")()
        assert main.research_pane.display
        command(app, "Maximise pane")()
        assert main.has_class("-maximised")
        command(app, "Maximise pane")()
        [search_cmd, _research_cmd] = typed_commands(main, f"search the web for {QUERY}")
        assert search_cmd[0] == f"Search the web for “{QUERY}”"
        search_cmd[2]()
        await settle(pilot)
        record = main.search_pane.current
        assert main.search_pane.display and record is not None and record.query == QUERY
        assert record.results
        help_ids = {b.id for _, bs in app.help_sections() for b in bs}  # type: ignore[union-attr]
        assert {"pane.search", "pane.research", "pane.maximise", "pane.next_area"} <= help_ids


async def test_web_search_mode_shows_the_answers_sources(
    make_app: AppFactory, apex_server: Any
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, QUERY, mode="web-search")
        await settle(pilot)
        record = main.search_pane.current
        assert record is not None and record.query == QUERY and record.results
        [turn] = main.view.turns
        assert turn.status == "done" and turn.sources
        assert [url for url, _ in turn.sources] == [r.url for r in record.results]
        chat_id = main.chat_id
    async with ApexClient(apex_server.base_url, KEY) as client:
        [stored] = await client.get_stored_chat_completions(chat_id)  # type: ignore[arg-type]
    assert [s["url"] for s in stored.metadata["sources"]] == [r.url for r in record.results]
    # A stored web-search completion shows the same footnotes when the chat is opened again.
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.open_chat_id(chat_id)  # type: ignore[arg-type]
        await settle(pilot)
        [again] = main.view.turns
        assert again.sources == turn.sources
        assert any("Sources" in line.text for line in main.view.rendered_lines(again.key))


async def test_attached_results_go_with_the_next_prompt_only(
    make_app: AppFactory, apex_server: Any
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        main.search_flow.web_search(QUERY)
        await settle(pilot)
        results = main.query_one("#search-results", OptionList)
        results.focus()
        await pilot.press("space", "down", "space", "a")
        chosen = main.search_pane.current.results[:2]  # type: ignore[union-attr]
        assert main.search_flow.attached == chosen
        assert main.prompt_bar.input.border_title == "2 sources attached"
        await send(pilot, "How does WAL help readers?")
        await settle(pilot)
        assert main.search_flow.attached == [] and not main.prompt_bar.input.border_title
        [turn] = main.view.turns
        assert [url for url, _ in turn.sources] == [r.url for r in chosen]
        await send(pilot, "And without sources?")
        await settle(pilot)
        assert main.view.turns[-1].sources == []
        chat_id = main.chat_id
    async with ApexClient(apex_server.base_url, KEY) as client:
        first, second = await client.get_stored_chat_completions(chat_id)  # type: ignore[arg-type]
    assert [s["url"] for s in first.metadata["sources"]] == [r.url for r in chosen]
    assert "sources" not in (second.metadata or {})


async def test_research_from_the_prompt_while_an_answer_streams(
    make_app: AppFactory, apex_server: Any
) -> None:
    apex_server.inject_fault("stall-after=2:3", method="ChatCompletionStream")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        fast_research(main)
        await send(pilot, "Tell me about proof of stake")
        while not main.view.turns or not main.view.turns[-1].answer:
            await pilot.pause(0.05)
        assert main.streaming
        await send(pilot, "How do subnets reward miners?", mode=RESEARCH_MODE)
        pane = main.research_pane
        assert pane.display
        while not pane.jobs or not all(v.done for v in pane.jobs.values()):
            await pilot.pause(0.05)
        [job] = pane.jobs.values()
        assert job.status == "completed" and job.report
        assert job.title == "How do subnets reward miners?"
        assert main.streaming, "the answer is still streaming while the job finished"
        await settle(pilot)
        assert not main.streaming and main.view.turns[-1].status == "done"
        assert [n for n in notices(app) if "Research finished" in n]


async def test_save_report_to_chat_and_job_finished_once(
    make_app: AppFactory, apex_server: Any
) -> None:
    app = make_app()
    bells: list[int] = []
    async with app.run_test(size=SIZE) as pilot:
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        await settle(pilot)
        main = main_of(app)
        fast_research(main)
        await send(pilot, "first turn")
        await settle(pilot)
        chat_id = main.chat_id
        # a second answer beside the first, then back to the first: not the newest turn
        await pilot.press("ctrl+r")
        await settle(pilot)
        main.view.focus()
        await pilot.press("less_than_sign")
        await settle(pilot)
        first_id = main.view.turns[0].key
        assert main.view.turns[0].branch == (1, 2)
        await send(pilot, "What limits SQLite concurrency?", mode=RESEARCH_MODE)
        await settle(pilot)
        pane = main.research_pane
        [job] = pane.jobs.values()
        assert job.status == "completed"
        assert sum("Research finished" in n for n in notices(app)) == 1 and bells == [1]
        # The job's own linked chat shows in the sidebar once the job has finished.
        assert len(main.sessions.visible_ids) == 2
        pane.query_one("#research-jobs").focus()
        await pilot.press("s")
        await settle(pilot)
        assert main.chat_id == chat_id
        assert [t.prompt for t in main.view.turns] == ["first turn", job.title]
        assert main.view.turns[-1].answer == job.report
        assert main.sessions.visible_ids[0] == chat_id
        assert sum("Research finished" in n for n in notices(app)) == 1 and bells == [1]
    async with ApexClient(apex_server.base_url, KEY) as client:
        stored = await client.get_stored_chat_completions(chat_id)  # type: ignore[arg-type]
        linked = await client.get_completions_with_deep_researcher_entry()
    saved = [s for s in stored if "deep-researcher" in (s.metadata or {})]
    assert [s.metadata["deep-researcher"]["jobId"] for s in saved] == [job.job_id]
    assert saved[0].id in {c.id for c in linked}
    assert saved[0].metadata["parentCompletionId"] == first_id  # after the branch shown


async def test_small_terminal_panes_cover_the_chat(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        main = main_of(app)
        assert main.has_class("-narrow") and main.query_one("#welcome").display
        await send(pilot, "hello at 80 columns")
        await settle(pilot)
        assert main.view.turns[-1].status == "done"
        await pilot.press("f3")
        assert main.has_class("-covered") and not main.query_one("#chat-column").display
        assert main.search_pane.region.width > 40
        await pilot.press("f3")
        assert not main.has_class("-covered") and main.query_one("#chat-column").display
        await pilot.press("ctrl+b")
        assert not main.sessions.display
        assert main.view.region.width >= 70


async def test_keys_in_one_burst_send_the_whole_prompt(make_app: AppFactory) -> None:
    """tmux ``send-keys "text" Enter`` delivers the keys in one read: Enter must see the text."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        for char in "hi there":
            key = "space" if char == " " else char
            app.post_message(events.Key(key, char))
        app.post_message(events.Key("enter", "\r"))
        await settle(pilot)
        assert [t.prompt for t in main.view.turns] == ["hi there"]
        assert main.prompt_bar.text == ""
