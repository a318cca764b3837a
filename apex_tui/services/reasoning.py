"""A model's reasoning, told apart from its answer.

The Apex wire has no reasoning field, so reasoning travels inside the streamed content as
``<think>…</think>`` (what reasoning models write themselves, and what apex-tui's server sends
for an upstream's ``reasoning_content``). :class:`ThinkSplitter` splits a stream as it arrives,
even when a tag is cut between two chunks; :func:`split_reasoning` splits a whole text,
including the form some models use that has a closing ``</think>`` but no opening tag.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CLOSE", "OPEN", "Piece", "ThinkSplitter", "split_reasoning"]

OPEN, CLOSE = "<think>", "</think>"


@dataclass(frozen=True)
class Piece:
    text: str
    reasoning: bool


def _partial_tag_at_end(text: str, tag: str) -> int:
    """Length of the longest end of ``text`` that could be the start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0


class ThinkSplitter:
    """Feed it chunks; it returns the answer and reasoning pieces they hold, in order."""

    def __init__(self) -> None:
        self.thinking = False
        self._held = ""

    def feed(self, chunk: str) -> list[Piece]:
        text = self._held + chunk
        self._held = ""
        pieces: list[Piece] = []
        while text:
            tag = CLOSE if self.thinking else OPEN
            at = text.find(tag)
            if at >= 0:
                if at:
                    pieces.append(Piece(text[:at], self.thinking))
                text = text[at + len(tag) :]
                self.thinking = not self.thinking
                continue
            keep = _partial_tag_at_end(text, tag)
            if keep:
                text, self._held = text[:-keep], text[-keep:]
            if text:
                pieces.append(Piece(text, self.thinking))
            break
        return pieces

    def finish(self) -> list[Piece]:
        """What was held back at the end (a ``<thi`` that never became a tag)."""
        held, self._held = self._held, ""
        return [Piece(held, self.thinking)] if held else []


def split_reasoning(text: str) -> tuple[str, str]:
    """(reasoning, answer) of a whole text; blocks are joined, the answer is stripped of them."""
    if OPEN not in text and CLOSE in text:  # "reasoning…</think>answer"
        head, _, tail = text.partition(CLOSE)
        reasoning, answer = split_reasoning(tail)
        return (head.strip() + ("\n\n" + reasoning if reasoning else "")).strip(), answer
    splitter = ThinkSplitter()
    pieces = splitter.feed(text) + splitter.finish()
    reasoning = "".join(p.text for p in pieces if p.reasoning)
    answer = "".join(p.text for p in pieces if not p.reasoning)
    return reasoning.strip(), answer.lstrip("\n") if reasoning else answer
