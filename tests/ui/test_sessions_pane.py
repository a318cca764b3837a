"""The sessions pane alone: day groups, filter, marks, rename and delete requests, 10k chats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Input

from apex_tui.api.models import ChatSession
from apex_tui.ui.messages import ChatChosen, DeleteRequested, RenameRequested, SearchRequested
from apex_tui.ui.widgets.sessions import GROUPS, ChatList, SessionsPane

TODAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


class PaneApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.heard: list[Message] = []

    def compose(self) -> ComposeResult:
        yield SessionsPane("apex", today=lambda: TODAY)

    def on_chat_chosen(self, message: ChatChosen) -> None:
        self.heard.append(message)

    def on_rename_requested(self, message: RenameRequested) -> None:
        self.heard.append(message)

    def on_delete_requested(self, message: DeleteRequested) -> None:
        self.heard.append(message)

    def on_search_requested(self, message: SearchRequested) -> None:
        self.heard.append(message)


def day_group(when: datetime, today: date) -> str:
    """The rule in words, one chat at a time: the group of a chat touched at ``when`` (local
    time) seen on ``today``. The pane finds the same groups by binary search."""
    day = when.astimezone().date()
    if day >= today:
        return GROUPS[0]
    if day == today - timedelta(days=1):
        return GROUPS[1]
    if day > today - timedelta(days=7):
        return GROUPS[2]
    return GROUPS[3]


def chat(i: int, title: str, days_ago: float) -> ChatSession:
    when = NOON - timedelta(days=days_ago)
    return ChatSession(id=f"c{i}", title=title, chat_type="apex", created_at=when, updated_at=when)


def test_day_groups() -> None:
    assert day_group(NOON, TODAY) == "Today"
    assert day_group(NOON - timedelta(days=1), TODAY) == "Yesterday"
    assert day_group(NOON - timedelta(days=3), TODAY) == "Last 7 days"
    assert day_group(NOON - timedelta(days=30), TODAY) == "Older"


async def test_grouped_newest_first_and_filter() -> None:
    app = PaneApp()
    async with app.run_test() as pilot:
        pane = app.query_one(SessionsPane)
        pane.set_sessions(
            [
                chat(1, "Old rust question", 40),
                chat(2, "Today python", 0.1),
                chat(3, "Yesterday python", 1),
                chat(4, "Week talk", 4),
            ]
        )
        await pilot.pause()
        options = app.query_one(ChatList).options
        assert [o.id for o in options] == [
            "group:Today",
            "c2",
            "group:Yesterday",
            "c3",
            "group:Last 7 days",
            "c4",
            "group:Older",
            "c1",
        ]
        assert all(o.disabled for o in options if o.id and o.id.startswith("group:"))
        filter_input = app.query_one("#chat-filter", Input)
        filter_input.focus()
        await pilot.press(*"PYTHON")
        assert pane.visible_ids == ["c2", "c3"]
        await pilot.press("enter")
        await pilot.pause()
        assert any(isinstance(m, SearchRequested) and m.term == "PYTHON" for m in app.heard)
        pane.show_search("PYTHON", ["c1"])
        assert pane.visible_ids == ["c1"]
        await pilot.press("escape")
        assert pane.visible_ids == ["c2", "c3", "c4", "c1"]


async def test_mark_delete_and_rename_requests() -> None:
    app = PaneApp()
    async with app.run_test() as pilot:
        pane = app.query_one(SessionsPane)
        pane.set_sessions([chat(i, f"chat {i}", i) for i in range(1, 4)])
        await pilot.pause()
        app.query_one(ChatList).focus()
        assert pane.highlighted_id == "c1"
        await pilot.press("space", "down", "space")
        assert pane.marked_ids == ["c1", "c2"]
        await pilot.press("delete")
        await pilot.pause()
        deletes = [m for m in app.heard if isinstance(m, DeleteRequested)]
        assert deletes[-1].chat_ids == ["c1", "c2"]
        await pilot.press("f2")
        rename = app.query_one("#rename-input", Input)
        assert rename.has_focus and rename.value == "chat 2"
        rename.value = "renamed"
        await pilot.press("enter")
        await pilot.pause()
        renames = [m for m in app.heard if isinstance(m, RenameRequested)]
        assert (renames[-1].chat_id, renames[-1].old_title, renames[-1].new_title) == (
            "c2",
            "chat 2",
            "renamed",
        )
        assert pane.session("c2").title == "renamed"  # type: ignore[union-attr]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.heard[-1], ChatChosen)


async def test_ten_thousand_chats_filter() -> None:
    app = PaneApp()
    async with app.run_test() as pilot:
        pane = app.query_one(SessionsPane)
        pane.set_sessions([chat(i, f"topic {i % 100} number {i}", i / 500) for i in range(10_000)])
        await pilot.pause()
        assert len(pane.visible_ids) == 10_000
        app.query_one("#chat-filter", Input).value = "topic 42 "
        await pilot.pause()
        assert len(pane.visible_ids) == 100
        assert all("topic 42 " in pane.session(c).title for c in pane.visible_ids)  # type: ignore[union-attr]


async def test_control_sequences_in_titles_are_inert() -> None:
    app = PaneApp()
    async with app.run_test() as pilot:
        pane = app.query_one(SessionsPane)
        pane.set_sessions([chat(1, "evil \x1b]52;c;aGk=\x07title\x1b[31m", 0)])
        await pilot.pause()
        prompt = str(app.query_one(ChatList).get_option("c1").prompt)
        assert "\x1b" not in prompt and "evil" in prompt and "title" in prompt


async def test_groups_of_any_filtered_view_match_each_chats_day_group() -> None:
    """The grouped rows come from binary searches over the newest-first list; every chat must
    still sit under the heading :func:`day_group` gives it, for the full list and filters."""
    ages = [0.01, 0.2, 0.4, 0.6, 1.0, 1.3, 2.5, 4.0, 5.9, 6.5, 8.0, 30.0, 400.0]
    sessions = [
        chat(i, f"{'even' if i % 2 else 'odd'} chat {i}", age) for i, age in enumerate(ages)
    ]
    app = PaneApp()
    async with app.run_test() as pilot:
        pane = app.query_one(SessionsPane)
        pane.set_sessions(reversed(sessions))  # any order in
        for needle in ("", "even", "odd", "chat 1", "nothing"):
            pane.query_one("#chat-filter", Input).value = needle
            await pilot.pause()
            expected: list[str] = []
            for session in sessions:  # oldest last: the order shown
                if needle not in session.title:
                    continue
                heading = "group:" + day_group(session.updated_at or NOON, TODAY)
                if heading not in expected:
                    expected.append(heading)
                expected.append(session.id)
            assert pane._rows == expected, needle
