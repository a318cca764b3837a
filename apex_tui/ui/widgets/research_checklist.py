"""The live checklist of the selected research job's plan, above its log.

Redrawn from the job's log each time it grows (the plan is a few lines): ``✓`` on finished
steps, ``▸`` on the step being worked on, ``○`` on those still to come; a line too long for
the pane ends at a whole word with "…". Hidden while the job has no plan yet (and for jobs
whose log has none).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from apex_tui.services.research_plan import plan_checklist
from apex_tui.shorten import shorten
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.widgets.research_jobs import JobView

__all__ = ["ResearchChecklist"]


class ResearchChecklist(Static):
    DEFAULT_CSS = """
    ResearchChecklist {
        height: auto; max-height: 8; padding: 0 1; display: none;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self.items_shown: list[str] = []
        """The checklist's lines as shown (tests read this)."""
        self._styled: list[tuple[str, str]] = []

    def show(self, view: JobView | None) -> None:
        items = plan_checklist(view.text, completed=view.status == "completed") if view else []
        styled: list[tuple[str, str]] = []
        for item in items:
            mark, style = (
                ("✓", "green")
                if item.done
                else ("▸", "bold cyan")
                if item.current
                else ("○", "dim")
            )
            line = f"{mark} {item.number}. {' '.join(make_inert(item.title).split())}"
            styled.append((line, style if not item.done else ""))
        self._styled = styled
        self.items_shown = [line for line, _ in styled]
        self.display = bool(styled)
        self.refresh(layout=True)

    def render(self) -> Text:
        """Each line shortened at a whole word to the width it has now (redrawn on resize)."""
        width = self.content_size.width
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (line, style) in enumerate(self._styled):
            if index:
                text.append("\n")
            text.append(shorten(line, width) if width > 0 else line, style=style)
        return text
