"""The tree of a chat's branches, read from completion metadata (``services.branches``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from apex_tui.services.branches import PARENT_KEY, RANK_KEY, BranchTree


@dataclass
class Stored:
    completion_id: str
    metadata: dict[str, Any] = field(default_factory=dict)


def child(key: str, parent: str, rank: int | None = None) -> Stored:
    data: dict[str, Any] = {PARENT_KEY: parent}
    if rank is not None:
        data[RANK_KEY] = rank
    return Stored(key, data)


def ids(turns: list[Stored]) -> list[str]:
    return [t.completion_id for t in turns]


def test_turns_without_branch_metadata_are_one_chain_in_creation_order() -> None:
    tree = BranchTree([Stored("a"), Stored("b"), Stored("c")])
    assert ids(tree.path()) == ["a", "b", "c"]
    assert not tree.has_branches
    assert tree.parent_of("a") is None and tree.parent_of("c") == "b"
    assert tree.position("b") == (1, 1)


def test_siblings_share_a_parent_and_the_highest_rank_is_chosen() -> None:
    tree = BranchTree(
        [Stored("a"), Stored("b"), child("c", "b"), child("b2", "a", 1), child("d", "b2")]
    )
    assert ids(tree.siblings("b")) == ["b", "b2"]
    assert tree.position("b2") == (2, 2)
    assert ids(tree.path()) == ["a", "b2", "d"]
    assert ids(tree.path_to("c")) == ["a", "b", "c"]
    assert tree.has_branches


def test_ties_go_to_the_newest_and_choosing_is_one_rank_above_the_rest() -> None:
    tree = BranchTree([child("a", ""), child("a2", ""), child("a3", "")])
    assert ids(tree.path()) == ["a3"]
    chosen = tree.choose("a")
    assert chosen.metadata[RANK_KEY] == 1 and ids(tree.path()) == ["a"]
    tree.choose("a2")
    assert tree.get("a2").metadata[RANK_KEY] == 2  # type: ignore[union-attr]
    assert ids(tree.path()) == ["a2"]
    rank = tree.get("a2").metadata[RANK_KEY]  # type: ignore[union-attr]
    tree.choose("a2")  # already chosen: no new rank, nothing to fight over
    assert tree.get("a2").metadata[RANK_KEY] == rank  # type: ignore[union-attr]


def test_a_new_turn_is_placed_and_chosen() -> None:
    tree = BranchTree([Stored("a"), Stored("b")])
    place = tree.place_after("b")
    assert (place.parent_id, place.rank, place.record_now) == ("b", None, False)
    fork = tree.place_after("a")  # beside "b": it forks, and does not follow the newest turn
    assert (fork.parent_id, fork.rank, fork.record_now) == ("a", 1, True)
    assert tree.place_after(None) == tree.place_after(None)
    new = Stored("b2", fork.metadata())
    tree.add(new, "a")
    assert ids(tree.path()) == ["a", "b2"] and tree.position("b2") == (2, 2)
    assert new.metadata == {PARENT_KEY: "a", RANK_KEY: 1}
    first = BranchTree[Stored]().place_after(None)
    assert (first.parent_id, first.rank, first.record_now) == ("", None, False)


def test_an_added_turn_without_a_rank_still_wins_its_fork() -> None:
    tree = BranchTree([child("a", ""), child("b", "", 5)])
    tree.add(Stored("c"), None)  # e.g. an interrupted turn kept locally
    assert ids(tree.path()) == ["c"] and tree.get("c").metadata[RANK_KEY] == 6  # type: ignore[union-attr]


def test_subtree_and_remove_read_the_rest_as_a_reload_would() -> None:
    tree = BranchTree(
        [Stored("a"), Stored("b"), child("c", "b"), child("b2", "a", 1), child("d", "b2")]
    )
    assert ids(tree.subtree("b")) == ["b", "c"]
    assert ids(tree.subtree("a")) == ["a", "b", "c", "b2", "d"]
    tree.remove(ids(tree.subtree("b2")))
    assert ids(tree.path()) == ["a", "b", "c"] and not tree.has_branches
    assert ids(BranchTree(tree.turns).path()) == ids(tree.path())


def test_unknown_or_later_parents_fall_back_to_creation_order_without_cycles() -> None:
    tree = BranchTree(
        [child("a", "z"), child("b", "c"), child("c", "b"), Stored("d", {PARENT_KEY: 7})]
    )
    assert ids(tree.path()) == ["a", "b", "c", "d"]
    assert tree.parent_of("a") is None


def test_ranks_of_any_json_number_and_garbage_are_read_safely() -> None:
    tree = BranchTree(
        [
            child("a", ""),
            Stored("b", {PARENT_KEY: "", RANK_KEY: 2.0}),  # through protobuf Struct: a double
            Stored("c", {PARENT_KEY: "", RANK_KEY: "9"}),
            Stored("d", {PARENT_KEY: "", RANK_KEY: True}),
        ]
    )
    assert ids(tree.path()) == ["b"]


def test_the_fork_the_keys_act_on_is_the_nearest_one_above() -> None:
    tree = BranchTree([Stored("a"), Stored("b"), child("b2", "a"), child("c", "b2")])
    path = ids(tree.path())
    assert path == ["a", "b2", "c"]
    assert tree.fork_at(path) == "b2"
    assert tree.fork_at(path[:1]) is None
