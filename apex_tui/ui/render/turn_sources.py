"""Which source text each rendered line of a turn came from: for copying a selection as Markdown.

A turn's lines are its header, the prompt, the reasoning block, the answer's Markdown blocks
(with the blank lines Rich puts between them) and the footer (`turn.TurnLines`). Copying "as
Markdown" wants the source of every block a selection touches, so this maps line ranges back
to sources. It is worked out only when asked (a copy, a triple click), from the same renderer
and width, mostly from its block cache; the hot paths that draw and stream never build it.
When the ranges do not add up to the lines shown (an answer still catching up while it
streams), the turn is one section of shown text, so a copy is never wrong, only plainer.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.strip import Strip

from apex_tui.ui.render.blocks import split_blocks
from apex_tui.ui.render.markdown_lines import BlockRenderer, separator
from apex_tui.ui.render.turn import TurnLines, TurnView
from apex_tui.ui.safe_text import make_inert

__all__ = ["Section", "turn_sections"]


@dataclass(frozen=True)
class Section:
    """Lines ``start:end`` of a turn and what they show.

    ``kind``: header, prompt, reasoning, answer (one Markdown block), footer, or gap (a blank
    line between parts). ``source``: the Markdown to copy for them ("" for header and gap;
    for footer and for a turn that could not be mapped, the shown text)."""

    start: int
    end: int
    kind: str
    source: str


def _shown(lines: list[Strip]) -> str:
    return "\n".join(line.text.rstrip() for line in lines).strip("\n")


def turn_sections(
    renderer: BlockRenderer, width: int, turn: TurnView, shown: list[Strip]
) -> list[Section]:
    """The sections of ``turn`` as rendered at ``width`` into ``shown`` (its current lines)."""
    sections: list[Section] = []
    at = 0

    def add(count: int, kind: str, source: str) -> None:
        nonlocal at
        if count > 0:
            sections.append(Section(at, at + count, kind, source))
            at += count

    parts = TurnLines(renderer, width)
    head = parts.head(turn)
    add(1, "header", "")
    add(len(head) - 2, "prompt", make_inert(turn.prompt))
    add(1, "gap", "")
    reasoning = parts.reasoning(turn)
    if reasoning:
        add(1, "header", "")
        add(len(reasoning) - 2, "reasoning", make_inert(turn.reasoning.strip()))
        add(1, "gap", "")
    previous = None
    for block in split_blocks(make_inert(turn.answer)):
        add(len(separator(previous, block, width)), "gap", "")
        add(len(renderer.render_block(block, width)), "answer", block.source.strip("\n"))
        previous = block
    footer = parts.footer(turn)
    add(len(footer), "footer", _shown(footer))
    if at != len(shown):
        return [Section(0, len(shown), "footer", _shown(shown))]
    return sections
