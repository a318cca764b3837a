"""Turn flows of the main screen: send and stream, stop, regenerate, edit and resend, delete a
turn, copy an answer or a code block.

Streaming runs in one exclusive worker; the stop key cancels it, and ``ChatSync.send`` stores
the partial answer marked interrupted before the cancellation ends the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import aclosing
from dataclasses import replace
from time import monotonic
from typing import TYPE_CHECKING, Protocol, cast

from textual import on, work
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker

from apex_tui.api.errors import ApexError
from apex_tui.api.models import WebSearchResult
from apex_tui.services.chat_sync import (
    AnswerDelta,
    ChatSettings,
    Turn,
    TurnFinished,
    TurnStarted,
)
from apex_tui.services.completion_types import plan_for
from apex_tui.ui import key_pressure
from apex_tui.ui.drafts import new_chat_key
from apex_tui.ui.gc_policy import collect_and_freeze, young_collections_only
from apex_tui.ui.messages import PromptSubmitted
from apex_tui.ui.screens.confirm import ConfirmDeleteScreen
from apex_tui.ui.widgets.conversation import ConversationView, TurnView
from apex_tui.ui.widgets.prompt_bar import RESEARCH_MODE, PromptBar
from apex_tui.ui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from apex_tui.services.chat_sync import ChatSync
    from apex_tui.ui.drafts import DraftStore


SOURCE_TITLE = 70
"""Characters of a source's passage shown as its footnote title."""
STATUS_INTERVAL = 0.25
"""Seconds between updates of the status line's streaming speed."""
YIELD_INTERVAL = 0.003
"""Longest stretch (seconds) the stream loop works before letting the event loop run (a
key crosses three queues, each waiting behind what runs before it: 3 ms slices cut the keys' p95
by ~5-20 ms against 6 ms, bench/keys.py, for ~20% fewer chars/s at the fastest server)."""
YIELD_PAUSE = 0.002
"""How long it then steps aside: long enough for a key or a frame to pass every queue."""
FREEZE_DELAY = 0.5
"""Seconds after an answer ends before the one full GC pass (after its last frame)."""


class CopiesText(Protocol):
    def copy_text(self, text: str, what: str) -> None: ...


def turn_status(turn: Turn) -> str:
    """The view's status word for a stored turn."""
    if turn.error and turn.error != "interrupted":
        return "error"
    return "interrupted" if turn.interrupted else "done"


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= SOURCE_TITLE else line[: SOURCE_TITLE - 1].rstrip() + "…"


def turn_sources(turn: Turn) -> list[tuple[str, str]]:
    """(url, title) footnotes of a web-search answer, from its stored metadata ("sources")."""
    sources = turn.metadata.get("sources", [])
    return [
        (str(s.get("url", "")), _short(str(s.get("relevant", ""))))
        for s in (sources if isinstance(sources, list) else [])
        if isinstance(s, dict)
    ]


def turn_view(turn: Turn) -> TurnView:
    """What the conversation view shows for a stored turn."""
    sources = turn_sources(turn)
    return TurnView(
        key=turn.completion_id,
        prompt=turn.prompt,
        answer=turn.answer,
        completion_type=turn.completion_type,
        created_at=turn.created_at,
        status=turn_status(turn),
        error=turn.error if turn.error != "interrupted" else "",
        sources=sources,
    )


class TurnFlows(Screen[None]):
    """Mixed into MainScreen; state attributes are set by MainScreen.__init__."""

    TURN_BINDINGS = [
        Binding("escape", "stop", "Stop", priority=True, id="chat.stop"),
        Binding("ctrl+r", "regenerate", "Regenerate", show=False, id="chat.regenerate"),
        Binding("c", "copy_answer", "Copy answer", id="chat.copy_answer"),
        Binding("b", "copy_code", "Copy code", id="chat.copy_code"),
        Binding("e", "edit_turn", "Edit & resend", id="chat.edit"),
        Binding("d,delete", "delete_turn", "Delete turn", id="chat.delete_turn"),
    ]

    sync: ChatSync
    drafts: DraftStore
    chat_id: str | None
    chat_type: str
    turns: list[Turn]
    _settings: dict[str | None, ChatSettings]

    @property
    def view(self) -> ConversationView:
        return self.query_one(ConversationView)

    @property
    def prompt_bar(self) -> PromptBar:
        return self.query_one(PromptBar)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    if TYPE_CHECKING:

        @property
        def settings(self) -> ChatSettings: ...
        @property
        def draft_key(self) -> str: ...
        def report(self, what: str, error: ApexError) -> None: ...
        def note_chat_touched(self, chat_id: str, title: str = "") -> None: ...
        def _schedule_draft_save(self) -> None: ...
        def start_research(self, question: str) -> None: ...
        def take_attached(self) -> list[WebSearchResult] | None: ...
        def clear_attached(self) -> None: ...
        async def fetch_sources(
            self, prompt: str, settings: ChatSettings
        ) -> list[WebSearchResult]: ...

    def init_turn_flows(self) -> None:
        self.streaming = False
        self.editing: str | None = None
        self._stream_worker: Worker[None] | None = None
        self._pending = 0
        self._code_cursor: tuple[str, int] = ("", -1)

    # --- which keys apply now ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.streaming or self.editing is not None
        if action == "regenerate":
            return bool(self.turns)
        if action in ("copy_answer", "copy_code", "edit_turn", "delete_turn"):
            return isinstance(self.focused, ConversationView) and bool(self.view.turns)
        return True

    def refuse_while_streaming(self, what: str) -> bool:
        if self.streaming:
            self.notify(
                f"An answer is still streaming; stop it with Esc before you {what}.",
                severity="warning",
            )
        return self.streaming

    def _target_turn(self) -> TurnView | None:
        return self.view.selected_turn() or (self.view.turns[-1] if self.view.turns else None)

    # --- send --------------------------------------------------------------------------------

    def update_welcome(self) -> None:
        """The welcome shows only while the conversation is empty."""
        self.query_one("#welcome").display = not self.view.turns
        self.refresh_bindings()

    @on(PromptSubmitted)
    def _submitted(self, event: PromptSubmitted) -> None:
        if event.completion_type == RESEARCH_MODE:  # a research job runs beside any stream
            self.start_research(event.text)
            self.prompt_bar.clear()
            self.drafts.set(self.draft_key, "")
            self._schedule_draft_save()
            return
        if self.refuse_while_streaming("send another prompt"):
            return
        settings = replace(self.settings, completion_type=event.completion_type)
        self._settings[self.chat_id] = settings
        history, replace_ids = list(self.turns), []
        if self.editing is not None:
            index = next(
                (i for i, t in enumerate(self.turns) if t.completion_id == self.editing), None
            )
            if index is not None:
                history = self.turns[:index]
                replace_ids = [t.completion_id for t in self.turns[index:]]
            self.editing = None
            self.status.activity = ""
        self.prompt_bar.clear()
        self.drafts.set(self.draft_key, "")
        self._schedule_draft_save()
        self.start_stream(
            event.text, history, settings, replace_ids=replace_ids, context=self.take_attached()
        )

    def start_stream(
        self,
        prompt: str,
        history: list[Turn],
        settings: ChatSettings,
        *,
        replace_ids: list[str] | None = None,
        regenerate_of: Turn | None = None,
        context: list[WebSearchResult] | None = None,
    ) -> None:
        """Show the prompt at once and stream its answer in a worker.

        ``context``: search results attached by the user, sent with the prompt (and then
        dropped from the prompt bar once the turn has started)."""
        self.streaming = True
        self.refresh_bindings()
        self._pending += 1
        key = f"pending-{self._pending}"
        self.view.add_turn(
            TurnView(
                key=key, prompt=prompt, completion_type=settings.completion_type, status="streaming"
            )
        )
        self.update_welcome()
        self._stream_worker = self._run_stream(
            key, prompt, history, settings, replace_ids or [], regenerate_of, context
        )

    @work(exclusive=True, group="stream")
    async def _run_stream(
        self,
        key: str,
        prompt: str,
        history: list[Turn],
        settings: ChatSettings,
        replace_ids: list[str],
        regenerate_of: Turn | None,
        context: list[WebSearchResult] | None,
    ) -> None:
        received: list[str] = []
        attached = context is not None
        started = finished = False
        began = monotonic()
        chars, shown_at, yielded_at = 0, 0.0, monotonic()
        model = settings.model or "default model"
        try:
            if replace_ids:
                await self.sync.client.delete_completions(replace_ids)
                for completion_id in replace_ids:
                    self.view.remove_turn(completion_id)
                self.turns = [t for t in self.turns if t.completion_id not in replace_ids]
            if regenerate_of is not None and self.chat_id is not None:
                events = self.sync.regenerate(self.chat_id, regenerate_of, history, settings)
            else:
                if context is None and plan_for(settings.completion_type).needs_web_search:
                    self.status.activity = "searching the web…"
                    context = await self.fetch_sources(prompt, settings)
                events = self.sync.send(self.chat_id, prompt, history, settings, context=context)
            self.status.activity = f"waiting for {model}…"
            # no 45-120 ms full GC pass in the middle of an answer (see gc_policy)
            with young_collections_only():
                async with aclosing(events):
                    async for event in events:
                        if isinstance(event, TurnStarted):
                            started = True
                            if attached:
                                self.clear_attached()
                            self._turn_started(event, key, settings)
                            key = event.completion_id
                        elif isinstance(event, AnswerDelta):
                            received.append(event.text)
                            self.view.append_answer(key, event.text)
                            chars += len(event.text)  # running count: summing is O(n) a chunk
                            now = monotonic()
                            if now >= shown_at + STATUS_INTERVAL:  # speed: a few times a second
                                shown_at = now
                                self.status.streaming(model, chars, now - began)
                            if now >= yielded_at + key_pressure.slice_for(YIELD_INTERVAL):
                                # one network read can hold hundreds of chunks; let keys and
                                # frames through instead of parsing them all in one go
                                await asyncio.sleep(YIELD_PAUSE)
                                yielded_at = monotonic()
                        elif isinstance(event, TurnFinished):
                            finished = True
                            self._turn_finished(event.turn, key)
            if regenerate_of is not None and finished:
                self.view.remove_turn(regenerate_of.completion_id)
                self.turns = [t for t in self.turns if t is not regenerate_of]
        except ApexError as exc:
            if not started:
                self.view.remove_turn(key)
                self._give_prompt_back(prompt)
                self.report("Not sent — your prompt is back in the box", exc)
            else:
                if not finished:
                    self.view.finish_answer(
                        key, final_text="".join(received), status="error", error=str(exc)
                    )
                self.report("The answer broke off; what arrived is kept (Ctrl+R retries)", exc)
        except asyncio.CancelledError:
            # Stopped by the user, or the app is quitting (then the widgets may be gone already;
            # ChatSync has stored the partial answer either way).
            with contextlib.suppress(NoMatches):
                self._show_cancelled(key, prompt, settings, "".join(received), started, finished)
            raise
        finally:
            self.streaming = False
            self._stream_worker = None
            if self.is_attached:  # once the answer is drawn: one full GC pass, then freeze
                self.set_timer(FREEZE_DELAY, collect_and_freeze)
            with contextlib.suppress(NoMatches):
                self.status.activity = ""
                self.refresh_bindings()
                self.update_welcome()
                if self.chat_id is not None and started:
                    self.note_chat_touched(self.chat_id)

    def _show_cancelled(
        self,
        key: str,
        prompt: str,
        settings: ChatSettings,
        partial: str,
        started: bool,
        finished: bool,
    ) -> None:
        if not started:
            self.view.remove_turn(key)
            self._give_prompt_back(prompt)
        elif not finished:
            self.turns.append(
                Turn(
                    key,
                    prompt,
                    partial,
                    settings.completion_type,
                    interrupted=True,
                    error="interrupted",
                )
            )
            self.view.finish_answer(key, final_text=partial, status="interrupted")

    def _turn_started(self, event: TurnStarted, key: str, settings: ChatSettings) -> None:
        if event.chat.is_new:
            self.chat_id = event.chat.id
            self.drafts.move(new_chat_key(self.chat_type), event.chat.id)
            self._settings[event.chat.id] = self._settings.pop(None, settings)
            self.note_chat_touched(event.chat.id, event.chat.title)
            self.query_one("SessionsPane").highlight(event.chat.id)  # type: ignore[attr-defined]
        self.view.update_turn(key, key=event.completion_id)

    def _turn_finished(self, turn: Turn, key: str) -> None:
        self.turns.append(turn)
        status = turn_status(turn)
        error = turn.error if status == "error" else ""
        sources = turn_sources(turn)
        if sources:
            self.view.update_turn(key, sources=sources)
        self.view.finish_answer(key, final_text=turn.answer, status=status, error=error)

    def _give_prompt_back(self, prompt: str) -> None:
        """Nothing typed is lost: an unsent prompt returns to the box (unless the user typed)."""
        if not self.prompt_bar.text.strip():
            self.prompt_bar.load_draft(prompt)
            self.drafts.set(self.draft_key, prompt)
            self._schedule_draft_save()

    # --- stop, regenerate, edit --------------------------------------------------------------

    def action_stop(self) -> None:
        if self.streaming and self._stream_worker is not None:
            self._stream_worker.cancel()
            self.notify("Stopped; the partial answer is kept and stored as interrupted.")
        elif self.editing is not None:
            self.cancel_edit()

    def action_regenerate(self) -> None:
        if self.refuse_while_streaming("regenerate"):
            return
        if not self.turns or self.chat_id is None:
            self.notify("Nothing to regenerate yet: send a prompt first.")
            return
        last = self.turns[-1]
        settings = replace(self.settings, completion_type=last.completion_type)
        self.start_stream(last.prompt, self.turns[:-1], settings, regenerate_of=last)

    def action_edit_turn(self) -> None:
        turn = self._target_turn()
        if turn is None or self.refuse_while_streaming("edit"):
            return
        later = sum(1 for t in self.view.turns[self.view.turns.index(turn) + 1 :])
        self.editing = turn.key
        self.prompt_bar.load_draft(turn.prompt)
        self.prompt_bar.completion_type = turn.completion_type
        self.prompt_bar.input.focus()
        extra = f" and the {later} after it" if later else ""
        self.status.activity = f"editing a prompt: Enter resends, replacing it{extra} · Esc cancels"
        self.refresh_bindings()

    def cancel_edit(self) -> None:
        if self.editing is None:
            return
        self.editing = None
        self.status.activity = ""
        self.prompt_bar.load_draft(self.drafts.get(self.draft_key))
        self.refresh_bindings()

    # --- delete a turn, copy -----------------------------------------------------------------

    def action_delete_turn(self) -> None:
        turn = self._target_turn()
        if turn is None or self.refuse_while_streaming("delete a turn"):
            return
        key = turn.key

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete_turn(key)

        self.app.push_screen(ConfirmDeleteScreen([turn.prompt], noun="turn"), confirmed)

    @work(group="delete-turn")
    async def delete_turn(self, completion_id: str) -> None:
        try:
            await self.sync.delete_turn(completion_id)
        except ApexError as exc:
            self.report("Could not delete the turn", exc)
            return
        self.view.remove_turn(completion_id)
        self.turns = [t for t in self.turns if t.completion_id != completion_id]
        self.update_welcome()
        self.notify("Turn deleted.")

    def action_copy_answer(self) -> None:
        turn = self._target_turn()
        if turn is None or not turn.answer:
            self.notify("This turn has no answer to copy yet.")
            return
        cast(CopiesText, self.app).copy_text(turn.answer, "Answer")

    def action_copy_code(self) -> None:
        turn = self._target_turn()
        blocks = self.view.code_blocks(turn.key) if turn is not None else []
        if turn is None or not blocks:
            self.notify("This answer has no code block.")
            return
        last_key, last_index = self._code_cursor
        index = (last_index + 1) % len(blocks) if last_key == turn.key else 0
        self._code_cursor = (turn.key, index)
        cast(CopiesText, self.app).copy_text(
            blocks[index], f"Code block {index + 1} of {len(blocks)}"
        )
