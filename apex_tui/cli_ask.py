"""``apex-tui ask``: stream an answer to stdout and store the turn as a chat.

It never says an answer is saved unless the server acknowledged the final write. When that
write still fails after its retries, the answer is kept on this machine (``recovery``), the
line on stderr says where and how to write it back, and the command exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from apex_tui.cli_runtime import AnswerPrinter, UsageError, emit_json, note, run_connected
from apex_tui.services.config import Config

if TYPE_CHECKING:
    from apex_tui.services.chat_sync import ChatSettings, Turn

__all__ = ["run_ask"]

EXIT_OK, EXIT_API = 0, 1
RECOVER = "write it back with `apex-tui chats recover`"


def _settings(args: argparse.Namespace, config: Config) -> ChatSettings:
    from apex_tui.services.chat_sync import ChatSettings
    from apex_tui.services.completion_types import COMPLETION_TYPES

    settings = ChatSettings.from_config(
        config,
        completion_type=args.completion_type or None,
        model=args.model or None,
        temperature=args.temperature,
        top_p=args.top_p,
        max_new_tokens=args.max_tokens,
        seed=args.seed,
        system_prompt=args.system,
    )
    if settings.completion_type not in COMPLETION_TYPES:
        raise UsageError(f"unknown completion type {settings.completion_type!r} in config")
    return settings


def unsaved_line(turn: Turn, chat_id: str, what: str = "the answer") -> str:
    """What happened to an answer the server did not acknowledge, and what to do."""
    reason = turn.error.rpartition("not saved: ")[2] or "the server did not confirm the write"
    where = f"it is kept in {turn.recovery_file}; {RECOVER}" if turn.recovery_file else ""
    return f"{what} could not be saved in chat {chat_id} ({reason}); " + (
        where or "nothing could be kept locally"
    )


def _after_break(turn: Turn | None, chat_id: str | None, cancelled: bool) -> str | None:
    """The line after a stream that broke or was interrupted: only true claims."""
    if turn is None or not chat_id:
        return None
    head = "interrupted; " if cancelled else ""
    if not turn.answer:  # the prompt itself was acknowledged when the turn was created
        return f"{head}no answer arrived; the prompt is saved in chat {chat_id}"
    if turn.saved:
        return f"{head}the partial answer is saved in chat {chat_id}"
    return head + unsaved_line(turn, chat_id, "the partial answer")


async def _ask_stored(
    conn: Any, config: Config, args: argparse.Namespace, prompt: str, printer: AnswerPrinter
) -> int:
    from apex_tui.services.chat_sync import AnswerDelta, ChatSync, TurnFinished, TurnStarted

    settings = _settings(args, config)
    sync = ChatSync(conn.client, chat_type=config.defaults.chat_type)
    history = await sync.load_turns(args.chat) if args.chat else []
    result: dict[str, Any] = {"chat_id": args.chat, "stored": False}
    events = sync.send(args.chat, prompt, history, settings)
    try:
        async with aclosing(events):
            async for event in events:
                if isinstance(event, TurnStarted):
                    result.update(chat_id=event.chat.id, completion_id=event.completion_id)
                    note(f"chat {event.chat.id}")
                elif isinstance(event, AnswerDelta):
                    printer.write(event.text)
                elif isinstance(event, TurnFinished):
                    result.update(
                        answer=event.turn.answer,
                        model=event.turn.metadata.get("model", ""),
                        finish_reason=event.turn.metadata.get("finish_reason", ""),
                        stored=event.turn.saved,
                    )
    except (asyncio.CancelledError, Exception) as exc:
        printer.end_line()
        line = _after_break(
            sync.last_turn, result.get("chat_id"), isinstance(exc, asyncio.CancelledError)
        )
        if line:
            note(line)
        raise
    printer.end_line()
    turn = sync.last_turn
    if turn is not None and not turn.saved:
        result["recovery_file"] = turn.recovery_file or None
    if args.json:
        emit_json(result)
    if turn is not None and not turn.saved:
        note("apex-tui: " + unsaved_line(turn, result["chat_id"]))
        return EXIT_API
    return EXIT_OK


def run_ask(args: argparse.Namespace) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise UsageError("the prompt is empty; pass it as an argument or on stdin with `-`")
    if args.no_store and args.chat:
        raise UsageError("--chat continues a stored chat; it cannot be used with --no-store")

    async def body(conn: Any, config: Config) -> int:
        from apex_tui.services.chat_sync import history_messages, stream_answer

        printer = AnswerPrinter(raw=args.raw, quiet=args.json)
        if not args.no_store:
            return await _ask_stored(conn, config, args, prompt, printer)
        parts: list[str] = []
        answer = stream_answer(conn.client, history_messages([], prompt), _settings(args, config))
        try:
            async with aclosing(answer):
                async for text in answer:
                    parts.append(text)
                    printer.write(text)
        finally:
            printer.end_line()
        if args.json:
            emit_json({"answer": "".join(parts), "stored": False})
        return EXIT_OK

    return run_connected(args, body)
