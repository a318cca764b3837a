"""What every CLI command shares: the config, the connection's lifetime, output helpers."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from apex_tui.services.config import Config, load_config
from apex_tui.services.connection import Connection, aclose_connection, open_connection

__all__ = ["UsageError", "config_of", "emit_json", "note", "run_connected"]

T = TypeVar("T")


class UsageError(Exception):
    """The command line asks for something impossible (exit code 2)."""


def note(message: str) -> None:
    """A line for people on stderr (stdout stays clean for data)."""
    print(message, file=sys.stderr, flush=True)


def emit_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def config_of(args: argparse.Namespace) -> Config:
    path = Path(args.config_file) if args.config_file else None
    return load_config(path)


def run_connected(
    args: argparse.Namespace,
    body: Callable[[Connection, Config], Awaitable[T]],
    *,
    hold: bool = False,
) -> T:
    """Open the connection (starting the local server if nothing is configured), run
    ``body`` in an event loop, and always close both. Ctrl-C cancels ``body`` cleanly and
    surfaces as KeyboardInterrupt once it has tidied up.

    ``hold`` (long commands such as ``research --follow``): attach to the per-user server
    like an app window, so that it counts this command as a client and, should it go away,
    a new one is started and the command carries on."""
    config = config_of(args)

    async def main() -> T:
        conn = await asyncio.to_thread(
            open_connection, config, base_url=args.base_url, api_key=args.api_key
        )
        if conn.embedded is not None or conn.local is not None:
            note(f"Using the {conn.description} (no API key or base URL configured).")
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
