"""``apex-tui ask``: stream an answer to stdout and store the turn as a chat.

It never says an answer is saved unless the server acknowledged the final write. When that
write still fails after its retries, the answer is kept on this machine (``recovery``), the
line on stderr says where and how to write it back, and the command exits 1.

The model's reasoning is kept apart from the answer: hidden (a note says so) unless
``--show-reasoning`` prints it, dimmed, on stderr. Both are made inert unless ``--raw``.
``--no-stream`` asks with one ``ChatCompletion`` call; an answer cut by the token limit says
so.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from apex_tui.cli_runtime import (
    AnswerPrinter,
    StreamSanitizer,
    UsageError,
    emit_json,
    note,
    run_connected,
)
from apex_tui.services.config import Config

if TYPE_CHECKING:
    from apex_tui.services.chat_sync import AnswerDelta, ChatSettings, ReasoningDelta, Turn

__all__ = ["TOKEN_LIMIT_NOTE", "run_ask"]

EXIT_OK, EXIT_API = 0, 1
RECOVER = "write it back with `apex-tui chats recover`"
TOKEN_LIMIT_NOTE = "stopped at the token limit — raise max tokens (--max-tokens) for more"
DIM, UNDIM = "\x1b[2m", "\x1b[0m"


def _settings(args: argparse.Namespace, config: Config) -> ChatSettings:
    """The config's defaults under the flags; both are already checked by the config's rules
    (``--type`` by its choices, the numbers by ``check_setting``)."""
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


class _AskOutput:
    """Where an answer's pieces go: the answer to stdout (``AnswerPrinter``), the reasoning
    to stderr with ``--show-reasoning`` (dimmed on a terminal), else only a note that it was
    hidden; nothing but the JSON with ``--json``. Both inert unless ``--raw``."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.quiet = bool(args.json)
        self.show_reasoning = bool(args.show_reasoning) and not self.quiet
        self.answer = AnswerPrinter(raw=args.raw, quiet=self.quiet)
        self._clean = None if args.raw else StreamSanitizer()
        self._dim = sys.stderr.isatty()
        self.saw_reasoning = False
        self._reasoning_tail = ""
        """The last reasoning written and not yet followed by a line end."""

    def take(self, piece: AnswerDelta | ReasoningDelta) -> None:
        from apex_tui.services.chat_sync import ReasoningDelta

        if isinstance(piece, ReasoningDelta):
            self.saw_reasoning = True
            if self.show_reasoning:
                self._reason(piece.text if self._clean is None else self._clean.feed(piece.text))
            return
        self._end_reasoning()
        self.answer.write(piece.text)

    def _reason(self, text: str) -> None:
        if text:
            sys.stderr.write(f"{DIM}{text}{UNDIM}" if self._dim else text)
            sys.stderr.flush()
            self._reasoning_tail = text

    def _end_reasoning(self) -> None:
        """The reasoning ends on its own line before the answer (or the end) follows."""
        if self._clean is not None and self.show_reasoning:
            self._reason(self._clean.finish())
        if self._reasoning_tail and not self._reasoning_tail.endswith("\n"):
            sys.stderr.write("\n")
            sys.stderr.flush()
        self._reasoning_tail = ""

    def end_line(self) -> None:
        self._end_reasoning()
        self.answer.end_line()

    def notes(self, finish_reason: str) -> None:
        """After a complete answer: what was hidden, and a cut at the token limit."""
        if self.quiet:
            return
        if self.saw_reasoning and not self.show_reasoning:
            note("(the model's reasoning was hidden; --show-reasoning shows it)")
        if finish_reason == "length":
            note(TOKEN_LIMIT_NOTE)


def _finished(turn: Turn) -> dict[str, Any]:
    """What ``--json`` says of a finished turn (beside the chat's ids)."""
    found: dict[str, Any] = {
        "answer": turn.answer,
        "model": turn.metadata.get("model", ""),
        "finish_reason": turn.finish_reason,
        "usage": turn.metadata.get("usage", {}),
        "stored": turn.saved,
    }
    if turn.reasoning:
        found["reasoning"] = turn.reasoning
    return found


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
    conn: Any, config: Config, args: argparse.Namespace, prompt: str, out: _AskOutput
) -> int:
    from apex_tui.services.chat_sync import (
        AnswerDelta,
        ChatSync,
        ReasoningDelta,
        TurnFinished,
        TurnStarted,
    )

    settings = _settings(args, config)
    sync = ChatSync(conn.client, chat_type=config.defaults.chat_type)
    # a stored chat continues from the end of its chosen branch (``services.branches``)
    tree = await sync.load_tree(args.chat) if args.chat else None
    history = tree.path() if tree is not None else []
    place = tree.place_after(history[-1].completion_id if history else None) if tree else None
    result: dict[str, Any] = {"chat_id": args.chat, "stored": False}
    events = sync.send(
        args.chat, prompt, history, settings, unary=bool(args.no_stream), place=place
    )
    try:
        async with aclosing(events):
            async for event in events:
                if isinstance(event, TurnStarted):
                    result.update(chat_id=event.chat.id, completion_id=event.completion_id)
                    note(f"chat {event.chat.id}")
                elif isinstance(event, TurnFinished):
                    result.update(_finished(event.turn))
                elif isinstance(event, AnswerDelta | ReasoningDelta):
                    out.take(event)
    except (asyncio.CancelledError, Exception) as exc:
        out.end_line()
        line = _after_break(
            sync.last_turn, result.get("chat_id"), isinstance(exc, asyncio.CancelledError)
        )
        if line:
            note(line)
        raise
    out.end_line()
    turn = sync.last_turn
    if turn is not None and not turn.saved:
        result["recovery_file"] = turn.recovery_file or None
    if args.json:
        emit_json(result)
    if turn is not None and not turn.saved:
        note("apex-tui: " + unsaved_line(turn, result["chat_id"]))
        return EXIT_API
    out.notes(str(result.get("finish_reason") or ""))
    return EXIT_OK


async def _ask_unstored(
    conn: Any, config: Config, args: argparse.Namespace, prompt: str, out: _AskOutput
) -> int:
    from apex_tui.services.chat_sync import StreamProgress, history_messages, stream_answer

    progress = StreamProgress()
    answer = stream_answer(
        conn.client,
        history_messages([], prompt),
        _settings(args, config),
        progress=progress,
        unary=bool(args.no_stream),
    )
    try:
        async with aclosing(answer):
            async for piece in answer:
                out.take(piece)
    finally:
        out.end_line()
    if args.json:
        reasoning, text = progress.split()
        result: dict[str, Any] = {
            "answer": text,
            "stored": False,
            "model": progress.model,
            "finish_reason": progress.finish_reason,
            "usage": progress.usage,
        }
        if reasoning:
            result["reasoning"] = reasoning
        emit_json(result)
    out.notes(progress.finish_reason)
    return EXIT_OK


def run_ask(args: argparse.Namespace) -> int:
    prompt = sys.stdin.read() if args.prompt == "-" else args.prompt
    if not prompt.strip():
        raise UsageError("the prompt is empty; pass it as an argument or on stdin with `-`")
    if args.no_store and args.chat:
        raise UsageError("--chat continues a stored chat; it cannot be used with --no-store")

    async def body(conn: Any, config: Config) -> int:
        out = _AskOutput(args)
        if args.no_store:
            return await _ask_unstored(conn, config, args, prompt, out)
        return await _ask_stored(conn, config, args, prompt, out)

    return run_connected(args, body)
