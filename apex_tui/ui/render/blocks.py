"""Split Markdown into top-level blocks, once for a whole answer or incrementally while it streams.

Rendering a growing answer block by block is what keeps streaming cost per chunk flat: every block
before the last one is finished (CommonMark never reopens a block once a later one has started), so
it is rendered once and cached; only the last, still-growing block is parsed and rendered again.
The parser is configured exactly as Rich's `Markdown` configures its own, so the tokens we hand to
the renderer are the tokens Rich would have produced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@cache
def _parser() -> MarkdownIt:
    """Built on first use: markdown-it costs ~45 ms to import, and the app's first frame (an
    empty conversation) needs no Markdown."""
    from markdown_it import MarkdownIt

    return MarkdownIt().enable("strikethrough").enable("table")


@dataclass(frozen=True, eq=False)
class MarkdownBlock:
    """One top-level Markdown block: its exact source lines and its parsed tokens."""

    source: str
    tokens: list[Token] = field(repr=False)

    @property
    def kind(self) -> str:
        """The opening token's type, e.g. `paragraph_open`, `fence`, `hr`."""
        return self.tokens[0].type if self.tokens else ""


def _line_starts(text: str) -> list[int]:
    """Character offset at which each line of `text` starts (plus one past the end)."""
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    if starts[-1] != len(text):
        starts.append(len(text))
    return starts


def _offset(starts: list[int], line: int) -> int:
    return starts[line] if line < len(starts) else starts[-1]


def split_with_offsets(text: str) -> list[tuple[int, MarkdownBlock]]:
    """Parse `text` and return `(start offset, block)` for each top-level block, in order."""
    tokens = _parser().parse(text)
    starts = _line_starts(text)
    result: list[tuple[int, MarkdownBlock]] = []
    begin: int | None = None
    for index, token in enumerate(tokens):
        if token.level != 0:
            continue
        if begin is None and token.nesting >= 0:
            begin = index
        if begin is not None and token.nesting <= 0:
            first = tokens[begin]
            line_map = first.map or [0, 0]
            start, end = _offset(starts, line_map[0]), _offset(starts, line_map[1])
            source = text[start:end]
            result.append((start, MarkdownBlock(source, tokens[begin : index + 1])))
            begin = None
    return result


def split_blocks(text: str) -> list[MarkdownBlock]:
    """The top-level blocks of a complete Markdown text."""
    return [block for _, block in split_with_offsets(text)]


def code_blocks(text: str) -> list[str]:
    """Contents of every fenced or indented code block in `text`, nested ones included, in order."""
    return [
        token.content for token in _parser().parse(text) if token.type in ("fence", "code_block")
    ]


class BlockStream:
    """Incremental split of a growing text into finished blocks and one live tail block.

    `update(text)` takes the whole text so far (which only ever grows) and parses only the part
    after the last finished block, so its cost depends on the tail, not on the answer's length.
    """

    def __init__(self) -> None:
        self.stable: list[MarkdownBlock] = []
        self.tail: MarkdownBlock | None = None
        self._stable_end = 0

    def update(self, text: str) -> list[MarkdownBlock]:
        """Advance to `text`; return the blocks that became finished in this step."""
        tail_text = text[self._stable_end :]
        blocks = split_with_offsets(tail_text)
        newly_stable = [block for _, block in blocks[:-1]]
        if len(blocks) > 1:
            self._stable_end += blocks[-1][0]
            self.stable.extend(newly_stable)
        self.tail = blocks[-1][1] if blocks else None
        return newly_stable

    def blocks(self) -> list[MarkdownBlock]:
        """All blocks so far: the finished ones and then the tail."""
        return [*self.stable, self.tail] if self.tail is not None else list(self.stable)
