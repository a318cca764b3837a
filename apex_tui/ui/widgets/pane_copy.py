"""Copy out of a pane through the app's clipboard helper, whatever app hosts the pane.

The apex-tui app offers ``copy_text(text, what)`` (system clipboard, else OSC 52, with a toast
saying which); a bare host app (tests, other embedders) gets the same through ``Clipboard``.
"""

from __future__ import annotations

from textual.app import App

from apex_tui.ui.clipboard import Clipboard
from apex_tui.ui.safe_text import make_inert


def copy_out(app: App[object], text: str, what: str) -> None:
    """Copy ``text`` (made inert) and tell the user where it went."""
    text = make_inert(text)
    copy_text = getattr(app, "copy_text", None)
    if callable(copy_text):
        copy_text(text, what)
        return
    result = Clipboard(app).copy(text)
    app.notify(result.toast, title=f"{what} copied")
