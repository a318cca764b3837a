"""``apex-tui serve``: run the local Apex server in the foreground until Ctrl-C.

The same command is the per-user local server apex-tui starts on demand (``services.user_server``):
then it listens on a Unix socket it was handed (``--fd``), reports readiness on a pipe
(``--ready-fd``), runs detached with its output in the server log, and exits when unused for
``--idle-minutes``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from apex_tui.server.embedded import (
    ApexUvicornServer,
    bind_socket,
    bind_unix_socket,
    make_server,
)
from apex_tui.server.grpc import GrpcUnavailable, require_grpc
from apex_tui.server.lifetime import TOKEN_HEADER
from apex_tui.server.options import ServerOptions, default_db_path
from apex_tui.server.storage import StorageError

READY_PREFIX = "apex-tui-server-ready "
"""Same literal as ``apex_tui.services.local_server.READY_PREFIX`` (the parent reads it)."""
UPSTREAM_KEY_ENV = "APEX_TUI_UPSTREAM_KEY"
"""``--upstream-key`` from the environment: a parent passes it there, not on the argv."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apex-tui serve",
        description="Run a local Apex-compatible server (apex.v1.ApexService over Connect, "
        "and over gRPC with --grpc-port).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (0 = any free port)")
    parser.add_argument(
        "--grpc-port",
        type=int,
        default=None,
        help="also serve gRPC on this port, for the macrocosmos SDK (0 = any free port; "
        "needs pip install 'apex-tui[grpc]')",
    )
    parser.add_argument(
        "--grpc-key-file",
        type=Path,
        default=None,
        help="over gRPC accept only the key in this file (created, mode 0600, if missing); "
        "such callers get the chats of --grpc-owner-key",
    )
    parser.add_argument("--grpc-owner-key", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--uds", metavar="PATH", help="listen on this Unix socket (mode 0600) instead of a port"
    )
    parser.add_argument("--db", type=Path, default=None, help=f"SQLite file ({default_db_path()})")
    parser.add_argument(
        "--api-key", action="append", default=[], help="accept only this key (repeatable)"
    )
    parser.add_argument("--keys-file", type=Path, help="file with one accepted key per line")
    parser.add_argument("--engine", choices=("offline", "openai"), default="offline")
    parser.add_argument("--upstream", help="OpenAI-compatible base URL for --engine openai")
    parser.add_argument("--upstream-key", help="API key for the upstream")
    parser.add_argument("--upstream-model", help="model name sent to the upstream")
    parser.add_argument(
        "--tokens-per-second", type=float, default=60.0, help="offline streaming rate (0 = max)"
    )
    parser.add_argument(
        "--research-step-seconds", type=float, default=3.0, help="pause between research steps"
    )
    parser.add_argument(
        "--faults", action="store_true", help="honour X-Apex-Fault headers (testing only)"
    )
    parser.add_argument("--searxng", help="SearXNG base URL for live web search")
    parser.add_argument(
        "--fetch-private-pages",
        action="store_true",
        help="live search may read pages on loopback/private addresses (intranets, testing)",
    )
    parser.add_argument(
        "--ready-line",
        action="store_true",
        help=f"print '{READY_PREFIX}http://HOST:PORT' on stdout once listening (for a parent)",
    )
    parser.add_argument(
        "--ready-fd",
        type=int,
        default=None,
        metavar="FD",
        help="write the ready line to this inherited pipe, then close it (for a parent)",
    )
    parser.add_argument(
        "--idle-minutes",
        type=float,
        default=None,
        metavar="M",
        help="exit after M minutes with no client attached, no request and no research job",
    )
    parser.add_argument(
        "--token-file",
        type=Path,
        metavar="PATH",
        help=f"refuse requests without the token in this file (header {TOKEN_HEADER})",
    )
    parser.add_argument(
        "--db-wait",
        type=float,
        default=0.0,
        metavar="S",
        help="wait up to S seconds for another server to let go of the database",
    )
    parser.add_argument(
        "--fd",
        type=int,
        default=None,
        help="serve on this inherited listening socket instead of --host/--port (for a parent)",
    )
    parser.add_argument(
        "--stdin-lifeline",
        action="store_true",
        help="shut down gracefully when stdin reaches EOF (the parent closed it or died)",
    )
    return parser


def _keys(args: argparse.Namespace) -> list[str] | None:
    keys = list(args.api_key)
    if args.keys_file:
        text = args.keys_file.read_text(encoding="utf-8")
        keys += [line.strip() for line in text.splitlines() if line.strip()]
        keys = [k for k in keys if not k.startswith("#")]
    return keys or None


def _inherited(fd: int) -> socket.socket:
    """The listening socket a parent bound and passed down (it knows the address already)."""
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    return sock


def _read_token(path: Path) -> str:
    """The access token; a file other users could read would defeat it, so it is refused."""
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise ValueError(f"the token file {path} is readable by other users; chmod 600 it")
    token = path.read_text(encoding="utf-8").strip()
    if not token:
        raise ValueError(f"the token file {path} is empty")
    return token


def grpc_key_from(path: Path) -> str:
    """The gRPC key in ``path``, made now (random, mode 0600) if the file does not exist."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_token(path)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        key = secrets.token_urlsafe(32)
        out.write(key + "\n")
    return key


def _listen(args: argparse.Namespace) -> socket.socket:
    if args.fd is not None:
        return _inherited(args.fd)
    if args.uds:
        return bind_unix_socket(args.uds)
    return bind_socket(args.host, args.port)


def _address(sock: socket.socket) -> str:
    """``unix:/path`` or ``http://host:port``: what clients connect to."""
    if getattr(socket, "AF_UNIX", None) is not None and sock.family == socket.AF_UNIX:
        return f"unix:{sock.getsockname()}"
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _report_ready(args: argparse.Namespace, address: str) -> None:
    """Tell the parent (if one asked) that requests are being served now."""
    line = f"{READY_PREFIX}{address}\n"
    if args.ready_line:
        sys.stdout.write(line)
        sys.stdout.flush()
    if args.ready_fd is not None:
        with contextlib.suppress(OSError):  # the parent may be gone: nobody to tell
            os.write(args.ready_fd, line.encode())
        with contextlib.suppress(OSError):
            os.close(args.ready_fd)


def serve_main(argv: list[str]) -> int:
    """Parse ``argv`` (without ``serve``), run until interrupted; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sock: socket.socket | None = None
    try:
        options = ServerOptions(
            db_path=args.db or default_db_path(),
            api_keys=_keys(args),
            engine=args.engine,
            tokens_per_second=args.tokens_per_second,
            research_step_seconds=args.research_step_seconds,
            faults_enabled=args.faults,
            upstream_url=args.upstream,
            upstream_key=args.upstream_key or os.environ.get(UPSTREAM_KEY_ENV) or None,
            upstream_model=args.upstream_model,
            host=args.host,
            port=args.port,
            grpc_port=args.grpc_port,
            searxng_url=args.searxng,
            fetch_private_pages=args.fetch_private_pages,
            idle_minutes=args.idle_minutes,
            access_token=_read_token(args.token_file) if args.token_file else None,
            grpc_key=grpc_key_from(args.grpc_key_file) if args.grpc_key_file else None,
            grpc_owner_key=args.grpc_owner_key,
            db_wait=args.db_wait,
        )
        if options.grpc_port is not None:
            require_grpc()  # before the database opens
        sock = _listen(args)
        server, state = make_server(options)
    except (ValueError, OSError, StorageError, GrpcUnavailable) as exc:
        if sock is not None:
            sock.close()
        print(f"apex-tui serve: {exc}", file=sys.stderr)
        return 2
    address = state.address = _address(sock)
    if args.stdin_lifeline:
        _watch_stdin(server)
    try:
        asyncio.run(
            _serve(server, sock, address, args.idle_minutes, lambda: _report_ready(args, address))
        )
    except KeyboardInterrupt:
        pass
    except OSError as exc:  # the gRPC port is busy
        print(f"apex-tui serve: {exc}", file=sys.stderr)
        return 2
    finally:
        sock.close()
        if args.uds and not args.fd:
            with contextlib.suppress(OSError):
                os.unlink(args.uds)
    return 0


def _banner(
    server: ApexUvicornServer, address: str, grpc_address: str | None, idle_minutes: float | None
) -> str:
    options = server.state.options
    keys = "only the configured keys" if options.api_keys else "any non-empty key"
    idle = f"; exits after {idle_minutes:g} min unused" if idle_minutes is not None else ""
    where = f"{address} (Connect) and {grpc_address} (gRPC)" if grpc_address else address
    text = (
        f"Apex server on {where} (engine {options.engine}, db {options.db_path}, "
        f"accepting {keys}{idle}). Ctrl-C stops it."
    )
    if grpc_address:
        text += (
            f"\nSDK scripts: MACROCOSMOS_BASE_URL={grpc_address} MACROCOSMOS_USE_HTTPS=false "
            "MACROCOSMOS_API_KEY=<key> python script.py"
        )
    return text


async def _serve(
    server: ApexUvicornServer,
    sock: socket.socket,
    address: str,
    idle_minutes: float | None,
    ready: Callable[[], None],
) -> None:
    """Bind gRPC (if asked) on this loop, say where we listen, serve; once uvicorn has
    started, report readiness (if a parent asked)."""
    grpc_address = server.bind_grpc()
    print(_banner(server, address, grpc_address, idle_minutes), file=sys.stderr, flush=True)
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.005)
    if server.started:
        ready()
    await task


def _watch_stdin(server: ApexUvicornServer) -> None:
    """EOF on stdin (the parent closed it, or died: the pipe closes with it) starts the same
    graceful shutdown as Ctrl-C: open streams end with an end envelope, research is kept."""

    def watch() -> None:
        with contextlib.suppress(OSError, ValueError):
            while sys.stdin.buffer.read(4096):
                pass
        logging.getLogger("apex_tui.server").info("stdin closed: shutting down")
        server.should_exit = True

    threading.Thread(target=watch, name="apex-stdin-lifeline", daemon=True).start()
