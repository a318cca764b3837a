"""Answers the server did not save: say so when it happens, write them back when the app
starts (``services.recovery``), and say what is still kept.

The main screen owns one; ``TurnController`` asks it for the toast of a turn whose final
write failed, so the app never shows an answer as stored when the server did not take it.
"""

from __future__ import annotations

import asyncio

from textual.screen import Screen

from apex_tui.services.chat_sync import ChatSync, Turn
from apex_tui.services.recovery import restore_unsaved
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.workers import start_worker

__all__ = ["UnsavedAnswers"]

RECOVER = "written back when apex-tui next starts, or with `apex-tui chats recover`"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class UnsavedAnswers:
    """Reports unsaved answers and restores kept ones."""

    def __init__(self, screen: Screen[None], sync: ChatSync) -> None:
        self.screen = screen
        self.sync = sync

    def turn_not_saved(self, turn: Turn, what: str = "The answer") -> None:
        """The toast for a turn whose final write failed (after its retries)."""
        reason = make_inert(turn.error.rpartition("not saved: ")[2]) or "no reply"
        kept = (
            f"It is kept in {turn.recovery_file} and {RECOVER}."
            if turn.recovery_file
            else "It could not be kept on this machine either: copy it now (c)."
        )
        self.screen.notify(
            f"{reason}\n{kept}", title=f"{what} was not saved", severity="error", timeout=20
        )

    def after_stop(self, *, mid_answer: bool) -> None:
        """After a stopped stream: the toast, if its partial answer was not saved."""
        last = self.sync.last_turn
        if mid_answer and last is not None and not last.saved:
            self.turn_not_saved(last, "The partial answer")

    def start(self) -> None:
        """Write kept answers back in the background (nothing to do: nothing shown)."""
        start_worker(self.screen, self.restore, group="unsaved-answers")

    async def restore(self) -> None:
        store = self.sync.recovery
        pending = await asyncio.to_thread(store.pending)
        if not pending:
            return
        report = await restore_unsaved(self.sync.client, store, pending)
        if report.restored:
            self.screen.notify(
                f"{_plural(len(report.restored), 'answer')} the server had not saved "
                "before were written back.",
                title="Unsaved answers restored",
                timeout=10,
            )
        if report.kept:
            reason = make_inert(report.kept[0][1])
            self.screen.notify(
                f"{_plural(len(report.kept), 'answer')} still kept in {store.root} ({reason}); "
                "apex-tui tries again at its next start, or run `apex-tui chats recover`.",
                title="Unsaved answers kept",
                severity="warning",
                timeout=15,
            )
