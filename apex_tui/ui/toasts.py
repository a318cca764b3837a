"""How a failed service call reaches a person: one toast saying what failed and what to do."""

from __future__ import annotations

from textual.widget import Widget

from apex_tui.api.errors import ApexError


def report(node: Widget, what: str, error: ApexError) -> None:
    """``what`` failed: the server's words and the error's hint, for ten seconds."""
    node.notify(f"{error.message}\n{error.hint}", title=what, severity="error", timeout=10)
