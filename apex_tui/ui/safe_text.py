"""Make untrusted text inert before it reaches the terminal: the UI's name for the one shared
sanitizer (:mod:`apex_tui.services.text_safety`), which the CLI uses too.

Model answers, prompts and web sources can carry terminal control sequences (colour changes,
cursor moves, OSC 52 clipboard writes, title changes) and bidi overrides; here they vanish.
Newlines and tabs are kept because Markdown needs them.
"""

from __future__ import annotations

from apex_tui.services.text_safety import StreamSanitizer, inert

__all__ = ["StreamSanitizer", "make_inert"]


def make_inert(text: str) -> str:
    """``text`` with every terminal control sequence and bidi control removed (newlines and
    tabs kept; CR LF and lone CR become LF). Returns the same string when it is clean."""
    return inert(text)
