"""The ids a ``[keymap]`` may remap, and the rule for their keys, without importing Textual
(``config set keymap.…`` checks with it; the app reports what it could not apply at start).

The ids are the app's ``Binding(id=…)`` (``tests/ui/test_keymap.py`` keeps the two lists
equal). The main screen's global keys (new chat, the panes, the chat list…) work wherever the
focus is, even inside a text box, so they may not be remapped to a key that types text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

__all__ = [
    "BINDING_IDS",
    "GLOBAL_BINDING_IDS",
    "keymap_problem",
    "keymap_problems",
    "usable_keymap",
]

BINDING_IDS = frozenset(
    {
        "app.command_palette",
        "app.help",
        "app.quit",
        "app.settings",
        "app.use_found_model",
        "chat.back",
        "chat.cancel_edit",
        "chat.copy_answer",
        "chat.copy_code",
        "chat.delete_turn",
        "chat.edit",
        "chat.filter",
        "chat.focus_list",
        "chat.focus_prompt",
        "chat.new",
        "chat.next_branch",
        "chat.previous_branch",
        "chat.regenerate",
        "chat.settings",
        "chat.stop",
        "chat.toggle_type",
        "chat_settings.cancel",
        "chat_settings.save",
        "confirm.no",
        "confirm.yes",
        "conversation.next_turn",
        "conversation.previous_turn",
        "conversation.toggle_reasoning",
        "export.cancel",
        "export.save",
        "help.close",
        "pane.maximise",
        "pane.next_area",
        "pane.research",
        "pane.search",
        "pane.sidebar",
        "prompt.newline",
        "prompt.send",
        "research.close",
        "research.copy",
        "research.export",
        "research.forget",
        "research.refresh",
        "research.save_to_chat",
        "research.toggle_report",
        "search.attach",
        "search.close",
        "search.copy_passage",
        "search.copy_url",
        "search.focus_query",
        "search.history",
        "search.mark",
        "search.markdown",
        "search.open",
        "selection.copy",
        "selection.copy_markdown",
        "selection.ctrl_c",
        "sessions.delete",
        "sessions.mark",
        "sessions.rename",
        "settings.cancel",
        "settings.save",
    }
)
GLOBAL_BINDING_IDS = frozenset(
    {
        "app.quit",
        "chat.cancel_edit",
        "chat.filter",
        "chat.focus_list",
        "chat.new",
        "chat.regenerate",
        "chat.settings",
        "chat.stop",
        "chat.toggle_type",
        "pane.maximise",
        "pane.next_area",
        "pane.research",
        "pane.search",
        "pane.sidebar",
    }
)
"""Bindings that take their key before the focused widget does (``priority``)."""

_MODIFIERS = ("ctrl+", "alt+", "super+", "meta+", "hyper+")
_NON_PRINTING = re.compile(
    r"^(f\d{1,2}|escape|enter|tab|backspace|delete|insert|home|end|pageup|pagedown|up|down|"
    r"left|right)$"
)


def _types_text(key: str) -> bool:
    """Whether pressing ``key`` in a text box would type something (a letter, ``space``…)."""
    key = key.strip().lower()
    unmodified = key.removeprefix("shift+")
    return not key.startswith(_MODIFIERS) and not _NON_PRINTING.match(unmodified)


def keymap_problem(binding_id: str, keys: str) -> str:
    """Why ``binding_id = keys`` cannot be used, or ""."""
    if binding_id not in BINDING_IDS:
        close = difflib.get_close_matches(binding_id, sorted(BINDING_IDS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"unknown keymap id {binding_id!r}{hint}; F1 in the app lists every id"
    if not keys.strip() or any(not k.strip() for k in keys.split(",")):
        return f"keymap.{binding_id}: give one or more keys, comma-separated (got {keys!r})"
    if binding_id in GLOBAL_BINDING_IDS:
        typing = [k.strip() for k in keys.split(",") if _types_text(k)]
        if typing:
            return (
                f"keymap.{binding_id}: {', '.join(typing)} would be taken from the text boxes "
                "(this key works wherever the focus is); use ctrl+…, alt+… or an F-key"
            )
    return ""


def keymap_problems(keymap: Mapping[str, str]) -> dict[str, str]:
    """Each entry of ``keymap`` that cannot be used, with the reason."""
    problems = {}
    for binding_id, keys in keymap.items():
        problem = keymap_problem(binding_id, keys)
        if problem:
            problems[binding_id] = problem
    return problems


def usable_keymap(keymap: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``keymap`` the app applies (what it shows as the keys in use)."""
    return {k: v.strip() for k, v in keymap.items() if not keymap_problem(k, v)}
