"""The Textual application: themes, keymap, clipboard, help and settings around MainScreen.

``run_app(connection, config)`` is what the CLI calls; tests build ``ApexApp`` directly with a
Connection to the in-process local server. A little over 400 lines: it is the one place where
the app-wide pieces (theme, keymap, clipboard, recovery, the exit that keeps the prompt's text)
meet Textual's App, each a few short methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, InvalidThemeError, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.theme import Theme

from apex_tui.services.chat_sync import ChatSync
from apex_tui.services.config import Config, ConfigError, config_path, save_config, state_dir
from apex_tui.services.connection import Connection, current_local_plan
from apex_tui.services.keymap import usable_keymap
from apex_tui.services.local_server import LocalServerError, LocalServerProcess
from apex_tui.services.recovery import RecoveryStore
from apex_tui.services.user_server import UserServer
from apex_tui.ui import key_pressure
from apex_tui.ui.clipboard import Clipboard, CopyFunction, pyperclip_copy
from apex_tui.ui.commands import ApexCommands
from apex_tui.ui.controllers.model_discovery import SWITCH_KEY, ModelDiscovery
from apex_tui.ui.controllers.selection import SELECTION_BINDINGS
from apex_tui.ui.drafts import DraftStore
from apex_tui.ui.screens.chat_settings import ChatSettingsScreen
from apex_tui.ui.screens.confirm import ConfirmDeleteScreen
from apex_tui.ui.screens.help import HelpScreen, HelpSection
from apex_tui.ui.screens.main import PANE_BINDINGS, TURN_BINDINGS, MainScreen
from apex_tui.ui.screens.settings import InUse, SettingsScreen
from apex_tui.ui.themes import discover_themes, shipped_themes_dir
from apex_tui.ui.widgets.conversation import ConversationView
from apex_tui.ui.widgets.prompt_bar import PromptInput
from apex_tui.ui.widgets.sessions import ChatList, SessionsPane

if TYPE_CHECKING:
    from textual.screen import Screen

    from apex_tui.services.attachment import Attachment

FALLBACK_THEME = "apex-dark"
DISCOVERY_DELAY = 1.0
"""Seconds after mounting before a first run looks for local model servers: after the first
frame and the chat list (its 16 probes and their client cost ~50 ms of CPU that the start
would otherwise wait for); nothing it finds is needed sooner."""


class ApexApp(App[int]):
    """apex-tui's app; never exits on a network or server error (those become toasts)."""

    CSS_PATH = "app.tcss"
    TITLE = "apex-tui"
    COMMANDS = App.COMMANDS | {ApexCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("f4", "settings", "Settings", show=False, id="app.settings"),
        Binding(SWITCH_KEY, "use_found_model", "Use found model", id="app.use_found_model"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
    ]

    def __init__(
        self,
        connection: Connection,
        config: Config,
        *,
        config_file: Path | None = None,
        state_path: Path | None = None,
        system_copy: CopyFunction | None = pyperclip_copy,
    ) -> None:
        super().__init__()
        self.connection = connection
        self.config = config
        self.config_file = config_file
        self.state_path = state_path or state_dir()
        self.sync = ChatSync(
            connection.client,
            chat_type=config.defaults.chat_type or "apex",
            recovery=RecoveryStore(self.state_path / "recovered"),
        )
        self.drafts = DraftStore(self.state_path / "drafts.json")
        self.clipboard_service = Clipboard(self, system_copy)
        self.theme_errors: list[str] = []
        self._attachment: Attachment | None = None
        """The hold on the per-user server (``services.attachment``), once it serves."""
        self.discovery = ModelDiscovery(
            self, connection, lambda: self.config, self._save_as, self.restart_local_server
        )
        self._first_run = not (config_file or config_path()).exists()

    @property
    def main_screen(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def on_mount(self) -> None:
        self._register_themes()
        keymap_note = self._apply_keymap()
        self._apply_theme(self.config.theme)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        # The chat list is asked for now, so the server answers while the main screen mounts.
        chat_type = self.sync.chat_type
        prefetch = asyncio.ensure_future(self.sync.client.get_chat_sessions(chat_type))
        prefetch.add_done_callback(_retrieved)  # its error is reported by load_sessions
        main = MainScreen(
            self.sync,
            self.config,
            self.drafts,
            self.connection.description,
            state_path=self.state_path,
            sessions_prefetch=(chat_type, prefetch),
        )
        self.push_screen(main)
        if self.connection.local is not None:
            self.run_worker(self._hold_local_server(self.connection.local), group="server")
        elif isinstance(self.connection.embedded, LocalServerProcess):
            self.run_worker(self._check_local_server(self.connection.embedded), group="server")
        if self.discovery.applies(self._first_run):
            self.set_timer(DISCOVERY_DELAY, self.discovery.start)
        notes = [*self.theme_errors, self.drafts.load_error, keymap_note, self.connection.notice]
        for problem in notes:
            if problem:
                self.notify(problem, severity="warning", timeout=10)
        self._watch_hangup(True)

    def _apply_keymap(self) -> str:
        """Remap the keys of ``[keymap]``, but none it cannot use; returns what it left out
        (a line for a toast), or ""."""
        from apex_tui.services.keymap import keymap_problems

        problems = keymap_problems(self.config.keymap)
        self.set_keymap(usable_keymap(self.config.keymap))
        if not problems:
            return ""
        return "Keymap entries not used: " + "; ".join(problems.values()) + "."

    def _watch_hangup(self, on: bool) -> None:
        """SIGHUP (the terminal window closed, the ssh session dropped) leaves the way Ctrl+Q
        does, so the draft typed in the last moments and a streaming answer's partial text are
        saved, instead of the process dying mid-sentence."""
        hangup = getattr(signal, "SIGHUP", None)
        if hangup is None:  # Windows
            return
        with contextlib.suppress(RuntimeError, ValueError, NotImplementedError):
            loop = asyncio.get_running_loop()
            if on:
                loop.add_signal_handler(hangup, self._hung_up)
            else:
                loop.remove_signal_handler(hangup)

    def _hung_up(self) -> None:
        self.exit(0)

    def exit(
        self, result: int | None = None, return_code: int = 0, message: Any | None = None
    ) -> None:
        """Leave (Ctrl+Q, hang-up, a fatal error) with the prompt bar's text kept as a draft."""
        main = self.main_screen
        if main is not None and main.is_attached:
            with contextlib.suppress(NoMatches):
                main.stash_draft()
        super().exit(result, return_code, message)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            key_pressure.note_key()  # background work takes smaller bites for a moment
        await super().on_event(event)

    async def _check_local_server(self, server: LocalServerProcess) -> None:
        """The local server child starts while the app does; say so if it could not."""
        try:
            await asyncio.to_thread(server.wait_ready)
        except LocalServerError as exc:
            self.notify(str(exc), title="Local server", severity="error", timeout=60)

    async def _hold_local_server(self, server: UserServer) -> None:
        """The per-user server: say if it could not start, or runs another version or other
        settings; then hold it (this window counts as its client) and start a new one should
        it go away (``Attachment``)."""
        from apex_tui.services.attachment import Attachment

        try:
            await asyncio.to_thread(server.wait_ready)
        except LocalServerError as exc:
            self.notify(str(exc), title="Local server", severity="error", timeout=60, markup=False)
            return
        if server.mismatch:
            message = server.mismatch[0].upper() + server.mismatch[1:] + "."
            self.notify(message, title="Local server", severity="warning", timeout=15, markup=False)
        attachment = Attachment(
            server,
            self._local_server_notice,
            plan_source=lambda: current_local_plan(self.config_file, server.plan),
            on_new=self._local_server_replaced_from_thread,
        )
        attachment.start()
        self._attachment = attachment

    def _local_server_replaced_from_thread(self, server: UserServer) -> None:
        with contextlib.suppress(RuntimeError):  # the app is no longer running
            self.call_from_thread(self._local_server_replaced, server)

    def _local_server_replaced(self, server: UserServer) -> None:
        """The window holds a new per-user server: the header names what it runs."""
        self.connection.local, self.connection.description = server, server.description
        self.show_server(server.description)

    def show_server(self, description: str) -> None:
        """The header's (and the welcome's) server, e.g. after the local server changed."""
        main = self.main_screen
        if main is not None:
            main.server_description = description
            if main.is_mounted:
                main.status.server = description

    def restart_local_server(self, config: Config) -> str:
        """(In a thread) the local server run with ``config``'s ``[server]`` settings now
        (``server_switch``); this window's hold follows it without an "it stopped" notice."""
        from apex_tui.services.server_switch import restart_local_server

        attachment = self._attachment
        if attachment is not None:
            attachment.expect_restart()
        try:
            return restart_local_server(self.connection, config)
        except BaseException:
            if attachment is not None:
                attachment.expect_restart(False)
            raise

    def _local_server_notice(self, severity: str, message: str) -> None:
        """From the attachment's thread (``notify`` posts a message: thread-safe)."""
        timeout = 60 if severity == "error" else 15
        self.notify(
            message,
            title="Local server",
            severity=severity,  # type: ignore[arg-type]
            timeout=timeout,
            markup=False,
        )

    async def on_unmount(self) -> None:
        self._watch_hangup(False)
        if self._attachment is not None:  # the server no longer counts this window
            await asyncio.to_thread(self._attachment.close)
        with contextlib.suppress(OSError):  # reported while running; nothing more to do now
            self.drafts.save()
        await self.connection.client.aclose()

    # --- themes ------------------------------------------------------------------------------

    def _register_themes(self) -> None:
        user_dir = (self.config_file or config_path()).parent / "themes"
        found = discover_themes([shipped_themes_dir(), user_dir])
        for theme in found.themes:
            self.register_theme(theme)
        self.theme_errors = found.errors

    def _apply_theme(self, name: str) -> None:
        try:
            self.theme = name
        except InvalidThemeError:
            self.theme_errors.append(
                f"Theme “{name}” is not installed; using {FALLBACK_THEME}. "
                "Pick one with the command palette (Ctrl+P → Theme)."
            )
            self.theme = FALLBACK_THEME

    def _theme_changed(self, theme: Theme) -> None:
        """The choice is saved, whichever way it was made (palette, settings)."""
        if theme.name == self.config.theme:
            return
        self.config.theme = theme.name
        self.save_config()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own palette entries, without its "Maximize"/"Minimize" (a widget-level
        zoom beside ours: "Maximise pane" is the one this app means)."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Maximize", "Minimize"):
                yield command

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "use_found_model":
            return self.discovery.found is not None and not self.discovery.switching
        return True

    def action_use_found_model(self) -> None:
        self.discovery.switch()

    def _save_as(self, config: Config) -> bool:
        self.config = config
        return self.save_config()

    def save_config(self) -> bool:
        try:
            save_config(self.config, self.config_file)
        except (OSError, ConfigError) as exc:
            self.notify(
                f"Could not save the config: {exc}. Check the config folder's permissions.",
                severity="error",
            )
            return False
        return True

    # --- copy, help, settings ----------------------------------------------------------------

    def copy_text(self, text: str, what: str) -> None:
        result = self.clipboard_service.copy(text)
        if result.detail:
            self.log.warning(f"no system clipboard: {result.detail}")
        self.notify(result.toast, title=f"{what} copied")

    def help_sections(self) -> list[HelpSection]:
        from apex_tui.ui.screens.export import ExportScreen  # not needed at start-up
        from apex_tui.ui.widgets.research_pane import ResearchPane
        from apex_tui.ui.widgets.search_pane import SearchPane

        palette = Binding(
            self.COMMAND_PALETTE_BINDING,
            "command_palette",
            "Command palette",
            id="app.command_palette",
        )
        grouped = {b.id for b in [*TURN_BINDINGS, *PANE_BINDINGS, *SELECTION_BINDINGS]}
        copy = Binding("ctrl+c", "copy_text", "Copy selection (as shown)", id="selection.ctrl_c")
        main_keys = [
            b for b in MainScreen.BINDINGS if isinstance(b, Binding) and b.id not in grouped
        ]
        return [
            ("Anywhere", [*self.BINDINGS, palette]),
            ("Main screen", main_keys),
            ("Search and research panes", PANE_BINDINGS),
            ("Conversation (when focused)", [*TURN_BINDINGS, *ConversationView.BINDINGS]),
            (
                "Text selected with the mouse (drag, double/triple click)",
                [*SELECTION_BINDINGS, copy],
            ),
            ("Prompt", PromptInput.BINDINGS),
            ("Web-search pane (when focused)", SearchPane.BINDINGS),
            ("Research pane (when focused)", ResearchPane.BINDINGS),
            ("Chat list", [*ChatList.BINDINGS, *SessionsPane.BINDINGS]),
            ("Settings screens", [*SettingsScreen.BINDINGS, *ChatSettingsScreen.BINDINGS]),
            ("Export dialog", ExportScreen.BINDINGS),
            ("Confirm delete", ConfirmDeleteScreen.BINDINGS),
            ("Help", HelpScreen.BINDINGS),
        ]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections(), usable_keymap(self.config.keymap)))

    def action_settings(self) -> None:
        if isinstance(self.screen, SettingsScreen):
            return
        themes = sorted(self.available_themes)
        connection = self.connection
        in_use = InUse(
            connection.description,
            connection.client.base_url,
            connection.origins,
            local=connection.local is not None or connection.embedded is not None,
        )
        screen = SettingsScreen(
            self.config.model_copy(deep=True), themes, path=self.config_file, in_use=in_use
        )
        self.push_screen(screen, self._settings_saved)

    def _settings_saved(self, config: Config | None) -> None:
        if config is None:
            return
        server_changed = (
            config.base_url != self.config.base_url
            or config.api_key != self.config.api_key
            or config.server != self.config.server
        )
        local_changed = config.server != self.config.server and self.connection.local is not None
        self.config = config
        main = self.main_screen
        if main is not None:
            main.config = config
        keymap_note = self._apply_keymap()
        if keymap_note:
            self.notify(keymap_note, severity="warning", timeout=10)
        self._apply_theme(config.theme)
        note = " Server changes apply when apex-tui next starts." if server_changed else ""
        if local_changed:
            note = (
                " The local server takes the new [server] settings when it is next started: "
                "when apex-tui next starts and no research job runs, or after "
                "`apex-tui server stop`."
            )
        self.notify(f"Settings saved to {self.config_file or config_path()}.{note}")


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark a prefetch's outcome as seen (asyncio warns about unretrieved errors)."""
    if not future.cancelled():
        future.exception()


def freeze_startup_objects() -> None:
    """Keep what start-up created (modules, classes, the server) out of full GC passes.

    Python's full (generation 2) collection walks every tracked object; with Textual, Rich,
    pydantic and the server loaded, that walk stalls the UI for 100-250 ms at a time (seen in
    bench/long.py). Those objects live as long as the process, so freezing them is safe and
    halves the stalls. The interactive command keeps the collector off while it imports
    and starts (imports make no garbage cycles worth a 35-45 ms full pass); it is turned
    back on here, after the freeze.
    """
    gc.freeze()
    gc.enable()


def run_app(connection: Connection, config: Config) -> int:
    """Run the TUI until the user quits; the caller opens and closes the connection."""
    freeze_startup_objects()
    app = ApexApp(connection, config)
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
