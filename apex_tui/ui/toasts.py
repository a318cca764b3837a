"""How a failed service call reaches a person: one toast saying what failed and what to do.

One toast per cause: a server that cannot be reached fails the chat list, the open chat and
past research at once, and three toasts saying the same would bury the screen. While a toast
with the same words (the error and its hint) is showing, another is not added.
"""

from __future__ import annotations

from time import monotonic
from weakref import WeakKeyDictionary

from textual.app import App
from textual.widget import Widget

from apex_tui.api.errors import ApexError
from apex_tui.ui.safe_text import make_inert

TIMEOUT = 10.0
_SHOWING: WeakKeyDictionary[App[object], dict[str, float]] = WeakKeyDictionary()
"""Per app: the words of each error toast, and when it goes."""


def report(node: Widget, what: str, error: ApexError) -> None:
    """``what`` failed: the server's words (made inert: they are the server's text) and the
    error's hint, for ten seconds; not again while the same words are on screen."""
    message = make_inert(f"{error.message}\n{error.hint}")
    showing = _SHOWING.setdefault(node.app, {})
    now = monotonic()
    if showing.get(message, 0.0) > now:
        return
    showing[message] = now + TIMEOUT
    node.notify(message, title=what, severity="error", timeout=TIMEOUT)
