"""``apex-tui search`` shortens a long passage at a whole word and says so with "…"."""

from __future__ import annotations

import json
from collections.abc import Callable

from apex_tui.cli_commands import PASSAGE_WIDTH
from apex_tui.shorten import cell_width

RunCli = Callable[..., tuple[int, str, str]]


def test_long_passages_end_at_a_whole_word_with_an_ellipsis(cli: RunCli) -> None:
    argv = ("search", "bittensor validators", "--miners", "5", "--results", "5")
    code, out, _ = cli(*argv)
    assert code == 0
    lines = out.splitlines()
    passages = [line.removeprefix("   ") for line in lines[1::2]]
    full = [" ".join(r["relevant"].split()) for r in json.loads(cli(*argv, "--json")[1])]
    assert len(passages) == len(full) > 0
    shortened = 0
    for shown, whole in zip(passages, full, strict=True):
        assert cell_width(shown) <= PASSAGE_WIDTH
        if cell_width(whole) <= PASSAGE_WIDTH:
            assert shown == whole
            continue
        shortened += 1
        assert shown.endswith("…"), shown
        kept = shown[:-1].split()
        words = whole.split()
        assert kept[:-1] == words[: len(kept) - 1]
        assert words[len(kept) - 1].rstrip(",.;:") == kept[-1]  # the last word is whole
    assert shortened, "no passage was long enough to test shortening"
