"""SVG snapshots of the app: main screen empty and with a chat, help, settings, both own themes.

Deterministic: fixed chats seeded through the real client, fixed turn times, no cursor blink.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from apex_tui.api.client import ApexClient

SIZE = (120, 36)
KEY = "snapshot-key"
FIXED = datetime(2026, 1, 2, 9, 30, tzinfo=UTC)
ANSWER = (
    "Subnet 1 (**Apex**) serves chat completions from miners.\n\n"
    "```python\nfrom macrocosmos import ApexClient\nclient = ApexClient(api_key=KEY)\n```\n\n"
    "- miners answer\n- validators score\n"
)


async def quiet(pilot: Any) -> None:
    """Wait for workers, stop cursors blinking, freeze turn times."""
    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    main = app.main_screen
    if main.view.turns:
        main.view.set_turns([replace(t, created_at=FIXED) for t in main.view.turns])
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    app.screen.set_focus(None)
    await pilot.pause()


async def open_seeded_chat(pilot: Any) -> None:
    app = pilot.app
    async with ApexClient(app.connection.client.base_url, KEY) as client:
        made = await client.create_chat_and_completion(
            "What is Apex?", chat_type="apex", title="What is Apex?"
        )
        await client.update_completion_attributes(made.parsed_completion.id, completion_text=ANSWER)
        await client.create_chat_and_completion("Older idea", chat_type="apex", title="Older idea")
    main = app.main_screen
    main.load_sessions()
    await app.workers.wait_for_complete()
    await pilot.pause()
    main.sessions.highlight(made.parsed_chat.id)
    main.sessions.query_one("#chat-list").focus()
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await quiet(pilot)


def test_main_empty(snap_compare: Any, build: Any) -> None:
    assert snap_compare(build(), terminal_size=SIZE, run_before=quiet)


def test_main_with_chat_dark(snap_compare: Any, build: Any) -> None:
    assert snap_compare(build("apex-dark"), terminal_size=SIZE, run_before=open_seeded_chat)


def test_main_with_chat_light(snap_compare: Any, build: Any) -> None:
    assert snap_compare(build("apex-light"), terminal_size=SIZE, run_before=open_seeded_chat)


def test_help(snap_compare: Any, build: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await quiet(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(build(), terminal_size=SIZE, run_before=run_before)


def steady_settings(pilot: Any) -> None:
    """The settings screen names the test server's port and the test's config path, which
    change from run to run: the picture shows fixed ones in their place."""
    screen = pilot.app.screen
    in_use = screen.query_one("#settings-in-use")
    url = pilot.app.connection.client.base_url
    in_use.update(str(in_use.render()).replace(url, "http://127.0.0.1:8000"))
    for dialog in screen.query("Vertical"):
        if dialog.border_subtitle:
            dialog.border_subtitle = "saved to ~/.config/apex-tui/config.toml"


def test_settings(snap_compare: Any, build: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await quiet(pilot)
        await pilot.press("f4")
        await pilot.pause()
        steady_settings(pilot)
        await quiet(pilot)

    assert snap_compare(build(), terminal_size=SIZE, run_before=run_before)


# --- mid-stream and with the panes beside the chat ----------------------------------------------

WIDE = (150, 40)
"""Wide enough for the panes to sit right of the conversation."""


async def freeze_stream(pilot: Any) -> None:
    """Send a prompt whose stream the server stalls after a few chunks, then freeze the screen.

    The status line's speed depends on timing, so it is set to a fixed text once the stall began
    (no chunk arrives to change it before the picture is taken)."""
    app = pilot.app
    await app.workers.wait_for_complete()
    main = app.main_screen
    main.settings.seed = 7  # the offline engine's chunk sizes follow the seed
    main.prompt_bar.input.load_text("Explain how Apex validators score miners")
    main.prompt_bar.input.focus()
    await pilot.press("enter")
    # Wait until the three chunks before the stall are all in: the answer stops growing.
    seen, still = "", 0
    while still < 5:
        await pilot.pause(0.1)
        answer = main.view.turns[-1].answer if main.view.turns else ""
        still = still + 1 if answer and answer == seen else 0
        seen = answer
    main.view.flush()
    # Draw the stalled answer in one piece: how a streamed tail was split into frames depends
    # on timing, the text itself does not.
    turn = main.view.turns[-1]
    main.view.update_turn(turn.key, answer=turn.answer)
    main.status.activity = "streaming default model"
    for widget in app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    app.screen.set_focus(None)
    await pilot.pause()


def test_main_mid_stream(snap_compare: Any, build: Any, apex_server: Any) -> None:
    apex_server.inject_fault("stall-after=3:8", method="ChatCompletionStream")
    assert snap_compare(build(), terminal_size=SIZE, run_before=freeze_stream)


def test_search_pane_beside_the_chat(snap_compare: Any, build: Any) -> None:
    async def run_before(pilot: Any) -> None:
        await open_seeded_chat(pilot)
        main = pilot.app.main_screen
        main.search_pane.search("python asyncio event loop")
        main.action_toggle_search()
        await pilot.app.workers.wait_for_complete()
        main.search_pane.history[-1].started = FIXED
        main.search_pane.query_one("#search-results").focus()
        await quiet_panes(pilot)

    assert snap_compare(build(), terminal_size=WIDE, run_before=run_before)


async def quiet_panes(pilot: Any) -> None:
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False
    await pilot.pause()


def test_research_pane_mid_job_beside_the_chat(snap_compare: Any, build: Any, utc: None) -> None:
    async def run_before(pilot: Any) -> None:
        await open_seeded_chat(pilot)
        show_jobs(pilot.app.main_screen, running=True)
        await quiet_panes(pilot)

    assert snap_compare(build(), terminal_size=WIDE, run_before=run_before)


def test_research_pane_finished_beside_the_chat(snap_compare: Any, build: Any, utc: None) -> None:
    async def run_before(pilot: Any) -> None:
        await open_seeded_chat(pilot)
        show_jobs(pilot.app.main_screen, running=False)
        await quiet_panes(pilot)

    assert snap_compare(build(), terminal_size=WIDE, run_before=run_before)


def show_jobs(main: Any, *, running: bool) -> None:
    """Fixed jobs and a fixed clock in the app's own research pane (no server timing in view)."""
    from test_panes_snapshots import STARTED, finished_job, running_job

    pane = main.research_pane
    done, live = finished_job(), running_job()
    pane.clock = lambda: STARTED + timedelta(minutes=5, seconds=21)
    pane.jobs[done.job_id] = done
    if running:
        pane.jobs[live.job_id] = live
    main.action_toggle_research()
    pane.select(live.job_id if running else done.job_id)
    pane.query_one("#research-jobs").focus()
