"""The research checklist shortens a step too long for its pane at a whole word, with "…",
and again when the pane's width changes."""

from __future__ import annotations

from textual.app import App, ComposeResult

from apex_tui.server.research_layout import GENERATING_PLAN, plan_chunk
from apex_tui.ui.widgets.research_checklist import ResearchChecklist
from apex_tui.ui.widgets.research_jobs import JobView

LONG = (
    "How do the validators of a Bittensor subnet score the answers their miners send, "
    "and how does that score become the emission each miner receives?"
)


class ChecklistApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ResearchChecklist(id="plan")


def _rows(app: App[None]) -> list[str]:
    checklist = app.query_one(ResearchChecklist)
    return [checklist.render_line(y).text.strip() for y in range(checklist.size.height)]


async def test_a_long_step_ends_at_a_whole_word_and_follows_the_width() -> None:
    app = ChecklistApp()
    view = JobView(job_id="j", status="running", text=GENERATING_PLAN + plan_chunk("Q?", [LONG]))
    async with app.run_test(size=(60, 10)) as pilot:
        app.query_one(ResearchChecklist).show(view)
        await pilot.pause()
        kept_at: dict[int, str] = {}
        for width in (60, 90):
            await pilot.resize_terminal(width, 10)
            await pilot.pause()
            row = next(r for r in _rows(app) if r.strip())
            assert row.endswith("…") and len(row) <= width
            kept = row.removeprefix("○ 1. ").removesuffix("…")
            assert LONG.startswith(kept) and not LONG[len(kept)].isalnum(), row
            kept_at[width] = kept
        assert len(kept_at[90]) > len(kept_at[60])  # redrawn for the new width
