"""Copy text out of the app: the system clipboard when there is one, else OSC 52.

pyperclip reaches the local clipboard (xclip/xsel/wl-copy/pbcopy); it cannot cross SSH and
fails on a headless box. OSC 52 asks the *terminal* to copy, which works over SSH in most
terminals (tmux needs ``set-clipboard on``). Neither path may crash the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.app import App

CopyFunction = Callable[[str], None]


def pyperclip_copy(text: str) -> None:
    import pyperclip

    pyperclip.copy(text)


@dataclass
class CopyResult:
    """Which path carried the text, said so the user knows where to paste it."""

    method: str  # "system" | "osc52"
    detail: str = ""
    """Why the system clipboard was not used (pyperclip's words: for the log, not the toast)."""

    @property
    def toast(self) -> str:
        """One short line: where the text went, and what to do if the paste comes up empty."""
        if self.method == "system":
            return "Copied to the system clipboard."
        return "via the terminal (OSC 52); empty paste? tmux: set-clipboard on"


class Clipboard:
    """Copies through ``system_copy`` (pyperclip by default) and falls back to OSC 52."""

    def __init__(self, app: App[Any], system_copy: CopyFunction | None = pyperclip_copy) -> None:
        self._app = app
        self._system_copy = system_copy

    def copy(self, text: str) -> CopyResult:
        """Copy ``text``; never raises. ``app.clipboard`` always holds the last copy."""
        detail = "no system clipboard configured"
        if self._system_copy is not None:
            try:
                self._system_copy(text)
            except Exception as exc:  # pyperclip raises its own and OSError variants
                detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            else:
                self._app._clipboard = text  # keep app.clipboard truthful for both paths
                return CopyResult("system")
        self._app.copy_to_clipboard(text)
        return CopyResult("osc52", detail)
