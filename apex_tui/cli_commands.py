"""CLI commands: the interactive app, ``search`` and ``config`` (``ask``, chats, research and
``models`` live in their own modules). Each returns an exit code; errors are raised for
``cli.main``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from apex_tui.cli_ask import run_ask
from apex_tui.cli_chats import run_chats
from apex_tui.cli_research import run_research
from apex_tui.cli_runtime import UsageError, config_of, emit_json, note, one_line, run_connected
from apex_tui.services.config import Config
from apex_tui.shorten import shorten

if TYPE_CHECKING:
    from apex_tui.services.local_plan import EarlyLocalServer

__all__ = [
    "run_ask",
    "run_chats",
    "run_config",
    "run_interactive",
    "run_research",
    "run_search",
]


def run_interactive(args: argparse.Namespace, early: EarlyLocalServer | None = None) -> int:
    """Open the Textual app on the resolved connection (the only command importing the UI).

    ``early``: the per-user local server ``cli.main`` found or started from the raw config;
    it is adopted if the validated config asks for the same server."""
    from apex_tui.services.connection import begin_connection, close_connection

    config = config_of(args)
    # A local server that had to be started starts while the UI imports.
    pending = begin_connection(config, base_url=args.base_url, api_key=args.api_key, early=early)
    try:
        from apex_tui.ui.app import run_app
    except ModuleNotFoundError as exc:
        pending.cancel()
        if exc.name not in ("apex_tui.ui.app",):
            raise
        raise UsageError(
            "the interactive app is not part of this build; use the commands (`apex-tui --help`)"
        ) from None
    except BaseException:
        pending.cancel()
        raise
    conn = pending.finish(wait=False)  # ApexApp reports a server that failed to start
    try:
        return int(run_app(conn, config))
    finally:
        close_connection(conn)


# --- search --------------------------------------------------------------------------------

PASSAGE_WIDTH = 400
"""Columns of a result's passage: a few lines of a terminal, ending at a whole word."""


def run_search(args: argparse.Namespace) -> int:
    async def body(conn: Any, config: Config) -> int:
        from apex_tui.api.models import WebRetrievalRequest

        s = config.search
        reply = await conn.client.web_retrieval(
            WebRetrievalRequest(
                search_query=args.query,
                n_miners=args.miners or s.n_miners,
                n_results=args.results or s.n_results,
                max_response_time=args.max_time or s.max_response_time,
            )
        )
        results = [r for r in reply.results if r.url or r.content]
        if args.json:
            emit_json(
                [{"url": r.url, "relevant": r.relevant, "content": r.content} for r in results]
            )
            return 0
        if not results:
            note("no results")
        for rank, r in enumerate(results, start=1):
            passage = shorten(one_line(r.relevant or r.content), PASSAGE_WIDTH)
            print(f"{rank}. {one_line(r.url)}\n   {passage}")
        return 0

    return run_connected(args, body)


# --- config --------------------------------------------------------------------------------


def _mask(value: str | None) -> str | None:
    if not value:
        return value
    return "****" + value[-4:] if len(value) > 8 else "****"


def run_config(args: argparse.Namespace) -> int:
    from pathlib import Path

    from apex_tui.services.config import (
        config_path,
        load_config,
        save_config,
        set_value,
        unset_value,
    )

    path = Path(args.config_file) if args.config_file else config_path()
    command = args.config_command
    if command == "path":
        print(path)
        return 0
    config = load_config(path)  # a malformed file stops here: it is never overwritten
    if command == "show":
        data = config.model_dump(mode="json")
        data["api_key"] = _mask(data.get("api_key"))
        data["server"]["upstream_key"] = _mask(data["server"].get("upstream_key"))
        if args.json:
            emit_json(data)
        else:
            import tomli_w

            clean = {k: v for k, v in data.items() if v is not None}
            clean["server"] = {k: v for k, v in data["server"].items() if v is not None}
            clean["defaults"] = {k: v for k, v in data["defaults"].items() if v is not None}
            print(f"# {path}\n" + tomli_w.dumps(clean), end="")
        return 0
    if command == "set":
        set_value(config, args.key, args.value, config_file=path)
        save_config(config, path)
        note(f"set {args.key} in {path}")
        return 0
    unset_value(config, args.key)
    save_config(config, path)
    note(f"unset {args.key} in {path}")
    return 0
