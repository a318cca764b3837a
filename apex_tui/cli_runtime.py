"""What every CLI command shares: the config, the connection's lifetime, output helpers.

Everything a command prints passes through the one sanitizer (``services.text_safety``):
text from a model, the web or the server cannot act on the terminal, and JSON escapes what
would otherwise be written raw. ``--raw`` (where offered) prints answers as they are.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from apex_tui.services.config import Config, load_config
from apex_tui.services.connection import Connection, aclose_connection, open_connection
from apex_tui.services.text_safety import StreamSanitizer, inert, json_text

__all__ = [
    "AnswerPrinter",
    "StreamSanitizer",
    "UsageError",
    "config_of",
    "emit_json",
    "note",
    "notice_unsaved",
    "one_line",
    "run_connected",
    "shown",
]

T = TypeVar("T")


class UsageError(Exception):
    """The command line asks for something impossible (exit code 2)."""


def note(message: str) -> None:
    """A line for people on stderr (stdout stays clean for data); made inert, as it may
    quote the server (ids, titles, error messages)."""
    print(inert(message), file=sys.stderr, flush=True)


def emit_json(data: Any) -> None:
    """JSON on stdout; non-printing characters escaped (``text_safety.json_text``)."""
    print(json_text(data))


def shown(text: str, *, raw: bool = False) -> str:
    """``text`` as it may reach the terminal (as is with ``raw``)."""
    return text if raw else inert(text)


def one_line(text: str) -> str:
    """A title or a passage on one line of a listing: inert, whitespace collapsed."""
    return " ".join(inert(text).split())


class AnswerPrinter:
    """Writes a streamed answer to stdout as it arrives, sanitized chunk by chunk (a sequence
    split between chunks is still caught), or as is with ``raw``; silent with ``quiet``."""

    def __init__(self, *, raw: bool = False, quiet: bool = False) -> None:
        self._sanitizer = None if raw else StreamSanitizer()
        self._quiet = quiet
        self._last = ""

    def write(self, text: str) -> None:
        self._emit(text if self._sanitizer is None else self._sanitizer.feed(text))

    def end_line(self) -> None:
        """Flush what the sanitizer holds and end the line, if anything was written."""
        if self._sanitizer is not None:
            self._emit(self._sanitizer.finish())
        if self._last and not self._last.endswith("\n"):
            self._emit("\n")

    def _emit(self, text: str) -> None:
        if text and not self._quiet:
            sys.stdout.write(text)
            sys.stdout.flush()
            self._last = text


def config_of(args: argparse.Namespace) -> Config:
    path = Path(args.config_file) if args.config_file else None
    return load_config(path)


def notice_unsaved() -> None:
    """One line when answers the server never acknowledged are kept here (``recovery``)."""
    from apex_tui.services.recovery import RecoveryStore

    store = RecoveryStore()
    count = len(store.pending())
    if count:
        what = "1 answer" if count == 1 else f"{count} answers"
        note(
            f"{what} could not be saved earlier and {'is' if count == 1 else 'are'} kept in "
            f"{store.root}; write {'it' if count == 1 else 'them'} back with "
            "`apex-tui chats recover`"
        )


def run_connected(
    args: argparse.Namespace,
    body: Callable[[Connection, Config], Awaitable[T]],
    *,
    unsaved_notice: bool = True,
    hold: bool = False,
) -> T:
    """Open the connection (starting the local server if no base URL is configured), run
    ``body`` in an event loop, and always close both. Ctrl-C cancels ``body`` cleanly and
    surfaces as KeyboardInterrupt once it has tidied up.

    ``hold`` (long commands such as ``research --follow``): attach to the per-user server
    like an app window, so that it counts this command as a client and, should it go away,
    a new one is started and the command carries on."""
    config = config_of(args)
    if unsaved_notice:
        notice_unsaved()

    async def main() -> T:
        conn = await asyncio.to_thread(
            open_connection, config, base_url=args.base_url, api_key=args.api_key
        )
        if conn.embedded is not None or conn.local is not None:
            note(f"Using the {conn.description} (no base URL configured).")
        if conn.notice:
            note(conn.notice)
        if conn.local is not None and conn.local.mismatch:
            note(f"Note: {conn.local.mismatch}.")
        attachment = None
        if hold and conn.local is not None:
            from apex_tui.services.attachment import Attachment

            attachment = Attachment(conn.local, lambda _severity, text: note(text))
            attachment.start()
        try:
            return await body(conn, config)
        finally:
            if attachment is not None:
                await asyncio.to_thread(attachment.close)
            await aclose_connection(conn)

    return asyncio.run(main())
