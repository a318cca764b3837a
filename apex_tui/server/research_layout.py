"""The result chunks of a model-driven research job: how each is written and read back.

The layout is the one the SN1 validator streamed (shared/apex-api.md §6), one chunk per event:

=========================  =================================================================
chunk (first line)         what it holds
=========================  =================================================================
``## Generating Research Plan``  nothing: the plan is being written
``## Research Plan``       the question and the sub-questions as a checklist (``1. ○ …``)
``## Step N: <sub>``       the sub-question step N works on
``## Executing web_search`` the search being run
``### Tool Results``       the sources found, numbered for the whole job: ``[k] [title](url)``
                           and the passage the model reads, quoted
``## Step N Summary``      the model's summary of step N, citing ``[k]``
``## Research Plan Updated`` the checklist again, ``✓`` on the finished steps
``## Generating Final Answer`` nothing: the report is being written
``# Final Answer``         the report, then ``## Sources`` mapping each ``[k]`` to its URL
=========================  =================================================================

Everything the job needs to go on is in its chunks (:func:`read_chunks`), so after a restart it
continues at the step after its last stored chunk: no step is redone, none is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from apex_tui.shorten import shorten

__all__ = [
    "EXECUTING",
    "GENERATING_FINAL",
    "GENERATING_PLAN",
    "Source",
    "State",
    "checklist",
    "executing_chunk",
    "final_chunk",
    "plan_chunk",
    "read_chunks",
    "results_chunk",
    "step_chunk",
    "summary_chunk",
    "updated_chunk",
]

GENERATING_PLAN = "## Generating Research Plan\n"
EXECUTING = "## Executing web_search"
GENERATING_FINAL = "## Generating Final Answer\n"
DONE_MARK, OPEN_MARK = "✓", "○"
PASSAGE_CHARS = 700

_STEP = re.compile(r"^## Step (\d+): ")
_SUMMARY = re.compile(r"^## Step (\d+) Summary")
_ITEM = re.compile(rf"^(\d+)\. [{DONE_MARK}{OPEN_MARK}] (.+)$")
_SOURCE = re.compile(r"^\[(\d+)\] \[(.*)\]\((\S+)\)$")


@dataclass(frozen=True)
class Source:
    """One searched page, numbered for the whole job (the ``[k]`` the texts cite)."""

    number: int
    url: str
    title: str
    passage: str


@dataclass
class State:
    """What a job's stored chunks say: the plan, the sources, the summaries, where it is."""

    plan: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    step_sources: dict[int, list[int]] = field(default_factory=dict)
    summaries: dict[int, str] = field(default_factory=dict)
    last: str = ""
    """Kind of the last chunk: "", generating-plan, plan, step, executing, results, summary,
    updated, generating-final or final."""
    step: int = 0
    """The step the last chunk belongs to (0 before the first step)."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _title(text: str) -> str:
    return shorten(text.replace("[", "(").replace("]", ")"), 160) or "untitled"


def checklist(plan: list[str], done: int) -> str:
    """The plan as a numbered checklist, ``✓`` on the first ``done`` steps."""
    return "\n".join(
        f"{i}. {DONE_MARK if i <= done else OPEN_MARK} {_one_line(q)}"
        for i, q in enumerate(plan, start=1)
    )


def plan_chunk(question: str, plan: list[str]) -> str:
    return f"## Research Plan\n\nQuestion: “{shorten(question, 300)}”\n\n{checklist(plan, 0)}\n"


def step_chunk(number: int, sub_question: str) -> str:
    return f"## Step {number}: {_one_line(sub_question)}\n\nTool: `web_search`.\n"


def executing_chunk(sub_question: str) -> str:
    return f"{EXECUTING}\n\nSearching the web for “{_one_line(sub_question)}”…\n"


def results_chunk(found: list[Source]) -> str:
    if not found:
        return "### Tool Results\n\nNo results.\n"
    parts = [
        f"[{s.number}] [{_title(s.title)}]({s.url})\n\n> {shorten(s.passage, PASSAGE_CHARS)}"
        for s in found
    ]
    return "### Tool Results\n\n" + "\n\n".join(parts) + "\n"


def summary_chunk(number: int, summary: str) -> str:
    return f"## Step {number} Summary\n\n{summary.strip()}\n"


def updated_chunk(plan: list[str], done: int) -> str:
    return f"## Research Plan Updated\n\n{checklist(plan, done)}\n"


def final_chunk(report: str, sources: list[Source]) -> str:
    listing = "\n".join(f"{s.number}. [{_title(s.title)}]({s.url})" for s in sources)
    return f"# Final Answer\n\n{report.strip()}\n\n## Sources\n\n{listing or 'No sources.'}\n"


def _body(text: str) -> str:
    """A chunk's text after its heading line."""
    return text.split("\n", 1)[1].strip() if "\n" in text else ""


def _read_results(text: str) -> list[Source]:
    found: list[Source] = []
    lines = _body(text).split("\n")
    for index, line in enumerate(lines):
        match = _SOURCE.match(line.strip())
        if match is None:
            continue
        passage = next(
            (ln.strip()[2:] for ln in lines[index + 1 :] if ln.strip().startswith("> ")), ""
        )
        found.append(Source(int(match.group(1)), match.group(3), match.group(2), passage))
    return found


def read_chunks(texts: list[str]) -> State:
    """The state a job's stored chunk texts describe (the inverse of the writers above)."""
    state = State()
    for text in texts:
        head = text.split("\n", 1)[0]
        if text == GENERATING_PLAN:
            state.last = "generating-plan"
        elif head == "## Research Plan":
            state.plan = [m.group(2) for ln in text.split("\n") if (m := _ITEM.match(ln.strip()))]
            state.last = "plan"
        elif match := _STEP.match(head):
            state.last, state.step = "step", int(match.group(1))
        elif head == EXECUTING:
            state.last = "executing"
        elif head == "### Tool Results":
            found = _read_results(text)
            known = {s.number for s in state.sources}
            state.sources += [s for s in found if s.number not in known]
            state.step_sources[state.step] = [s.number for s in found]
            state.last = "results"
        elif match := _SUMMARY.match(head):
            state.step = int(match.group(1))
            state.summaries[state.step] = _body(text)
            state.last = "summary"
        elif head == "## Research Plan Updated":
            state.last = "updated"
        elif text == GENERATING_FINAL:
            state.last = "generating-final"
        elif head == "# Final Answer":
            state.last = "final"
        else:
            raise ValueError(f"a stored research step has an unknown heading: {head[:80]!r}")
    return state
