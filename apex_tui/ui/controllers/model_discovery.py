"""First run: find a model server already running here and offer to use it.

On a first run (no config file) with apex-tui's own local server on the offline engine, the app
asks 127.0.0.1 for Ollama, llama.cpp's server, LM Studio and vLLM (model listings only, short
timeouts, in a worker: the first frame never waits). If one answers, the welcome says so and
one key switches the local server to it: ``server.engine = "openai"``, its URL and first model
are written to the config and the local server is restarted with them (the app's
``restart_local_server``, over ``services.server_switch``); the header then names the new
engine. Under running research jobs the per-user server keeps its settings until they finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.css.query import NoMatches
from textual.keys import format_key
from textual.widgets import Static

from apex_tui.services.config import Config, ConfigError
from apex_tui.services.connection import Connection
from apex_tui.services.keymap import usable_keymap
from apex_tui.services.local_server import LocalServerError, LocalServerProcess
from apex_tui.services.server_switch import ServerBusy
from apex_tui.services.upstream_models import FoundServer, discover_local
from apex_tui.ui.safe_text import make_inert
from apex_tui.ui.welcome import welcome_text
from apex_tui.ui.widgets.status_line import StatusLine
from apex_tui.ui.workers import start_worker

if TYPE_CHECKING:
    from textual.app import App

__all__ = ["SWITCH_KEY", "ModelDiscovery"]

SWITCH_KEY = "f8"


class ModelDiscovery:
    """Owned by the app: the discovery worker, what it found, and the switch to it."""

    def __init__(
        self,
        app: App[int],
        connection: Connection,
        config: Callable[[], Config],
        save: Callable[[Config], bool],
        restart: Callable[[Config], str],
    ) -> None:
        self.app = app
        self.connection = connection
        self._config = config
        self._save = save
        self._restart = restart
        """Runs the local server with these settings (blocking; the app's)."""
        self.found: FoundServer | None = None
        self.switching = False

    def applies(self, first_run: bool) -> bool:
        """Only on a first run, with our own local server on the offline engine."""
        return (
            first_run
            and (
                self.connection.local is not None
                or isinstance(self.connection.embedded, LocalServerProcess)
            )
            and self._config().server.engine == "offline"
        )

    def start(self) -> None:
        start_worker(self.app, self._discover, group="model-discovery", exclusive=True)

    async def _discover(self) -> None:
        found = await discover_local()
        if not found:
            return
        self.found = found[0]
        self._show_welcome()
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        """The switch key comes and goes in the footer with what was found."""
        for screen in self.app.screen_stack:
            screen.refresh_bindings()

    def offer(self) -> str:
        """The welcome's line about what was found (empty when nothing was)."""
        found = self.found
        if found is None or self.switching:
            return ""
        count = f"{len(found.models)} model{'s' if len(found.models) != 1 else ''}"
        keys = usable_keymap(self._config().keymap).get("app.use_found_model", SWITCH_KEY)
        key = format_key(keys.split(",")[0].strip())
        return (
            f"Found {found.name} at {found.url} ({count}). Press {key} to use it "
            "for the local server instead of the offline engine."
        )

    def _show_welcome(self, line: str | None = None, tries: int = 50) -> None:
        for screen in reversed(self.app.screen_stack):  # the main screen, under any modal
            try:
                welcome = screen.query_one("#welcome", Static)
                status = screen.query_one(StatusLine)
            except NoMatches:
                continue
            if screen.is_mounted:
                break
        else:  # found before the main screen has mounted: show it once it has
            if tries:
                self.app.set_timer(0.1, lambda: self._show_welcome(line, tries - 1))
            return
        text = welcome_text(self.connection.description, usable_keymap(self._config().keymap))
        extra = self.offer() if line is None else line
        welcome.update(text + (f"\n\n{make_inert(extra)}" if extra else ""))
        status.server = self.connection.description

    def switch(self) -> None:
        """The key: write the found server into the config and restart the local server."""
        if self.found is None or self.switching:
            return
        self.switching = True
        self._show_welcome(f"Switching the local server to {self.found.name}…")
        start_worker(self.app, self._switch, self.found, group="model-discovery")

    async def _switch(self, found: FoundServer) -> None:
        config = self._config()
        server = config.server
        server.engine, server.upstream_url = "openai", found.url
        server.upstream_model = found.models[0] if found.models else None
        if not self._save(config):
            self.switching = False
            return
        try:
            description = await asyncio.to_thread(self._restart, config)
        except ServerBusy as exc:
            self.found = None
            self.switching = False
            self._show_welcome("")
            self._refresh_keys()
            self.app.notify(
                make_inert(f"{found.name} is in the config. {exc}"),
                title="Local server",
                severity="warning",
                timeout=20,
                markup=False,
            )
            return
        except (ConfigError, LocalServerError, OSError) as exc:
            self.switching = False
            self._show_welcome("")
            self.app.notify(
                make_inert(
                    f"The local server could not restart on {found.name}: {exc}. Its settings "
                    "are in the config (F4 to change them)."
                ),
                severity="error",
                timeout=15,
                markup=False,
            )
            return
        self.found = None
        self.switching = False
        self._show_welcome("")
        self._refresh_keys()
        self.app.notify(
            make_inert(f"Now using {found.name}: {description}."),
            title="Local server",
            markup=False,
        )
