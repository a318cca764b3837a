"""How a failed service call reaches a person: one toast saying what failed and what to do."""

from __future__ import annotations

from textual.widget import Widget

from apex_tui.api.errors import ApexError
from apex_tui.ui.safe_text import make_inert


def report(node: Widget, what: str, error: ApexError) -> None:
    """``what`` failed: the server's words (made inert: they are the server's text) and the
    error's hint, for ten seconds."""
    message = make_inert(f"{error.message}\n{error.hint}")
    node.notify(message, title=what, severity="error", timeout=10)
