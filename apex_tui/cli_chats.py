"""``apex-tui chats …``: list, show, search, rename, delete, export stored chats, and recover
answers the server never acknowledged (kept on this machine by ``services.recovery``).

Titles and answers are the server's text: they reach the terminal (and an exported file)
through the sanitizer unless ``--raw`` is given."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from apex_tui.cli_runtime import UsageError, emit_json, note, one_line, run_connected, shown
from apex_tui.services.chat_export import chat_plain, export_chat, session_json
from apex_tui.services.config import Config

__all__ = ["run_chats"]


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"


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
                emit_json([session_json(s) for s in sessions])
            for s in [] if args.json else sessions:
                kind = one_line(s.chat_type) or "-"
                print(f"{one_line(s.id)}  {_when(s.updated_at)}  {kind:7}  {one_line(s.title)}")
            if not sessions and not args.json:
                note('no chats yet; start one with `apex-tui ask "…"`')
            return 0
        if command == "search":
            ids = await client.search_chat_ids(args.term)
            sessions = {s.id: s for s in await client.get_chat_sessions("")}
            found = [sessions[i] for i in ids if i in sessions]
            if args.json:
                emit_json([session_json(s) for s in found])
                return 0
            for s in found:
                print(f"{one_line(s.id)}  {_when(s.updated_at)}  {one_line(s.title)}")
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
        # show / export: the chosen branch, or (export --all-branches) every branch
        tree = await sync.load_tree(args.chat_id)
        turns = tree.path()
        every = command == "export" and args.all_branches
        session = await _title_of(client, args.chat_id)
        title = session.title if session is not None else ""
        as_json = args.json if command == "show" else args.format == "json"
        if as_json or command == "export" or args.markdown:
            fmt = "json" if as_json else "md"
            branches = tree if every else None
            text = export_chat(args.chat_id, session, turns, fmt, raw=args.raw, tree=branches)
        else:
            text = shown(chat_plain(title, turns), raw=args.raw)
        if command == "export" and args.output:
            _write_file(Path(args.output), text)
            note(f"wrote {args.output}")
        else:
            sys.stdout.write(text)
        if tree.has_branches and not every:
            note(
                f"this is the chosen branch ({len(turns)} of the chat's {len(tree)} turns); "
                f"every branch: apex-tui chats export {args.chat_id} --all-branches"
            )
        return 0

    if command == "recover":
        return run_connected(args, _recover, unsaved_notice=False)
    if command == "export" and args.output:
        _check_writable(Path(args.output))  # before asking the server anything
    return run_connected(args, body)


def _check_writable(path: Path) -> None:
    """A usage error naming the path when ``-o`` cannot be written (exit 2, no traceback)."""
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file name, e.g. -o {path / 'chat.md'}")
    if not path.parent.is_dir():
        raise UsageError(
            f"the folder {path.parent} does not exist; create it first or choose another -o path"
        )


def _write_file(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None


async def _recover(conn: Any, config: Config) -> int:
    """``chats recover``: write kept answers back; exit 1 while any is still kept."""
    from apex_tui.services.recovery import RecoveryStore, restore_unsaved

    store = RecoveryStore()
    pending = store.pending()
    if not pending:
        note("no unsaved answers are kept here; nothing to recover")
        return 0
    report = await restore_unsaved(conn.client, store, pending)
    for answer in report.restored:
        note(f"restored the answer of completion {answer.completion_id} in chat {answer.chat_id}")
    for answer, reason in report.kept:
        note(f"kept {store.path_for(answer.completion_id)}: {reason}")
    if report.unreachable is not None:
        note(f"the server could not be reached: {report.unreachable}")
    return 1 if report.kept else 0
