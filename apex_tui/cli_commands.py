"""CLI commands: the interactive app, ``ask``, ``search`` and ``config`` (chats and research
live in their own modules). Each returns an exit code; errors are raised for ``cli.main``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from apex_tui.cli_chats import run_chats
from apex_tui.cli_research import run_research
from apex_tui.cli_runtime import UsageError, config_of, emit_json, note, run_connected
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

    ``early``: the local server child ``cli.main`` started from the raw config; it is adopted
    if the validated config asks for the same server, else stopped."""
    from apex_tui.services.connection import begin_connection, close_connection

    try:
        config = config_of(args)
        # The local server (if one is needed) runs in a child process while the UI imports.
        pending = begin_connection(
            config, base_url=args.base_url, api_key=args.api_key, early=early
        )
    except BaseException:
        if early is not None:
            early.stop()
        raise
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


# --- ask -----------------------------------------------------------------------------------


def _settings(args: argparse.Namespace, config: Config) -> Any:
    from apex_tui.services.chat_sync import ChatSettings

    return ChatSettings.from_config(
        config,
        completion_type=args.completion_type or None,
        model=args.model or None,
        temperature=args.temperature,
        top_p=args.top_p,
        max_new_tokens=args.max_tokens,
        seed=args.seed,
        system_prompt=args.system,
    )


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def run_ask(args: argparse.Namespace) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise UsageError("the prompt is empty; pass it as an argument or on stdin with `-`")
    if args.no_store and args.chat:
        raise UsageError("--chat continues a stored chat; it cannot be used with --no-store")

    async def body(conn: Any, config: Config) -> int:
        from apex_tui.services.chat_sync import (
            AnswerDelta,
            ChatSync,
            TurnFinished,
            TurnStarted,
            history_messages,
            stream_answer,
        )

        settings = _settings(args, config)  # the config and the flags are already checked
        parts: list[str] = []
        if args.no_store:
            answer = stream_answer(conn.client, history_messages([], prompt), settings)
            async with aclosing(answer):
                async for text in answer:
                    parts.append(text)
                    if not args.json:
                        _write(text)
            result: dict[str, Any] = {"answer": "".join(parts), "stored": False}
        else:
            sync = ChatSync(conn.client, chat_type=config.defaults.chat_type)
            history = await sync.load_turns(args.chat) if args.chat else []
            result = {"chat_id": args.chat, "stored": True}
            events = sync.send(args.chat, prompt, history, settings)
            try:
                async with aclosing(events):
                    async for event in events:
                        if isinstance(event, TurnStarted):
                            result.update(chat_id=event.chat.id, completion_id=event.completion_id)
                            note(f"chat {event.chat.id}")
                        elif isinstance(event, AnswerDelta):
                            parts.append(event.text)
                            if not args.json:
                                _write(event.text)
                        elif isinstance(event, TurnFinished):
                            result.update(
                                answer=event.turn.answer,
                                model=event.turn.metadata.get("model", ""),
                                finish_reason=event.turn.metadata.get("finish_reason", ""),
                            )
            except asyncio.CancelledError:
                if parts and not args.json:
                    _write("\n")
                note(f"interrupted; the partial answer is saved in chat {result['chat_id']}")
                raise
            except Exception:
                if parts and not args.json:
                    _write("\n")
                if result.get("chat_id"):
                    note(f"the partial answer is saved in chat {result['chat_id']}")
                raise
        if args.json:
            emit_json(result)
        elif parts and not parts[-1].endswith("\n"):
            _write("\n")
        return 0

    return run_connected(args, body)


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
            print(f"{rank}. {r.url}\n   {shorten(r.relevant or r.content, PASSAGE_WIDTH)}")
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
