"""Branches of a chat: which turn follows which, and which branch is the one shown.

Editing a prompt and resending it, or regenerating an answer, makes a new turn beside the old
one instead of deleting it. The tree lives in each stored completion's metadata, written through
the stored-chat endpoints only, so it survives a restart and every client reads the same tree:

- ``parentCompletionId``: the completion this turn follows (``""`` for a chat's first turn).
  Siblings are completions with the same parent.
- ``branchRank``: among siblings, the one with the highest rank is the chosen branch (ties go
  to the newest). A new branch gets one more than its siblings' highest rank, and so does a
  sibling the user switches to: one write per switch, no second write to un-choose the old
  one, and no clocks to disagree.

A completion with no ``parentCompletionId`` (stored before branches existed, or by another
client) follows the completion created just before it, so an old chat reads as the one linear
chain it was. A parent that is unknown, or not older than its child, is read the same way,
which also keeps a malformed tree free of cycles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "PARENT_KEY",
    "RANK_KEY",
    "BranchTree",
    "NewTurnPlace",
    "branch_metadata",
]

PARENT_KEY = "parentCompletionId"
RANK_KEY = "branchRank"


class Branchable(Protocol):
    """What the tree needs of a stored turn (``chat_sync.Turn`` is one)."""

    completion_id: str
    metadata: dict[str, Any]


T = TypeVar("T", bound=Branchable)


@dataclass(frozen=True)
class NewTurnPlace:
    """Where a new turn goes: after ``parent_id`` (``""``: first turn), with ``rank`` when it
    forks (``None``: an only child needs none). ``record_now``: readers would place it wrongly
    until its metadata is written (it forks, or follows a turn other than the newest), so the
    metadata is written as soon as the turn exists rather than only with its answer."""

    parent_id: str
    rank: int | None = None
    record_now: bool = False

    def metadata(self) -> dict[str, Any]:
        return branch_metadata(self.parent_id, self.rank)


def branch_metadata(parent_id: str, rank: int | None = None) -> dict[str, Any]:
    """The metadata keys that place a completion in its chat's tree."""
    data: dict[str, Any] = {PARENT_KEY: parent_id}
    if rank is not None:
        data[RANK_KEY] = rank
    return data


def _rank(metadata: dict[str, Any]) -> int:
    value = metadata.get(RANK_KEY)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    return int(value) if math.isfinite(value) else 0


class BranchTree(Generic[T]):
    """A chat's turns as a tree (built from its completions in creation order)."""

    def __init__(self, turns: Iterable[T] = ()) -> None:
        self._order: list[T] = []
        self._by_id: dict[str, T] = {}
        self._parent: dict[str, str | None] = {}
        self._children: dict[str | None, list[str]] = {None: []}
        self._read(turns)

    def _read(self, turns: Iterable[T]) -> None:
        self._order, self._by_id, self._parent = [], {}, {}
        self._children = {None: []}
        self._path: list[T] | None = None
        """The chosen branch, kept until the tree changes (the app asks for it often)."""
        for turn in turns:
            self._place(turn, self._read_parent(turn))

    # ----------------------------------------------------------------- building

    def _read_parent(self, turn: T) -> str | None:
        value = turn.metadata.get(PARENT_KEY)
        if value == "":
            return None
        if isinstance(value, str) and value in self._by_id:
            return value  # known, so older: it was placed before this one
        return self._order[-1].completion_id if self._order else None

    def _place(self, turn: T, parent_id: str | None) -> None:
        key = turn.completion_id
        if key in self._by_id:
            raise ValueError(f"completion {key!r} is in the tree already")
        self._order.append(turn)
        self._path = None
        self._by_id[key] = turn
        self._parent[key] = parent_id
        self._children.setdefault(parent_id, []).append(key)
        self._children[key] = []

    def add(self, turn: T, parent_id: str | None) -> None:
        """A new turn after ``parent_id`` (``None``: a first turn), shown as the chosen branch;
        its metadata gets the keys that place it (see :meth:`place_after`)."""
        if parent_id is not None and parent_id not in self._by_id:
            parent_id = None
        others = self._max_rank(parent_id)
        forks = bool(self._children.get(parent_id))
        self._place(turn, parent_id)
        turn.metadata[PARENT_KEY] = parent_id or ""
        if forks and _rank(turn.metadata) <= others:
            turn.metadata[RANK_KEY] = others + 1
        self._path = None

    def remove(self, ids: Iterable[str]) -> None:
        """Drop these turns. The rest is read again as a reload would read it (so a turn
        whose parent went is placed the way another client would place it)."""
        gone = set(ids)
        if gone & self._by_id.keys():
            self._read([t for t in self._order if t.completion_id not in gone])

    # ----------------------------------------------------------------- reading

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, completion_id: object) -> bool:
        return completion_id in self._by_id

    def get(self, completion_id: str) -> T | None:
        return self._by_id.get(completion_id)

    @property
    def turns(self) -> list[T]:
        """Every turn of every branch, in creation order."""
        return list(self._order)

    def parent_of(self, completion_id: str) -> str | None:
        return self._parent.get(completion_id)

    def children(self, parent_id: str | None) -> list[T]:
        """The turns that follow ``parent_id`` (``None``: the first turns), oldest first."""
        return [self._by_id[key] for key in self._children.get(parent_id, [])]

    def siblings(self, completion_id: str) -> list[T]:
        """The turn and the other branches at its place, oldest first."""
        return self.children(self._parent.get(completion_id))

    def position(self, completion_id: str) -> tuple[int, int]:
        """(1-based place among its siblings, how many there are): ``(2, 3)`` shows "2/3"."""
        keys = self._children.get(self._parent.get(completion_id), [])
        if completion_id not in keys:
            return (1, 1)
        return keys.index(completion_id) + 1, len(keys)

    @property
    def has_branches(self) -> bool:
        """Some turn has a sibling: the chosen branch is not every turn."""
        return len(self._chosen()) < len(self._order)

    def _max_rank(self, parent_id: str | None) -> int:
        keys = self._children.get(parent_id, [])
        return max((_rank(self._by_id[key].metadata) for key in keys), default=0)

    def chosen_child(self, parent_id: str | None) -> T | None:
        """The branch shown after ``parent_id``: highest rank, then newest."""
        keys = self._children.get(parent_id, [])
        if not keys:
            return None
        best = max(range(len(keys)), key=lambda i: (_rank(self._by_id[keys[i]].metadata), i))
        return self._by_id[keys[best]]

    def path(self) -> list[T]:
        """The chosen branch from the first turn to its last: what is shown and sent."""
        return list(self._chosen())

    def _chosen(self) -> list[T]:
        if self._path is None:
            turns: list[T] = []
            turn = self.chosen_child(None)
            while turn is not None:
                turns.append(turn)
                turn = self.chosen_child(turn.completion_id)
            self._path = turns
        return self._path

    def path_to(self, completion_id: str | None) -> list[T]:
        """The turns from the first one down to ``completion_id`` (inclusive): the history
        of a turn that follows it. ``None``: no turns."""
        turns: list[T] = []
        key = completion_id
        while key is not None and key in self._by_id:
            turns.append(self._by_id[key])
            key = self._parent.get(key)
        turns.reverse()
        return turns

    def subtree(self, completion_id: str) -> list[T]:
        """The turn and every turn after it, in all its branches, in creation order."""
        found: set[str] = set()
        stack = [completion_id] if completion_id in self._by_id else []
        while stack:
            key = stack.pop()
            found.add(key)
            stack.extend(self._children.get(key, []))
        return [t for t in self._order if t.completion_id in found]

    def fork_at(self, completion_ids: Sequence[str]) -> str | None:
        """The last of ``completion_ids`` (a path, top down) that has siblings: the fork a
        "switch branch" key acts on from there."""
        for key in reversed(completion_ids):
            if self.position(key)[1] > 1:
                return key
        return None

    # ----------------------------------------------------------------- changing

    def place_after(self, parent_id: str | None) -> NewTurnPlace:
        """Where a new turn after ``parent_id`` goes, and whether to record it at once."""
        siblings = self._children.get(parent_id, [])
        newest = self._order[-1].completion_id if self._order else None
        rank = self._max_rank(parent_id) + 1 if siblings else None
        return NewTurnPlace(parent_id or "", rank, record_now=bool(siblings) or parent_id != newest)

    def choose(self, completion_id: str) -> T:
        """Make this turn the chosen branch at its fork; return it (its metadata, with the new
        rank, is what to write back)."""
        turn = self._by_id[completion_id]
        parent = self._parent[completion_id]
        chosen = self.chosen_child(parent)
        if chosen is not None and chosen.completion_id != completion_id:
            turn.metadata[RANK_KEY] = self._max_rank(parent) + 1
            self._path = None
        turn.metadata[PARENT_KEY] = parent or ""
        return turn
