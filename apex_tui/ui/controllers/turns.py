"""The turns of the open chat: send and stream, stop, regenerate, edit and resend, copy an
answer or a code block (deleting a turn and switching branches: ``controllers.branches``).

Streaming runs in one exclusive worker (group ``stream``, on the screen); the stop key cancels
it, and ``ChatSync.send`` stores the partial answer marked interrupted before the cancellation
ends the worker. An edited prompt resent, or a regenerated answer, is a new branch beside the
turn it replaces on screen (``services.branches``): the old turns stay stored, one key away.
Just over 400 lines: the stream's loop and each way it can end (stored, interrupted, refused)
read best in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import aclosing
from dataclasses import replace
from time import monotonic
from typing import cast

from textual.css.query import NoMatches
from textual.screen import Screen
from textual.worker import Worker

from apex_tui.api.errors import ApexError
from apex_tui.api.models import WebSearchResult
from apex_tui.services.chat_sync import (
    AnswerDelta,
    AnswerEnded,
    ChatSettings,
    ChatSync,
    ReasoningDelta,
    Turn,
    TurnFinished,
    TurnStarted,
)
from apex_tui.services.completion_types import plan_for
from apex_tui.ui import key_pressure
from apex_tui.ui.controllers.chat_list import ChatListController
from apex_tui.ui.controllers.open_chat import OpenChat
from apex_tui.ui.controllers.prompt_drafts import DraftKeeper
from apex_tui.ui.controllers.search_research import SearchResearchController
from apex_tui.ui.controllers.selection import CopiesText
from apex_tui.ui.controllers.turn_view import branch_of, branch_views, finished_changes, turn_status
from apex_tui.ui.controllers.unsaved import UnsavedAnswers
from apex_tui.ui.gc_policy import collect_and_freeze, young_collections_only
from apex_tui.ui.toasts import report
from apex_tui.ui.welcome import update_welcome
from apex_tui.ui.widgets.conversation import ConversationView, TurnView
from apex_tui.ui.widgets.prompt_bar import PromptBar
from apex_tui.ui.widgets.status_line import StatusLine
from apex_tui.ui.workers import start_worker

STATUS_INTERVAL = 0.25
"""Seconds between updates of the status line's streaming speed."""
YIELD_INTERVAL = 0.003
"""Longest stretch (seconds) the stream loop works before letting the event loop run (a
key crosses three queues, each waiting behind what runs before it: 3 ms slices cut the keys' p95
by ~5-20 ms against 6 ms, bench/keys.py, for ~20% fewer chars/s at the fastest server). A
stretch starts when a piece arrives after a wait for the network (others ran meanwhile): pieces
that come one a read, as they mostly do, never step aside for nothing."""
YIELD_PAUSE = 0.002
"""How long it then steps aside: long enough for a key or a frame to pass every queue."""
FREEZE_DELAY = 0.5
"""Seconds after an answer ends before the one full GC pass (after its last frame)."""
TURN_ACTIONS = (
    "stop",
    "cancel_edit",
    "regenerate",
    "copy_answer",
    "copy_code",
    "edit_turn",
    "delete_turn",
)
"""The screen's actions whose availability :meth:`TurnController.allows` decides."""


class TurnController:
    """What happens to the open chat's turns; holds the streaming and editing state."""

    def __init__(
        self,
        screen: Screen[None],
        sync: ChatSync,
        chat: OpenChat,
        drafts: DraftKeeper,
        sources: SearchResearchController,
        chat_list: ChatListController,
        unsaved: UnsavedAnswers,
    ) -> None:
        self.screen = screen
        self.unsaved = unsaved
        self.sync = sync
        self.chat = chat
        self.drafts = drafts
        self.sources = sources
        self.chat_list = chat_list
        self.streaming = False
        self.editing: str | None = None
        """The completion id whose prompt is being edited for a resend."""
        self._mode_before_edit = "basic"
        """The prompt's mode when an edit began: Esc gives it back."""
        self._stream_worker: Worker[None] | None = None
        self._pending = 0
        self._code_cursor: tuple[str, int] = ("", -1)

    @property
    def view(self) -> ConversationView:
        return self.screen.query_one(ConversationView)

    @property
    def prompt_bar(self) -> PromptBar:
        return self.screen.query_one(PromptBar)

    @property
    def status(self) -> StatusLine:
        return self.screen.query_one(StatusLine)

    # --- which keys apply now ----------------------------------------------------------------

    def allows(self, action: str) -> bool:
        """Whether one of ``TURN_ACTIONS`` applies now (its key shows in the footer)."""
        if action == "stop":
            return self.streaming
        if action == "cancel_edit":  # Esc too: the footer says which it does now
            return not self.streaming and self.editing is not None
        if action == "regenerate":
            return bool(self.chat.turns)
        return isinstance(self.screen.focused, ConversationView) and bool(self.view.turns)

    def refuse_while_streaming(self, what: str) -> bool:
        if self.streaming:
            self.screen.notify(
                f"An answer is still streaming; stop it with Esc before you {what}.",
                severity="warning",
            )
        return self.streaming

    def target_turn(self) -> TurnView | None:
        """The turn the keys act on: the one under the cursor, else the last."""
        return self.view.selected_turn() or (self.view.turns[-1] if self.view.turns else None)

    # --- send --------------------------------------------------------------------------------

    def submit(self, text: str, completion_type: str) -> None:
        """Send the prompt bar's text (an edited prompt goes beside its turn, a new branch)."""
        if self.refuse_while_streaming("send another prompt"):
            return
        chat = self.chat
        settings = replace(chat.settings, completion_type=completion_type)
        chat.settings = settings
        path = chat.turns
        parent, fork = (path[-1].completion_id if path else None), None
        if self.editing is not None:
            if self.editing in chat.tree:
                fork, parent = self.editing, chat.tree.parent_of(self.editing)
            self.editing = None
            self.prompt_bar.show_editing("")
        self.drafts.clear_prompt()
        self.start_stream(
            text,
            chat.tree.path_to(parent),
            settings,
            parent=parent,
            fork=fork,
            context=self.sources.take_attached(),
        )

    def start_stream(
        self,
        prompt: str,
        history: list[Turn],
        settings: ChatSettings,
        *,
        parent: str | None,
        fork: str | None = None,
        regenerate_of: Turn | None = None,
        context: list[WebSearchResult] | None = None,
    ) -> None:
        """Show the prompt at once and stream its answer in a worker.

        ``parent``: the turn it follows (``history`` is the branch up to it); ``fork``: the
        turn it goes beside, taken off the screen with the turns after it (they stay stored).
        ``context``: search results attached by the user, sent with the prompt (and then
        dropped from the prompt bar once the turn has started)."""
        if fork is not None:
            self._leave_branch(fork)
        self.streaming = True
        self.screen.refresh_bindings()
        self._pending += 1
        key = f"pending-{self._pending}"
        self.view.add_turn(
            TurnView(
                key=key, prompt=prompt, completion_type=settings.completion_type, status="streaming"
            )
        )
        update_welcome(self.screen)
        args = (key, prompt, history, settings, parent, fork, regenerate_of, context)
        self._stream_worker = start_worker(
            self.screen, self.run_stream, *args, group="stream", exclusive=True
        )

    async def run_stream(
        self,
        key: str,
        prompt: str,
        history: list[Turn],
        settings: ChatSettings,
        parent: str | None,
        fork: str | None,
        regenerate_of: Turn | None,
        context: list[WebSearchResult] | None,
    ) -> None:
        chat = self.chat
        received: list[str] = []
        attached = context is not None
        started = finished = False
        began = monotonic()
        chars, shown_at, yielded_at = 0, 0.0, monotonic()
        handled_at = yielded_at
        model = settings.model or "default model"
        place = chat.tree.place_after(parent)
        try:
            if regenerate_of is not None and chat.chat_id is not None:
                events = self.sync.regenerate(chat.chat_id, regenerate_of, history, settings, place)
            else:
                if context is None and plan_for(settings.completion_type).needs_web_search:
                    self.status.activity = "searching the web…"
                    context = await self.sources.fetch_sources(prompt, settings)
                events = self.sync.send(
                    chat.chat_id, prompt, history, settings, context=context, place=place
                )
            self.status.activity = f"waiting for {model}…"
            # no 45-120 ms full GC pass in the middle of an answer (see gc_policy)
            with young_collections_only():
                async with aclosing(events):
                    async for event in events:
                        if isinstance(event, TurnStarted):
                            started = True
                            if attached:
                                self.sources.clear_attached()
                            self._turn_started(event, key, settings)
                            key = event.completion_id
                        elif isinstance(event, AnswerDelta | ReasoningDelta):
                            arrived = monotonic()
                            if arrived - handled_at > YIELD_PAUSE:
                                yielded_at = arrived  # it waited for the network: others ran
                            if isinstance(event, AnswerDelta):
                                received.append(event.text)
                                self.view.append_answer(key, event.text)
                            else:
                                self.view.append_reasoning(key, event.text)
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
                            handled_at = monotonic()
                        elif isinstance(event, AnswerEnded):
                            self.view.draw_now()  # not after the store's round trip
                        elif isinstance(event, TurnFinished):
                            finished = True
                            self._turn_finished(event.turn, key, parent)
                            if event.turn.saved and chat.chat_id is not None:
                                chat.answered(chat.chat_id, settings)
        except ApexError as exc:
            if not started:
                self._not_started(key, prompt, fork)
                report(self.screen, "Not sent — your prompt is back in the box", exc)
            else:
                if not finished:
                    self.view.finish_answer(
                        key, final_text="".join(received), status="error", error=str(exc)
                    )
                what = "The answer broke off; what arrived is kept (Ctrl+R retries)"
                report(self.screen, what, exc)
        except asyncio.CancelledError:
            # Stopped by the user, or the app is quitting (then the widgets may be gone already;
            # ChatSync has stored the partial answer either way).
            with contextlib.suppress(NoMatches):
                if not started:
                    self._not_started(key, prompt, fork)
                elif not finished:
                    self._kept_interrupted(key, prompt, settings, "".join(received), parent)
                self.unsaved.after_stop(mid_answer=started and not finished)
            raise
        finally:
            self.streaming = False
            self._stream_worker = None
            if self.screen.is_attached:  # once the answer is drawn: one full GC pass, then freeze
                self.screen.set_timer(FREEZE_DELAY, collect_and_freeze)
            with contextlib.suppress(NoMatches):
                self.status.activity = ""
                self.screen.refresh_bindings()
                update_welcome(self.screen)
                if chat.chat_id is not None and started:
                    self.chat_list.touched(chat.chat_id)

    def _not_started(self, key: str, prompt: str, fork: str | None) -> None:
        """Nothing was stored: the pending turn goes, the branch it left comes back."""
        self.view.remove_turn(key)
        if fork is not None:
            self.show_chosen_branch()
        self.drafts.give_back(prompt)

    def _kept_interrupted(
        self, key: str, prompt: str, settings: ChatSettings, partial: str, parent: str | None
    ) -> None:
        kept = Turn(key, prompt, partial, settings.completion_type, interrupted=True)
        kept.error = "interrupted"
        self.chat.tree.add(kept, parent)
        self.view.update_turn(key, branch=branch_of(self.chat.tree, key))
        self.view.finish_answer(key, final_text=partial, status="interrupted")

    def _leave_branch(self, fork: str) -> None:
        """Take turn ``fork`` and those after it off the screen (a new branch goes there)."""
        keys = [t.key for t in self.view.turns]
        for key in keys[keys.index(fork) :] if fork in keys else []:
            self.view.remove_turn(key)

    def show_chosen_branch(self) -> None:
        """Show the open chat's chosen branch, whole."""
        self.view.set_turns(branch_views(self.chat.tree, self.chat.turns))

    def _turn_started(self, event: TurnStarted, key: str, settings: ChatSettings) -> None:
        if event.chat.is_new:
            self.drafts.move_new_chat_draft(event.chat.id)
            self.chat.created(event.chat.id, settings)
            self.chat_list.touched(event.chat.id, event.chat.title)
            self.chat_list.highlight(event.chat.id)
        self.view.update_turn(key, key=event.completion_id)

    def _turn_finished(self, turn: Turn, key: str, parent: str | None) -> None:
        self.chat.tree.add(turn, parent)
        status = turn_status(turn)
        error = turn.error if status == "error" else ""
        shown = next((t for t in self.view.turns if t.key == key), None)
        changes = finished_changes(turn, shown)
        branch = branch_of(self.chat.tree, turn.completion_id)
        if shown is None or shown.branch != branch:
            changes["branch"] = branch
        if changes:
            self.view.update_turn(key, **changes)
        self.view.finish_answer(key, final_text=turn.answer, status=status, error=error)
        if not turn.saved:
            self.unsaved.turn_not_saved(turn)

    # --- stop, regenerate, edit --------------------------------------------------------------

    def stop(self) -> None:
        """Esc while streaming: cancel the stream (its partial answer is kept); else leave an
        edit (Esc's other binding, "Cancel edit", is the one the footer shows then)."""
        if self.streaming and self._stream_worker is not None:
            self._stream_worker.cancel()
            self.screen.notify(
                "Stopped; the partial answer is kept (saving it, marked interrupted)."
            )
        elif self.editing is not None:
            self.cancel_edit()

    def regenerate(self) -> None:
        """Ask the last prompt again: a new branch beside the last turn, which stays stored."""
        if self.refuse_while_streaming("regenerate"):
            return
        turns = self.chat.turns
        if not turns or self.chat.chat_id is None:
            self.screen.notify("Nothing to regenerate yet: send a prompt first.")
            return
        last = turns[-1]
        settings = replace(self.chat.settings, completion_type=last.completion_type)
        parent = self.chat.tree.parent_of(last.completion_id)
        self.start_stream(
            last.prompt,
            turns[:-1],
            settings,
            parent=parent,
            fork=last.completion_id,
            regenerate_of=last,
        )

    def edit(self) -> None:
        """Load the selected (or last) prompt into the box; Enter resends it."""
        turn = self.target_turn()
        if turn is None or self.refuse_while_streaming("edit"):
            return
        self.editing = turn.key
        self._mode_before_edit = self.prompt_bar.completion_type
        self.prompt_bar.load_draft(turn.prompt)
        self.prompt_bar.completion_type = turn.completion_type
        self.prompt_bar.input.focus()
        self.prompt_bar.show_editing(
            "Editing — Esc cancels, Enter sends it as a new branch (this one is kept: < > switch)",
            "Editing — Esc cancels, Enter sends a new branch",
            "Editing — Esc cancels",
        )
        self.screen.refresh_bindings()

    def cancel_edit(self) -> None:
        if self.editing is None:
            return
        self.editing = None
        self.prompt_bar.show_editing("")
        self.prompt_bar.completion_type = self._mode_before_edit  # the edited turn's mode goes
        self.drafts.show()
        self.screen.refresh_bindings()

    # --- copy -----------------------------------------------------------------

    def copy_answer(self) -> None:
        turn = self.target_turn()
        if turn is None or not turn.answer:
            self.screen.notify("This turn has no answer to copy yet.")
            return
        cast(CopiesText, self.screen.app).copy_text(turn.answer, "Answer")

    def copy_code(self) -> None:
        """Copy the next code block of the selected (or last) answer (each press: the next)."""
        turn = self.target_turn()
        blocks = self.view.code_blocks(turn.key) if turn is not None else []
        if turn is None or not blocks:
            self.screen.notify("This answer has no code block.")
            return
        last_key, last_index = self._code_cursor
        index = (last_index + 1) % len(blocks) if last_key == turn.key else 0
        self._code_cursor = (turn.key, index)
        cast(CopiesText, self.screen.app).copy_text(
            blocks[index], f"Code block {index + 1} of {len(blocks)}"
        )
