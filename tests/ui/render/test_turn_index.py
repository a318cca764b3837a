"""Unit tests of the conversation's turn index: keys, the bounded line cache, streaming turns."""

from __future__ import annotations

import pytest

from apex_tui.ui.render.markdown_lines import BlockRenderer
from apex_tui.ui.render.palette import Palette
from apex_tui.ui.render.turn import TurnView
from apex_tui.ui.render.turn_index import TurnIndex

WIDTH = 60
ANSWER = "First paragraph of the answer.\n\n- one\n- two\n\nA second paragraph that grows"


@pytest.fixture(scope="module")
def renderer() -> BlockRenderer:
    return BlockRenderer(Palette.from_variables({}, dark=True))


def make_index(renderer: BlockRenderer, count: int, **fields: str) -> TurnIndex:
    index = TurnIndex(lambda: renderer)
    index.reset([TurnView(key=f"k{i}", prompt=f"Prompt {i}", **fields) for i in range(count)], 80)
    return index


def test_line_cache_keeps_the_latest_turns_and_every_height(renderer: BlockRenderer) -> None:
    index = make_index(renderer, 6, answer="Short answer.")
    index.CACHED_TURNS = 3
    for position in range(6):
        index.render(position, WIDTH)
    assert [index.cached(f"k{i}") is not None for i in range(6)] == [False] * 3 + [True] * 3
    assert all(index.layout.exact) and index.layout.total == sum(index.layout.heights)
    lines, delta = index.lines(0, WIDTH)  # evicted: rendered again, same height as before
    assert lines and delta == 0 and index.cached("k0") is lines


def test_a_streaming_turn_re_renders_only_its_tail(renderer: BlockRenderer) -> None:
    index = make_index(renderer, 1, answer=ANSWER, status="streaming")
    index.render(0, WIDTH)
    before = index.forget_lines("k0")
    assert before is not None and index.cached("k0") is None
    index.turns[0].answer += " and grows."
    after, _ = index.lines(0, WIDTH)
    kept = [a is b for a, b in zip(before, after, strict=False)]
    assert kept[0] and not all(kept)  # the turn's head is kept, the growing end is new
    index.end_stream("k0")
    index.forget_lines("k0")
    fresh, _ = index.lines(0, WIDTH)
    assert fresh[0] is not after[0]  # no longer streaming: the turn is rendered from scratch


def test_a_streaming_turn_is_not_evicted_and_stops_eviction(renderer: BlockRenderer) -> None:
    index = make_index(renderer, 4, answer=ANSWER)
    index.turns[0].status = "streaming"
    index.CACHED_TURNS = 2
    for position in range(4):
        index.render(position, WIDTH)
    assert index.cached("k0") is not None  # the oldest, but still streaming


def test_update_renames_and_moves_what_was_rendered(renderer: BlockRenderer) -> None:
    index = make_index(renderer, 2, answer=ANSWER, status="streaming")
    index.render(0, WIDTH)
    lines = index.cached("k0")
    assert index.update("k0", {"key": "server-1"}) == "server-1"
    assert index.cached("server-1") is lines and index.cached("k0") is None
    assert index.position("server-1") == 0 and index.position("k0") is None
    with pytest.raises(ValueError, match="already shown"):
        index.update("server-1", {"key": "k1"})
    with pytest.raises(TypeError, match="no field"):
        index.update("k1", {"colour": "red"})
    with pytest.raises(KeyError, match="no turn"):
        index.turn("k0")


def test_remove_and_append_keep_positions_and_layout_in_step(renderer: BlockRenderer) -> None:
    index = make_index(renderer, 3, answer="Short answer.")
    assert index.remove("k1") and not index.remove("k1")
    assert [turn.key for turn in index.turns] == ["k0", "k2"] and index.position("k2") == 1
    assert index.append(TurnView(key="k3", prompt="More"), WIDTH) == 2
    assert len(index.layout) == 3 and index.turn("k3").prompt == "More"
    with pytest.raises(ValueError, match="already shown"):
        index.append(TurnView(key="k0", prompt="Again"), WIDTH)
    index.fill(2, -1, WIDTH, 1)  # one line to fill: only the last turn is rendered
    assert index.layout.exact == [False, False, True]
