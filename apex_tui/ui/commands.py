"""Command palette: every action of the app, plus one entry per theme.

The app registers :class:`ApexCommands`; what the palette needs of the app is the
:class:`PaletteHost` interface (``ApexApp`` provides it), so this module never imports the app.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider

from apex_tui.services.keymap import usable_keymap
from apex_tui.ui.screens.help import HelpSection, current_keys
from apex_tui.ui.widgets.sessions import ChatList

if TYPE_CHECKING:
    from textual.theme import Theme

    from apex_tui.services.config import Config
    from apex_tui.ui.screens.main import MainScreen

Command = tuple[str, str, Callable[[], object]]


@runtime_checkable
class PaletteHost(Protocol):
    """The app as the palette sees it: its config, keys, help, settings, themes and main screen."""

    config: Config
    theme: str

    @property
    def main_screen(self) -> MainScreen | None: ...

    @property
    def available_themes(self) -> dict[str, Theme]: ...

    def help_sections(self) -> list[HelpSection]: ...

    def action_help(self) -> None: ...

    def action_settings(self) -> None: ...


def app_commands(app: PaletteHost, main: MainScreen) -> list[Command]:
    """(name, help, callback) for every action; callbacks act on the main screen directly."""
    sessions = main.sessions
    shown = current_keys(app.help_sections(), usable_keymap(app.config.keymap))

    def key(text: str, binding_id: str) -> str:
        """Help text with the action's key as it is bound now (remapping included)."""
        keys = shown.get(binding_id)
        return f"{text} ({keys})" if keys else text

    commands: list[Command] = [
        ("New chat", key("Start a new chat", "chat.new"), main.action_new_chat),
        (
            "Toggle apex / gravity chats",
            key("Switch the chat type", "chat.toggle_type"),
            main.action_toggle_chat_type,
        ),
        ("Filter chats", key("Focus the chat filter", "chat.filter"), main.action_focus_filter),
        (
            "Stop generation",
            key("Stop the answer, keep what arrived", "chat.stop"),
            main.action_stop,
        ),
        (
            "Regenerate last answer",
            key("Ask the last prompt again", "chat.regenerate"),
            main.action_regenerate,
        ),
        (
            "Copy answer",
            key("Copy the selected (or last) answer", "chat.copy_answer"),
            main.action_copy_answer,
        ),
        (
            "Copy code block",
            key("Copy the next code block of the selected answer", "chat.copy_code"),
            main.action_copy_code,
        ),
        (
            "Edit and resend prompt",
            key("Edit the selected (or last) prompt", "chat.edit"),
            main.action_edit_turn,
        ),
        (
            "Delete turn",
            key("Delete the selected (or last) turn", "chat.delete_turn"),
            main.action_delete_turn,
        ),
        (
            "Rename chat",
            key("Rename the highlighted chat", "sessions.rename"),
            sessions.begin_rename,
        ),
        (
            "Delete chats",
            key("Delete the marked or highlighted chats", "sessions.delete"),
            sessions.query_one(ChatList).action_delete,
        ),
        (
            "Chat settings",
            key("Model, sampling and system prompt of this chat", "chat.settings"),
            main.action_chat_settings,
        ),
        (
            "Web search pane",
            key("Show, focus or hide the web-search pane", "pane.search"),
            main.action_toggle_search,
        ),
        (
            "Search the web for …",
            "Search for the prompt's text (or type the query after this command)",
            partial(_search_prompt, main),
        ),
        (
            "Deep research pane",
            key("Show, focus or hide the deep-research pane", "pane.research"),
            main.action_toggle_research,
        ),
        (
            "Start deep research",
            "Research the prompt's text with the conversation so far (or type the question)",
            partial(_research_prompt, main),
        ),
        (
            "Maximise pane",
            key("The open pane fills the screen, or goes back", "pane.maximise"),
            main.action_maximise,
        ),
        (
            "Next area",
            key("Focus prompt, conversation, panes, chat list in turn", "pane.next_area"),
            main.action_cycle_focus,
        ),
        (
            "Chat list on/off",
            key("Hide or show the chat list", "pane.sidebar"),
            main.action_toggle_sidebar,
        ),
        (
            "Export chat",
            "Save the open chat as Markdown or JSON (shows where first)",
            main.action_export_chat,
        ),
        (
            "Export research report",
            "Save the selected research job's report as Markdown or JSON",
            main.action_export_report,
        ),
        (
            "Clear attached sources",
            "Send the next prompt without the attached results",
            main.search_flow.clear_attached,
        ),
        ("Settings", key("Server, defaults and theme", "app.settings"), app.action_settings),
        ("Help: keys", key("Show every key", "app.help"), app.action_help),
    ]
    for name in sorted(app.available_themes):
        commands.append(
            (f"Theme: {name}", "Switch to this theme (saved)", partial(setattr, app, "theme", name))
        )
    return commands


def _search_prompt(main: MainScreen) -> None:
    text = main.prompt_bar.text.strip()
    if text:
        main.search_flow.web_search(text)
    else:
        main.panes.focus_search_query()


def _research_prompt(main: MainScreen) -> None:
    main.search_flow.start_research(main.prompt_bar.text)
    if main.prompt_bar.text.strip():
        main.prompt_bar.clear()


def typed_commands(main: MainScreen, query: str) -> list[Command]:
    """Commands that take what was typed in the palette as their argument."""
    text = query.strip()
    for prefix in ("search the web for", "start deep research on", "start deep research"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :].strip(" …:")
    if not text:
        return []
    return [
        (
            f"Search the web for “{text}”",
            "Results appear in the web-search pane",
            partial(main.search_flow.web_search, text),
        ),
        (
            f"Start deep research on “{text}”",
            "With the conversation so far; follow it in the research pane",
            partial(main.search_flow.start_research, text),
        ),
    ]


class ApexCommands(Provider):
    """Fuzzy-matched app actions."""

    def _commands(self) -> list[Command]:
        app = self.app
        main = app.main_screen if isinstance(app, PaletteHost) else None
        if not isinstance(app, PaletteHost) or main is None:
            return []
        return app_commands(app, main)

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            if not name.startswith("Theme: "):
                yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        main = getattr(self.app, "main_screen", None)
        if main is not None:
            for name, help_text, callback in typed_commands(main, query):
                # Below real matches, so a typed action name still wins.
                yield Hit(0.01, name, callback, help=help_text)
