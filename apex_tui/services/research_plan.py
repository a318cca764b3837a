"""The plan of a research job as a checklist, read from its progress log.

A job's log (shared/apex-api.md §6) holds its plan under ``## Research Plan`` (and again, with
``✓`` on the finished steps, under ``## Research Plan Updated``) as a numbered list; a step is
finished once its ``## Step N Summary`` has arrived (or the ``✓`` says so), and all are once the
job has completed. Logs without a plan give no checklist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PlanItem", "plan_checklist"]

_PLAN_HEADING = re.compile(r"^## Research Plan(?: Updated)?\s*$", re.M)
_ITEM = re.compile(r"^\s*(\d+)[.)]\s+(?:([✓○✔☐☑])\s+)?(.+?)\s*$")
_SUMMARY = re.compile(r"^## Step (\d+) Summary", re.M)
_STEP = re.compile(r"^## Step (\d+):", re.M)


@dataclass(frozen=True)
class PlanItem:
    number: int
    title: str
    done: bool
    current: bool = False
    """The step being worked on now (its ``## Step N:`` arrived, its summary not yet)."""


def plan_checklist(log: str, *, completed: bool = False) -> list[PlanItem]:
    """The latest plan in ``log`` with each step's state; ``[]`` when the log has no plan."""
    headings = list(_PLAN_HEADING.finditer(log))
    if not headings:
        return []
    start = headings[-1].end()
    following = re.search(r"^#{1,6} ", log[start:], re.M)
    block = log[start : start + following.start()] if following else log[start:]
    summarised = {int(n) for n in _SUMMARY.findall(log)}
    started = [int(n) for n in _STEP.findall(log)]
    working = started[-1] if started and started[-1] not in summarised else None
    items: list[PlanItem] = []
    for line in block.splitlines():
        match = _ITEM.match(line)
        if match is None:
            continue
        number = int(match.group(1))
        done = completed or number in summarised or match.group(2) in ("✓", "✔", "☑")
        items.append(PlanItem(number, match.group(3), done, current=not done and number == working))
    return items
