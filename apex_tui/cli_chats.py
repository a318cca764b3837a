"""``apex-tui chats …``: list, show, search, rename, delete and export stored chats."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from apex_tui.cli_runtime import UsageError, emit_json, note, run_connected
from apex_tui.services.config import Config

__all__ = ["chat_markdown", "run_chats"]


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


def chat_markdown(title: str, turns: list[Any]) -> str:
    """A chat as Markdown: a heading, then each prompt and answer."""
    lines = [f"# {title or 'Untitled chat'}", ""]
    for turn in turns:
        lines += [
            "## You",
            "",
            turn.prompt.strip(),
            "",
            "## Apex",
            "",
            turn.answer.strip() or "_(no answer)_",
        ]
        if turn.interrupted:
            lines += ["", "_(interrupted)_"]
        lines.append("")
    return "\n".join(lines)


def _chat_plain(title: str, turns: list[Any]) -> str:
    lines = [title or "Untitled chat", "=" * min(60, len(title or "Untitled chat")), ""]
    for turn in turns:
        lines += [f"> {line}" for line in turn.prompt.strip().splitlines()] + [""]
        lines += [turn.answer.strip() or "(no answer)"]
        if turn.interrupted:
            lines.append("[interrupted]")
        lines.append("")
    return "\n".join(lines)


def _turn_json(turn: Any) -> dict[str, Any]:
    return {
        "completion_id": turn.completion_id,
        "prompt": turn.prompt,
        "answer": turn.answer,
        "completion_type": turn.completion_type,
        "created_at": turn.created_at.isoformat() if turn.created_at else None,
        "interrupted": turn.interrupted,
        "metadata": turn.metadata,
    }


def _session_json(s: Any) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "chat_type": s.chat_type,
        "created_at": s.created_at.isoformat() if s.created_at else None,
        "updated_at": s.updated_at.isoformat() if s.updated_at else None,
    }


async def _title_of(client: Any, chat_id: str) -> Any:
    sessions = await client.get_chat_sessions("")
    return next((s for s in sessions if s.id == chat_id), None)


def _confirm(count: int) -> bool:
    if not sys.stdin.isatty():
        raise UsageError("deleting needs confirmation; pass --yes when not at a terminal")
    answer = input(f"Delete {count} chat{'s' if count != 1 else ''} and their answers? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run_chats(args: argparse.Namespace) -> int:
    command = args.chats_command
    if command == "delete" and not args.yes and not _confirm(len(args.chat_ids)):
        note("nothing deleted")
        return 0

    async def body(conn: Any, config: Config) -> int:
        from apex_tui.services.chat_sync import ChatSync

        client = conn.client
        sync = ChatSync(client, chat_type=config.defaults.chat_type)
        if command == "list":
            sessions = await client.get_chat_sessions(args.chat_type)
            if args.json:
                emit_json([_session_json(s) for s in sessions])
            for s in [] if args.json else sessions:
                print(f"{s.id}  {_when(s.updated_at)}  {s.chat_type or '-':7}  {s.title}")
            if not sessions and not args.json:
                note('no chats yet; start one with `apex-tui ask "…"`')
            return 0
        if command == "search":
            ids = await client.search_chat_ids(args.term)
            sessions = {s.id: s for s in await client.get_chat_sessions("")}
            found = [sessions[i] for i in ids if i in sessions]
            if args.json:
                emit_json([_session_json(s) for s in found])
                return 0
            for s in found:
                print(f"{s.id}  {_when(s.updated_at)}  {s.title}")
            if not found:
                note(f"no chat mentions {args.term!r}")
            return 0
        if command == "rename":
            chat = await client.update_chat_attributes(args.chat_id, title=args.title)
            note(f"renamed {chat.id} to {chat.title!r}")
            return 0
        if command == "delete":
            await client.delete_chats(args.chat_ids)
            note(f"deleted {len(args.chat_ids)} chat{'s' if len(args.chat_ids) != 1 else ''}")
            return 0
        # show / export
        turns = await sync.load_turns(args.chat_id)
        session = await _title_of(client, args.chat_id)
        title = session.title if session is not None else ""
        as_json = args.json if command == "show" else args.format == "json"
        if as_json:
            data: dict[str, Any] = {
                "chat": _session_json(session) if session else {"id": args.chat_id},
                "turns": [_turn_json(t) for t in turns],
            }
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        elif command == "export" or args.markdown:
            text = chat_markdown(title, turns)
        else:
            text = _chat_plain(title, turns)
        if command == "export" and args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            note(f"wrote {args.output}")
        else:
            sys.stdout.write(text)
        return 0

    return run_connected(args, body)
