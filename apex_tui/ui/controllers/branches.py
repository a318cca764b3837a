"""The branches of the open chat: switching between them (``<`` / ``>``, Alt+←/→, or a click on
the "‹ ›" of a turn's header) and deleting a turn with what follows from it.

The view below the fork follows the chosen branch at once; the choice is then stored (the
chosen turn's ``branchRank``, ``services.branches``) so it survives a restart and other clients
see it. A switch that could not be stored stays on screen and says so.

Deleting a turn (``d``) deletes the turns after it too, in every branch below it: they follow
from it (their history includes it), so none is left hanging; the confirmation says how many.
The view then shows the fork's next chosen branch, if there is one.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from apex_tui.api.errors import ApexError
from apex_tui.services.chat_sync import ChatSync, Turn
from apex_tui.ui.controllers.open_chat import OpenChat
from apex_tui.ui.controllers.turn_view import branch_views
from apex_tui.ui.screens.confirm import ConfirmDeleteScreen
from apex_tui.ui.toasts import report
from apex_tui.ui.welcome import update_welcome
from apex_tui.ui.widgets.conversation import ConversationView, TurnView
from apex_tui.ui.workers import start_worker

BRANCH_ACTIONS = ("previous_branch", "next_branch")
"""The screen's actions whose availability :meth:`BranchSwitcher.allows` decides."""


class BranchSwitcher:
    """Moves the open chat to a sibling branch and stores the choice."""

    def __init__(
        self,
        screen: Screen[None],
        sync: ChatSync,
        chat: OpenChat,
        *,
        refuse_while_streaming: Callable[[str], bool],
        cancel_edit: Callable[[], None],
    ) -> None:
        self.screen = screen
        self.sync = sync
        self.chat = chat
        self._refuse_while_streaming = refuse_while_streaming
        self._cancel_edit = cancel_edit

    @property
    def view(self) -> ConversationView:
        return self.screen.query_one(ConversationView)

    def allows(self) -> bool:
        """The keys show (and work) in the conversation of a chat that has branches."""
        return isinstance(self.screen.focused, ConversationView) and self.chat.tree.has_branches

    def _fork_for_keys(self) -> str | None:
        """The fork the keys act on: the turn under the cursor (or the last one) if it has
        siblings, else the nearest turn above it that has."""
        path = [t.completion_id for t in self.chat.turns]
        cursor = self.view.selected_key
        upto = path[: path.index(cursor) + 1] if cursor in path else path
        return self.chat.tree.fork_at(upto)

    def switch(self, step: int, key: str | None = None) -> None:
        """Show the sibling ``step`` (-1, 1) away from turn ``key`` (None: see the keys)."""
        if self._refuse_while_streaming("switch branches"):
            return
        tree = self.chat.tree
        key = key if key is not None else self._fork_for_keys()
        if key is None or key not in tree:
            self.screen.notify(
                "No other branch here: edit a prompt (e) or regenerate (Ctrl+R) to make one."
            )
            return
        siblings = tree.siblings(key)
        at = [t.completion_id for t in siblings].index(key)
        if not 0 <= at + step < len(siblings):
            where = "first" if step < 0 else "last"
            self.screen.notify(f"This is the {where} branch here ({at + 1}/{len(siblings)}).")
            return
        path = [t.completion_id for t in self.chat.turns]
        depth = path.index(key) if key in path else len(tree.path_to(key)) - 1
        chosen = tree.choose(siblings[at + step].completion_id)
        self._cancel_edit()
        shown = branch_views(tree, self.chat.turns[depth:])
        self.view.replace_from(key, shown, select=chosen.completion_id)
        start_worker(self.screen, self._store_choice, chosen, group="branch-choice")

    async def _store_choice(self, turn: Turn) -> None:
        try:
            await self.sync.choose_branch(turn)
        except ApexError as exc:
            report(self.screen, "This branch is shown but was not stored as the chosen one", exc)

    # --- delete a turn and what follows from it ----------------------------------------------

    def ask_delete(self, turn: TurnView | None) -> None:
        """Delete ``turn`` (the one under the cursor, else the last) and the turns after it,
        in all its branches, once the user confirms."""
        if turn is None or self._refuse_while_streaming("delete a turn"):
            return
        doomed = [t.completion_id for t in self.chat.tree.subtree(turn.key)] or [turn.key]
        after = len(doomed) - 1
        note = (
            f"This turn and the {after} turn{'s' if after != 1 else ''} after it in its "
            "branches (they follow from it)."
            if after
            else ""
        )
        key = turn.key

        def confirmed(yes: bool | None) -> None:
            if yes:
                start_worker(self.screen, self.delete_turns, key, doomed, group="delete-turn")

        screen = ConfirmDeleteScreen([turn.prompt], noun="turn", note=note, count=len(doomed))
        self.screen.app.push_screen(screen, confirmed)

    async def delete_turns(self, key: str, completion_ids: list[str]) -> None:
        try:
            await self.sync.delete_turns(completion_ids)
        except ApexError as exc:
            report(self.screen, "Could not delete the turn", exc)
            return
        shown = [t.key for t in self.view.turns]
        self.chat.tree.remove(completion_ids)
        if key in shown:
            depth = shown.index(key)
            self.view.replace_from(key, branch_views(self.chat.tree, self.chat.turns[depth:]))
        update_welcome(self.screen)
        count = len(completion_ids)
        self.screen.notify("Turn deleted." if count == 1 else f"{count} turns deleted.")
