"""The plan checklist read from research logs: the model agent's layout and the offline one."""

from __future__ import annotations

from apex_tui.api.models import ChatCompletionRequest, ChatMessage
from apex_tui.server.research import plan_steps
from apex_tui.server.research_layout import (
    GENERATING_PLAN,
    plan_chunk,
    step_chunk,
    summary_chunk,
    updated_chunk,
)
from apex_tui.services.research_plan import PlanItem, plan_checklist

PLAN = ["What is WAL?", "How do locks work?"]


def test_the_latest_plan_marks_finished_and_current_steps() -> None:
    assert plan_checklist(GENERATING_PLAN) == []
    log = GENERATING_PLAN + plan_chunk("Q?", PLAN)
    assert plan_checklist(log) == [PlanItem(1, PLAN[0], False), PlanItem(2, PLAN[1], False)]
    log += step_chunk(1, PLAN[0])
    assert plan_checklist(log)[0].current
    log += summary_chunk(1, "WAL is a log [1].") + updated_chunk(PLAN, 1) + step_chunk(2, PLAN[1])
    items = plan_checklist(log)
    assert [(i.done, i.current) for i in items] == [(True, False), (False, True)]
    assert all(i.done for i in plan_checklist(log, completed=True))


def test_the_offline_writers_plan_is_read_too() -> None:
    request = ChatCompletionRequest(messages=[ChatMessage(role="user", content="What is SQLite?")])
    steps = plan_steps(request, 3)
    log = "".join(steps[:2])
    items = plan_checklist(log)
    plan = [line.split(". ", 1)[1] for line in steps[1].splitlines() if line[:1].isdigit()]
    assert len(plan) >= 2 and [i.title for i in items] == plan
    assert not any(i.done for i in items)
    assert all(i.done for i in plan_checklist("".join(steps)))
