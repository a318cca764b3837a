"""What one prompt/answer turn looks like, as a list of `Strip`s at a given width.

A turn is a header line (who, completion type, time), the prompt, the model's reasoning as a
collapsible block (one line while collapsed), the answer as Markdown, a status line (streaming
cursor, interrupted, error, cut at the token limit) and the sources of a web-search answer.
Everything shown passes through `make_inert` first. `TurnLines` keeps a streaming answer's
finished blocks rendered, so each update re-renders only the growing tail block; the reasoning
block is rendered again only when it grows or is opened or closed.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter

from rich.text import Text
from textual.strip import Strip

from apex_tui.ui.render.blocks import BlockStream, MarkdownBlock, split_blocks
from apex_tui.ui.render.markdown_lines import BlockRenderer, separator
from apex_tui.ui.safe_text import StreamSanitizer, make_inert

STATUSES = ("streaming", "done", "interrupted", "error")


@dataclass
class TurnView:
    """What the conversation shows for one prompt/answer turn (plain data, no services import)."""

    key: str
    prompt: str
    answer: str = ""
    completion_type: str = "basic"
    created_at: datetime | None = None
    status: str = "done"
    error: str = ""
    sources: list[tuple[str, str]] = field(default_factory=list)
    reasoning: str = ""
    """The model's reasoning, shown apart above the answer (collapsed unless opened)."""
    reasoning_open: bool = False
    finish_reason: str = ""
    branch: tuple[int, int] | None = None
    """(which, of how many) when the turn has sibling branches: the header shows "‹ 2/3 ›"."""


REASONING_MARKS = ("▸ Reasoning", "▾ Reasoning")
"""How the reasoning block's first line starts (closed, open); a click on it toggles it."""
TOKEN_LIMIT = "▲ stopped at the token limit — raise max tokens in the chat settings for more"
BRANCH_ARROWS = ("‹", "›")
"""Around a turn's branch number in its header; a click on one switches to that neighbour."""


def branch_marker(branch: tuple[int, int] | None) -> str:
    """The header's "‹ 2/3 ›" (empty for a turn without sibling branches)."""
    if branch is None or branch[1] < 2:
        return ""
    return f"{BRANCH_ARROWS[0]} {branch[0]}/{branch[1]} {BRANCH_ARROWS[1]}"


def branch_arrow_at(header: str, column: int) -> int:
    """-1 or 1 when ``column`` of a header line's text is on its "‹" or "›", else 0."""
    for direction, arrow in ((-1, BRANCH_ARROWS[0]), (1, BRANCH_ARROWS[1])):
        at = header.find(arrow)
        if at >= 0 and at - 1 <= column <= at + 1:
            return direction
    return 0


def format_time(moment: datetime | None) -> str:
    """Local `YYYY-MM-DD HH:MM` for a header (aware times converted to local time)."""
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:", re.MULTILINE)


class AnswerLines:
    """A streaming answer's rendered lines: finished blocks rendered once, the tail each update."""

    def __init__(self, renderer: BlockRenderer, width: int) -> None:
        self._renderer = renderer
        self._width = width
        self._stream = BlockStream()
        self._raw = ""
        self._inert = ""
        self._sanitizer = StreamSanitizer()  # an escape split between updates is still caught
        self._stable_strips: list[Strip] = []
        self._last_stable: MarkdownBlock | None = None
        self._tail_source: str | None = None
        self._tail_strips: list[Strip] = []
        self._queue: deque[MarkdownBlock] = deque()
        self.lines: list[Strip] = []

    @property
    def behind(self) -> bool:
        """Finished blocks are still waiting to be rendered (an update ran out of time)."""
        return bool(self._queue)

    def update(self, raw_answer: str, deadline: float | None = None) -> list[Strip]:
        """Catch up with the answer so far (which only grows) and return all its lines.

        With a `deadline` (a `perf_counter()` time) finished blocks are rendered only until it
        passes; the lines then end at the last rendered block (no tail) and `behind` is true, so
        a fast stream costs one short slice a frame instead of one long stall. Without one,
        everything is rendered.
        """
        if not self.render_ahead(raw_answer, deadline):
            self.lines = self._stable_strips
            return self.lines
        tail = self._stream.tail
        if tail is None:
            self.lines = self._stable_strips
            return self.lines
        if tail.source != self._tail_source:
            self._tail_source = tail.source
            self._tail_strips = separator(self._last_stable, tail, self._width)
            self._tail_strips += self._renderer.render_block(tail, self._width, cache=False)
        self.lines = self._stable_strips + self._tail_strips
        return self.lines

    def render_ahead(self, raw_answer: str, deadline: float | None = None) -> bool:
        """Take in the answer so far and render its newly finished blocks (until `deadline`),
        without touching the lines shown; True when none is left waiting. `update` shows them."""
        if len(raw_answer) != len(self._raw) or self._stream.tail is None:  # it only grows
            self._inert += self._sanitizer.feed(raw_answer[len(self._raw) :])
            self._raw = raw_answer
            self._queue.extend(self._stream.update(self._inert))
        while self._queue:
            if deadline is not None and perf_counter() > deadline:
                return False
            block = self._queue.popleft()
            self._stable_strips.extend(separator(self._last_stable, block, self._width))
            self._stable_strips.extend(self._renderer.render_block(block, self._width))
            self._last_stable = block
        return True

    def can_finish(self, raw_answer: str) -> bool:
        """True when the incremental lines are exactly what a one-shot render would give.

        That holds unless the final text differs from what streamed, a control sequence may have
        been split between updates, or reference-style link definitions (which reach back to
        earlier blocks) are present; then the caller renders the whole answer once.
        """
        return (
            raw_answer == self._raw
            and make_inert(raw_answer) is raw_answer
            and not _REFERENCE_DEFINITION.search(raw_answer)
        )


class TurnLines:
    """Renders one turn at one width; the header and prompt are kept while the answer streams."""

    def __init__(self, renderer: BlockRenderer, width: int) -> None:
        self.renderer = renderer
        self.width = width
        self._head: list[Strip] | None = None
        self._head_source: tuple[str, str, datetime | None, str] | None = None
        self._answer: AnswerLines | None = None
        self._answer_length = 0
        self._reasoning: list[Strip] = []
        self._reasoning_source: tuple[int, bool, bool] | None = None

    def head(self, turn: TurnView) -> list[Strip]:
        """Header line, the prompt, and a blank line before the answer."""
        marker = branch_marker(turn.branch)
        source = (turn.prompt, turn.completion_type, turn.created_at, marker)
        if self._head is None or self._head_source != source:
            palette = self.renderer.palette
            meta = "  ·  ".join(
                part
                for part in (make_inert(turn.completion_type), format_time(turn.created_at))
                if part
            )
            header = Text.assemble(
                ("You", palette.header),
                (f"  {marker}" if marker else "", palette.link),
                (f"  {meta}", palette.header_meta),
            )
            header.no_wrap = True
            header.overflow = "ellipsis"
            lines = self.renderer.render(header, self.width)
            lines += self.renderer.render_text(make_inert(turn.prompt), self.width, palette.prompt)
            lines.append(Strip.blank(self.width))
            self._head, self._head_source = lines, source
        return self._head

    def reasoning(self, turn: TurnView) -> list[Strip]:
        """The reasoning block: one line while closed, the whole text when open; none when
        the model sent no reasoning."""
        if not turn.reasoning:
            return []
        thinking = turn.status == "streaming" and not turn.answer
        source = (len(turn.reasoning), turn.reasoning_open, thinking)
        if self._reasoning_source != source:
            palette = self.renderer.palette
            words = len(turn.reasoning.split())
            state = "thinking…" if thinking else f"{words} word{'s' if words != 1 else ''}"
            mark = REASONING_MARKS[1] if turn.reasoning_open else REASONING_MARKS[0]
            hint = "" if turn.reasoning_open else " · hidden"
            line = Text(f"{mark} · {state}{hint}", style=palette.muted)
            line.no_wrap, line.overflow = True, "ellipsis"
            lines = self.renderer.render(line, self.width)
            if turn.reasoning_open:
                body = make_inert(turn.reasoning.strip())
                lines += self.renderer.render_text(body, self.width, palette.muted)
            lines.append(Strip.blank(self.width))
            self._reasoning, self._reasoning_source = lines, source
        return self._reasoning

    @property
    def behind(self) -> bool:
        """A streaming answer has finished blocks not rendered yet (see `AnswerLines.update`)."""
        return self._answer is not None and self._answer.behind

    def answer(self, turn: TurnView, deadline: float | None = None) -> list[Strip]:
        """The answer's Markdown lines: incremental while streaming, one full pass otherwise."""
        if turn.status == "streaming":
            if self._answer is None or len(turn.answer) < self._answer_length:
                self._answer = AnswerLines(self.renderer, self.width)
            self._answer_length = len(turn.answer)
            return self._answer.update(turn.answer, deadline)
        answer, self._answer = self._answer, None
        if answer is not None and answer.can_finish(turn.answer):
            return answer.update(turn.answer)
        return self.renderer.render_blocks(split_blocks(make_inert(turn.answer)), self.width)

    def answer_ahead(self, turn: TurnView, deadline: float) -> bool:
        """A streaming answer's newly finished blocks rendered until `deadline`, the lines
        shown left as they are (`AnswerLines.render_ahead`); True when none is left waiting
        (or the answer has not been drawn yet: its first draw renders it)."""
        if turn.status != "streaming" or self._answer is None:
            return True
        if len(turn.answer) < self._answer_length:
            return True  # it shrank: the next draw starts it again
        return self._answer.render_ahead(turn.answer, deadline)

    def footer(self, turn: TurnView) -> list[Strip]:
        """Status line and sources, then the blank line that separates turns."""
        palette = self.renderer.palette
        parts: list[Text] = []
        if turn.status == "streaming":
            waiting = "" if turn.answer else " waiting for the answer…"
            parts.append(Text.assemble(("▍", palette.cursor), (waiting, palette.muted)))
        elif turn.status == "interrupted":
            parts.append(
                Text(
                    "■ interrupted: the answer stopped here; the text above was kept",
                    style=palette.warning,
                )
            )
        elif turn.status == "error":
            message = make_inert(turn.error) or "the answer failed"
            parts.append(Text(f"✖ error: {message}", style=palette.error))
        if turn.finish_reason == "length" and turn.status != "streaming":
            parts.append(Text(TOKEN_LIMIT, style=palette.warning))
        sources = footnote_sources(turn)
        if sources:
            parts.append(Text("Sources", style=palette.muted + palette.header))
            for number, (url, title) in sources:
                parts.append(
                    Text.assemble(
                        (f"[{number}] ", palette.muted),
                        (make_inert(title) or make_inert(url), palette.base),
                        (f" — {make_inert(url)}" if title else "", palette.link),
                    )
                )
        lines: list[Strip] = []
        if parts and turn.answer:
            lines.append(Strip.blank(self.width))
        for part in parts:
            lines += self.renderer.render(part, self.width)
        lines.append(Strip.blank(self.width))
        return lines

    def lines(self, turn: TurnView, deadline: float | None = None) -> list[Strip]:
        """Every line of the turn, top to bottom (`deadline`: see `AnswerLines.update`)."""
        return (
            self.head(turn) + self.reasoning(turn) + self.answer(turn, deadline) + self.footer(turn)
        )


def footnote_sources(turn: TurnView) -> list[tuple[int, tuple[str, str]]]:
    """Numbered sources the answer does not already list itself (by URL), so none shows twice."""
    return [
        (number, source)
        for number, source in enumerate(turn.sources, start=1)
        if not source[0] or source[0] not in turn.answer
    ]


def estimate_height(turn: TurnView, width: int) -> int:
    """A cheap guess of a turn's height before it is rendered (corrected once it is)."""
    width = max(1, width)

    def wrapped(text: str) -> int:
        return sum(1 + len(line) // width for line in text.split("\n")) if text else 0

    answer_lines = wrapped(turn.answer)
    # Rich pads code blocks and tables with blank lines the source does not have.
    answer_lines += turn.answer.count("```") // 2 * 3 + turn.answer.count("|---") * 3
    shown = len(footnote_sources(turn))
    footer = (1 if turn.status != "done" else 0) + (shown + 1 if shown else 0)
    footer += 1 if turn.finish_reason == "length" else 0
    reasoning = 0
    if turn.reasoning:
        reasoning = 2 + (wrapped(turn.reasoning) if turn.reasoning_open else 0)
    return (
        1 + wrapped(turn.prompt) + 1 + reasoning + answer_lines + (1 if footer else 0) + footer + 1
    )
