"""``apex-tui server status|stop|logs|grpc-key``: the per-user local server, from the CLI.

None of these starts a server. ``status`` asks the running one (``/apex-tui/v1/status``);
``stop`` asks it to stop, asking first (or refusing, without a terminal) when research jobs
run — they pause and resume at its next start; ``logs`` prints the server log's tail.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apex_tui.cli_runtime import UsageError, emit_json, note
from apex_tui.services import runtime_files as files
from apex_tui.services.local_admin import AdminError, server_status
from apex_tui.services.paths import state_dir
from apex_tui.services.runtime_files import ServerRecord
from apex_tui.services.server_plan import grpc_key_path

__all__ = ["run_server"]


def _found() -> tuple[Path, ServerRecord | None]:
    folder = files.runtime_folder()
    if not folder.is_dir():
        return folder, None
    return files.private_folder(folder), files.live_record(folder)


def _token(folder: Path, record: ServerRecord) -> str | None:
    if record.uds is not None:
        return None
    try:
        return (folder / files.TOKEN_NAME).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _status(args: argparse.Namespace) -> int:
    folder, record = _found()
    if record is None:
        if args.json:
            emit_json({"running": False, "folder": str(folder)})
        else:
            print("no local server is running (the app or any command starts it)")
        return 0
    try:
        status = server_status(record, _token(folder, record))
    except AdminError as exc:
        raise AdminError(f"local server pid {record.pid} at {record.address}: {exc}") from None
    if args.json:
        fields = {name: getattr(status, name) for name in type(status).model_fields}
        data: dict[str, Any] = {"running": True, **fields}  # every field, defaults too
        data.update(description=record.description, log=record.log, folder=str(folder))
        emit_json(data)
        return 0
    started = datetime.fromtimestamp(record.started, UTC).strftime("%Y-%m-%d %H:%M UTC")
    jobs = status.running_jobs
    rows = [
        ("address", status.address or record.address),
        ("pid", str(status.pid)),
        ("version", f"apex-tui {status.version}"),
        ("uptime", f"{_duration(status.uptime_seconds)} (since {started})"),
        ("engine", record.description.removeprefix("local server, ")),
        ("database", status.database),
        ("jobs", f"{len(jobs)} running" + (f": {', '.join(jobs)}" if jobs else "")),
        ("clients", f"{status.clients} attached (app windows, following commands)"),
        ("idle exit", _idle(status.idle_minutes, status.retiring)),
        ("log", record.log),
    ]
    print("local server: running")
    for name, value in rows:
        print(f"  {name:<10} {value}")
    return 0


def _idle(minutes: float | None, retiring: bool) -> str:
    if retiring:
        return "as soon as nothing uses it (another version or settings replace it)"
    if minutes is None:
        return "never (runs until stopped)"
    return f"after {minutes:g} min with no client, request or job"


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _stop(args: argparse.Namespace) -> int:
    from apex_tui.services.user_server import stop_server

    folder, record = _found()
    if record is None:
        print("no local server is running")
        return 0
    token = _token(folder, record)
    try:
        status = server_status(record, token)
    except AdminError:
        if not args.force:
            raise
        status = None
    if status is not None and status.running_jobs and not (args.yes or args.force):
        count = len(status.running_jobs)
        what = f"{count} research job{'s' if count > 1 else ''} running"
        question = (
            f"{what} ({', '.join(status.running_jobs)}): stopping pauses them; they resume "
            "when the local server next starts (the app or any command starts it). Stop now?"
        )
        if not _confirm(question):
            note(
                f"not stopped: {what}; they would pause until the local server next starts. "
                "Run `apex-tui server stop --yes` to stop it anyway."
            )
            return 1
    if status is not None and status.clients:
        note(
            f"{status.clients} app window(s) or following command(s) are attached: they start "
            "a new local server at once (with the current [server] settings); quit them to "
            "stop it for good"
        )
    if not stop_server(record, token, force=args.force):
        note(
            f"the local server (pid {record.pid}) did not stop in time; "
            "`apex-tui server stop --force` ends it"
        )
        return 1
    note(f"stopped the local server (pid {record.pid})")
    return 0


def _printable(line: str) -> str:
    """The log holds request paths: keep control characters off the terminal."""
    return "".join(c if c.isprintable() or c == "\t" else "\N{REPLACEMENT CHARACTER}" for c in line)


def _logs(args: argparse.Namespace) -> int:
    if args.lines < 0:
        raise UsageError("--lines must be 0 or more")
    _, record = _found()
    path = Path(record.log) if record is not None else state_dir() / "server.log"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        if not args.follow:
            note(f"no server log yet ({path}); the local server writes it once started")
            return 0
        text = ""
    lines = text.splitlines()
    for line in lines[-args.lines :] if args.lines else []:
        print(_printable(line))
    if args.follow:
        _follow(path, len(text.encode("utf-8")))
    return 0


def _follow(path: Path, offset: int) -> None:
    """Print what is appended, like ``tail -F`` (a new server starts a new log: reopened)."""
    sys.stdout.flush()
    inode = None
    while True:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            time.sleep(0.5)
            continue
        if inode is not None and (info.st_ino != inode or info.st_size < offset):
            offset = 0  # rotated: the new log from its start
        inode = info.st_ino
        if info.st_size > offset:
            with open(path, "rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
            cut = chunk.rfind(b"\n") + 1
            for line in chunk[:cut].decode("utf-8", "replace").splitlines():
                print(_printable(line), flush=True)
            offset += cut
        time.sleep(0.5)


def run_server(args: argparse.Namespace) -> int:
    command = args.server_command
    if command == "status":
        return _status(args)
    if command == "stop":
        return _stop(args)
    if command == "grpc-key":
        return _grpc_key()
    return _logs(args)


def _grpc_key() -> int:
    """The key of the local server's gRPC port, for ``MACROCOSMOS_API_KEY=$(…)``."""
    path = grpc_key_path()
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise UsageError(
            f"no gRPC key yet ({path}): set server.grpc_port "
            "(apex-tui config set server.grpc_port 50051), then start apex-tui once"
        ) from None
    print(key)
    return 0
