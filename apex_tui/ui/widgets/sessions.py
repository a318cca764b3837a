"""The chat sessions pane: a filter box over a day-grouped list of stored chats.

The list is a Line-API :class:`RowList` over chat ids: building it (after loading, or per
filter keystroke) is one list of ids with a heading id before each day group, and only the
rows in view are ever rendered. 10,000 chats list in a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label
from textual.widgets.option_list import Option

from apex_tui.api.models import ChatSession
from apex_tui.shorten import shorten
from apex_tui.ui.messages import ChatChosen, DeleteRequested, RenameRequested, SearchRequested
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.widgets.row_list import RowList

FILTER_PLACEHOLDER = "Filter · Enter finds text"
SHORT_FILTER_PLACEHOLDER = "Filter · ⏎ text"
"""For a narrow chat list (80 columns)."""
GROUPS = ("Today", "Yesterday", "Last 7 days", "Older")
GROUP_PREFIX = "group:"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def group_starts(today: date) -> list[tuple[datetime, str]]:
    """The instants (local midnights) where each group but "Older" begins, newest first: a
    chat touched at or after ``starts[0]`` is "Today", at or after ``starts[1]`` "Yesterday",
    at or after ``starts[2]`` (six days back) "Last 7 days", else "Older"."""
    days = (today, today - timedelta(days=1), today - timedelta(days=6))
    return [
        (datetime.combine(d, time.min).astimezone(), g)
        for d, g in zip(days, GROUPS[:3], strict=True)
    ]


class ChatList(RowList):
    """The list itself (rows are chat ids and ``group:`` headings); its keys act on the
    highlighted or marked chats."""

    BINDINGS = [
        Binding("space", "toggle_mark", "Mark", id="sessions.mark"),
        Binding("f2", "rename", "Rename", id="sessions.rename"),
        Binding("delete", "delete", "Delete", id="sessions.delete"),
    ]

    def __init__(self, prompt: Callable[[str, int], Text], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._prompt = prompt

    def row_prompt(self, row_id: str) -> Text:
        if row_id.startswith(GROUP_PREFIX):
            return Text(row_id[len(GROUP_PREFIX) :], style="bold italic")
        padding = self.get_component_styles("option-list--option").padding
        room = self.scrollable_content_region.width - padding.left - padding.right
        return self._prompt(row_id, room if room > 0 else 10_000)

    def row_disabled(self, row_id: str) -> bool:
        return row_id.startswith(GROUP_PREFIX)

    @property
    def options(self) -> Sequence[Option]:
        """Every row as an ``Option`` (built on each call: for tests and tools, not hot paths)."""
        return [Option(self.row_prompt(r), id=r, disabled=self.row_disabled(r)) for r in self._ids]

    def get_option(self, row_id: str) -> Option:
        if self.index_of(row_id) is None:
            raise KeyError(f"no row {row_id!r} in the chat list")
        return Option(self.row_prompt(row_id), id=row_id, disabled=self.row_disabled(row_id))

    def action_toggle_mark(self) -> None:
        pane = self.query_ancestor(SessionsPane)
        pane.toggle_mark()

    def action_rename(self) -> None:
        self.query_ancestor(SessionsPane).begin_rename()

    def action_delete(self) -> None:
        pane = self.query_ancestor(SessionsPane)
        ids = pane.marked_ids or ([pane.highlighted_id] if pane.highlighted_id else [])
        if ids:
            self.post_message(DeleteRequested(ids))


class SessionsPane(Vertical):
    """Stored chats of one chat type, newest first, grouped by day."""

    DEFAULT_CSS = """
    SessionsPane { width: 34; height: 1fr; border-right: vkey $panel; }
    SessionsPane > #sessions-title { width: 1fr; padding: 0 1; color: $text-muted; }
    SessionsPane > Input { height: 3; }
    SessionsPane > #rename-input { display: none; }
    SessionsPane.-renaming > #rename-input { display: block; }
    SessionsPane > ChatList {
        height: 1fr; border: none; text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    BINDINGS = [Binding("escape", "escape", "Clear filter", show=False)]

    def __init__(
        self,
        chat_type: str = "apex",
        *,
        today: Callable[[], date] = date.today,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.chat_type = chat_type
        self._today = today
        self._sessions: dict[str, ChatSession] = {}
        self._order: list[str] = []
        self._lower: dict[str, str] = {}
        self._marked: set[str] = set()
        self._search: tuple[str, set[str]] | None = None
        self._filter = ""
        self._renaming: str | None = None
        self._shown: list[str] = []
        self._times: dict[str, datetime] = {}
        self._rows: list[str] = []

    def compose(self) -> ComposeResult:
        yield Label("", id="sessions-title")
        yield Input(placeholder=FILTER_PLACEHOLDER, id="chat-filter")
        yield Input(id="rename-input", placeholder="New title · Enter saves · Esc cancels")
        yield ChatList(self._prompt, id="chat-list")

    def on_mount(self) -> None:
        self._rebuild()

    # --- data in -----------------------------------------------------------------------------

    def set_sessions(self, sessions: Iterable[ChatSession], chat_type: str | None = None) -> None:
        """Replace every chat (after loading or switching type)."""
        if chat_type is not None:
            self.chat_type = chat_type
        self._sessions = {s.id: s for s in sessions if s.id}
        self._lower = {cid: s.title.lower() for cid, s in self._sessions.items()}
        self._marked.clear()
        self._search = None
        self._resort()
        self._rebuild()

    def upsert(self, session: ChatSession) -> None:
        """Add a chat or refresh one (a new chat shows at once, at the top)."""
        self._sessions[session.id] = session
        self._lower[session.id] = session.title.lower()
        self._invalidate(session.id)
        self._resort()
        self._rebuild(keep=session.id)

    def remove_chats(self, chat_ids: Iterable[str]) -> None:
        for cid in chat_ids:
            self._sessions.pop(cid, None)
            self._lower.pop(cid, None)
            self._marked.discard(cid)
        self._resort()
        self._rebuild()

    def set_title(self, chat_id: str, title: str) -> None:
        """Show a title now (a rename, or its rollback)."""
        session = self._sessions.get(chat_id)
        if session is None:
            return
        self._sessions[chat_id] = session.model_copy(update={"title": title})
        self._lower[chat_id] = title.lower()
        self._invalidate(chat_id)
        self._rebuild(keep=chat_id)

    def show_search(self, term: str, chat_ids: Iterable[str]) -> None:
        """Show only the chats the server found for ``term``."""
        self._search = (term, set(chat_ids))
        self._rebuild()

    def clear_search(self) -> None:
        self._search = None
        self._rebuild()

    # --- state out ---------------------------------------------------------------------------

    def session(self, chat_id: str) -> ChatSession | None:
        return self._sessions.get(chat_id)

    @property
    def sessions(self) -> list[ChatSession]:
        """All chats, newest first."""
        return [self._sessions[cid] for cid in self._order]

    @property
    def visible_ids(self) -> list[str]:
        """Chat ids currently listed, in order."""
        return [r for r in self._rows if not r.startswith(GROUP_PREFIX)]

    @property
    def marked_ids(self) -> list[str]:
        return [cid for cid in self._order if cid in self._marked]

    @property
    def highlighted_id(self) -> str | None:
        row = self._list.highlighted_row if self.is_mounted else None
        return None if row is None or row.startswith(GROUP_PREFIX) else row

    @property
    def search_active(self) -> bool:
        return self._search is not None

    def highlight(self, chat_id: str) -> None:
        self._list.highlight_row(chat_id)  # False when filtered out

    # --- actions -----------------------------------------------------------------------------

    def toggle_mark(self) -> None:
        cid = self.highlighted_id
        if cid is None:
            return
        self._marked.symmetric_difference_update({cid})
        self._invalidate(cid)
        self._update_title(len(self._shown))

    def begin_rename(self) -> None:
        cid = self.highlighted_id
        if cid is None:
            return
        self._renaming = cid
        rename = self.query_one("#rename-input", Input)
        rename.value = self._sessions[cid].title
        self.add_class("-renaming")
        rename.focus()

    def _end_rename(self) -> None:
        self._renaming = None
        self.remove_class("-renaming")
        self._list.focus()

    def action_escape(self) -> None:
        """Esc: leave the rename, else clear the filter; with neither, the key goes on (the
        screen's Esc takes the focus back to the prompt)."""
        if self._renaming is None and not self._filter and self._search is None:
            raise SkipAction()
        self.action_clear_filter()

    def action_clear_filter(self) -> None:
        if self._renaming is not None:
            self._end_rename()
            return
        self.query_one("#chat-filter", Input).value = ""
        self._filter = ""
        self._search = None
        self._rebuild()

    @on(Input.Changed, "#chat-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._filter = event.value.strip().lower()
        self._search = None
        visible = self._visible()
        if visible == self._shown:  # e.g. "c" → "ch" over 10,000 titles: nothing to rebuild
            self._update_title(len(visible))
            return
        self._rebuild()

    @on(Input.Submitted, "#chat-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        term = event.value.strip()
        if term:
            self.post_message(SearchRequested(term))
        else:
            self.clear_search()

    @on(Input.Submitted, "#rename-input")
    def _rename_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        cid = self._renaming
        self._end_rename()
        if cid is None or cid not in self._sessions:
            return
        old, new = self._sessions[cid].title, event.value.strip()
        if new and new != old:
            self.set_title(cid, new)
            self.post_message(RenameRequested(cid, old, new))

    @on(RowList.RowSelected, "#chat-list")
    def _chosen(self, event: RowList.RowSelected) -> None:
        event.stop()
        if not event.row_id.startswith(GROUP_PREFIX):
            self.post_message(ChatChosen(event.row_id))

    # --- building the list -------------------------------------------------------------------

    @property
    def _list(self) -> ChatList:
        return self.query_one(ChatList)

    def _resort(self) -> None:
        # Last touched (updated, else created), inline: 10,000 calls would be a third of the cost.
        # The models make every time aware, so times compare with the group starts.
        self._times = times = {
            cid: s.updated_at or s.created_at or _EPOCH for cid, s in self._sessions.items()
        }
        self._order = sorted(times, key=times.__getitem__, reverse=True)

    def _invalidate(self, cid: str) -> None:
        if self.is_mounted:
            self._list.invalidate(cid)

    def _prompt(self, cid: str, width: int = 10_000) -> Text:
        """A chat's row (asked for only when the row is painted): mark, then the inert title,
        ending at a whole word within ``width`` columns."""
        session = self._sessions.get(cid)
        title = (make_inert(session.title) if session else "") or "(untitled)"
        title = shorten(title, max(1, width - 2))
        prompt = Text(
            "● " if cid in self._marked else "  ",
            style="bold",
            no_wrap=True,
            overflow="ellipsis",
        )
        prompt.append(title.replace("\n", " "), style="")
        return prompt

    def _visible(self) -> list[str]:
        if self._search is not None:
            found = self._search[1]
            return [cid for cid in self._order if cid in found]
        if not self._filter:
            return self._order
        needle, lower = self._filter, self._lower
        return [cid for cid in self._order if needle in lower[cid]]

    def _first_older(self, visible: list[str], start: datetime) -> int:
        """Index of the first chat in ``visible`` (newest first) touched before ``start``."""
        times, low, high = self._times, 0, len(visible)
        while low < high:
            middle = (low + high) // 2
            if times[visible[middle]] >= start:
                low = middle + 1
            else:
                high = middle
        return low

    def _grouped(self, visible: list[str]) -> list[str]:
        """``visible`` with a heading before each day group. It is newest first (a subsequence
        of the sorted order), so each group's end is a binary search and its rows one slice:
        no per-chat work, which keeps a filter keystroke that brings back 10,000 chats cheap."""
        bounds = [0]
        bounds += [self._first_older(visible, start) for start, _ in group_starts(self._today())]
        bounds.append(len(visible))
        rows: list[str] = []
        for label, begin, end in zip(GROUPS, bounds[:-1], bounds[1:], strict=True):
            if begin < end:
                rows.append(GROUP_PREFIX + label)
                rows += visible[begin:end]
        return rows

    def _rebuild(self, keep: str | None = None) -> None:
        if not self.is_mounted:
            return
        keep = keep or self.highlighted_id
        visible = self._shown = self._visible()
        self._rows = rows = self._grouped(visible)
        chat_list = self._list
        chat_list.set_rows(rows)
        if (keep is None or not chat_list.highlight_row(keep)) and visible:
            chat_list.highlight_row(visible[0])
        self._update_title(len(visible))

    def _update_title(self, shown: int) -> None:
        total = len(self._sessions)
        text = f"{self.chat_type} chats · {total}"
        if self._search is not None:
            text = f"search “{self._search[0]}” · {shown} of {total} · Esc clears"
        elif self._filter:
            text = f"{self.chat_type} · {shown} of {total} match"
        if self._marked:
            text += f" · {len(self._marked)} marked"
        self.query_one("#sessions-title", Label).update(text)
