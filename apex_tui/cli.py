"""The ``apex-tui`` command line: the interactive app by default, plus scriptable commands.

Parsing imports nothing heavy (``--version`` and ``--help`` stay fast); each command imports
what it needs, and only the interactive command imports the UI (and so Textual).

Exit codes: 0 ok, 1 API or network error, 2 usage or config error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from apex_tui import __version__
from apex_tui.import_guards import skip_trio

if TYPE_CHECKING:
    from apex_tui.services.local_plan import EarlyLocalServer

__all__ = ["EXIT_API", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
COMPLETION_TYPE_CHOICES = ("basic", "web-search", "chain-of-thought", "reasoning", "combined")
"""Mirrors ``services.completion_types.COMPLETION_TYPES`` (kept literal so parsing is fast)."""


def _setting(key: str) -> Callable[[str], object]:
    """An argparse ``type`` checking a flag by the config's rule for ``key``
    (``services.config.check_setting``); the config models load only when such a flag is
    given, so ``--help`` and ``--version`` stay fast."""

    def parse(raw: str) -> object:
        from apex_tui.services.config import ConfigError, check_setting

        try:
            return check_setting(key, raw)
        except ConfigError as exc:
            raise argparse.ArgumentTypeError(str(exc).removeprefix(f"{key}: ")) from None

    parse.__name__ = key  # argparse names the type in some of its messages
    return parse


def _text(what: str) -> Callable[[str], str]:
    """An argparse ``type`` refusing empty (or blank) text."""

    def parse(raw: str) -> str:
        if not raw.strip():
            raise argparse.ArgumentTypeError(f"the {what} is empty")
        return raw

    return parse


def _endpoint_options() -> argparse.ArgumentParser:
    """``--base-url``/``--api-key``/``--config``, accepted before or after the command."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("connection")
    group.add_argument(
        "--base-url",
        default=argparse.SUPPRESS,
        help="Apex server (host or URL); default: $MACROCOSMOS_BASE_URL, the config, else "
        "your local server",
    )
    group.add_argument(
        "--api-key",
        default=argparse.SUPPRESS,
        help="API key; default: $APEX_API_KEY, $MACROCOSMOS_API_KEY, then the config",
    )
    group.add_argument(
        "--config",
        dest="config_file",
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="config file to use instead of the platform default",
    )
    return parent


def _add_ask(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "ask",
        parents=[parent],
        help="ask a question; the answer streams to stdout",
        description="Ask a question. The answer streams to stdout; it is stored as a chat "
        "(its id printed on stderr) unless --no-store.",
    )
    p.add_argument("prompt", metavar="PROMPT", help="the question, or - to read it from stdin")
    p.add_argument("--chat", metavar="ID", help="continue this chat (its history is sent)")
    p.add_argument("--type", dest="completion_type", choices=COMPLETION_TYPE_CHOICES)
    p.add_argument("--model", metavar="M")
    p.add_argument("--temperature", type=_setting("defaults.temperature"), metavar="T")
    p.add_argument("--top-p", type=_setting("defaults.top_p"), metavar="P")
    p.add_argument("--max-tokens", type=_setting("defaults.max_new_tokens"), metavar="N")
    p.add_argument("--seed", type=_setting("defaults.seed"), metavar="S")
    p.add_argument("--system", metavar="TEXT", help="system prompt")
    p.add_argument("--no-store", action="store_true", help="do not store the chat")
    p.add_argument(
        "--no-stream",
        action="store_true",
        help="ask with one ChatCompletion call and print the answer when it is complete",
    )
    p.add_argument(
        "--show-reasoning",
        action="store_true",
        help="print the model's reasoning (dimmed, on stderr) instead of hiding it",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object when done")
    _add_raw(p)


def _add_raw(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--raw",
        action="store_true",
        help="print the text as received, control sequences included (default: made inert)",
    )


def _add_search(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "search",
        parents=[parent],
        help="web search (ranked url + relevant passage)",
        description="Run an Apex web search and print the ranked results.",
    )
    p.add_argument("query", metavar="QUERY")
    p.add_argument(
        "--miners", type=_setting("search.n_miners"), metavar="N", help="miners to ask (default 5)"
    )
    p.add_argument(
        "--results",
        type=_setting("search.n_results"),
        metavar="N",
        help="results per miner (default 5)",
    )
    p.add_argument(
        "--max-time",
        type=_setting("search.max_response_time"),
        metavar="S",
        help="seconds miners may take",
    )
    p.add_argument("--json", action="store_true")


def _add_research(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "research",
        parents=[parent],
        help="deep research jobs: submit, status, list",
        description="`research PROMPT [--follow]` submits a job; `research status JOB "
        "[--follow]` shows one; `research list` shows the jobs this machine watches. "
        "--follow prints each step as it arrives; interrupt it with Ctrl-C and run "
        "`research status JOB --follow` later to resume. --json prints one JSON object "
        "(an array for list); with --follow, JSON Lines: a step event per step, then a "
        "done event with the status and the report.",
    )
    p.add_argument("words", nargs="+", metavar="PROMPT | status JOB | list")
    p.add_argument("--follow", action="store_true", help="print steps as they arrive")
    p.add_argument(
        "--from-start", action="store_true", help="with --follow: replay steps already shown"
    )
    p.add_argument(
        "--poll-interval",
        type=float,
        default=2.0,
        metavar="S",
        help="seconds between polls while following (backs off to 20 s when idle)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object; with --follow one JSON line per event (step, notice, done)",
    )
    _add_raw(p)


def _add_chats(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("chats", parents=[parent], help="stored chats: list, show, search, …")
    cs = p.add_subparsers(dest="chats_command", metavar="COMMAND", required=True)
    q = cs.add_parser("list", parents=[parent], help="list chats, newest first")
    q.add_argument("--type", dest="chat_type", choices=("apex", "gravity"), default="")
    q.add_argument("--json", action="store_true")
    q = cs.add_parser("show", parents=[parent], help="print a chat (its chosen branch)")
    q.add_argument("chat_id", metavar="ID")
    q.add_argument("--markdown", action="store_true", help="as Markdown")
    q.add_argument("--json", action="store_true")
    _add_raw(q)
    q = cs.add_parser("search", parents=[parent], help="chats whose prompts or answers match")
    q.add_argument("term", metavar="TERM")
    q.add_argument("--json", action="store_true")
    q = cs.add_parser("rename", parents=[parent], help="set a chat's title")
    q.add_argument("chat_id", metavar="ID")
    q.add_argument("title", metavar="TITLE", type=_text("title"))
    q = cs.add_parser("delete", parents=[parent], help="delete chats and their completions")
    q.add_argument("chat_ids", nargs="+", metavar="ID")
    q.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    q = cs.add_parser("export", parents=[parent], help="write a chat as Markdown or JSON")
    q.add_argument("chat_id", metavar="ID")
    q.add_argument("--format", choices=("md", "json"), default="md")
    q.add_argument("-o", "--output", metavar="FILE", help="file to write (default stdout)")
    q.add_argument(
        "--all-branches",
        action="store_true",
        help="every branch of the chat as a tree (default: the chosen branch)",
    )
    _add_raw(q)
    cs.add_parser(
        "recover",
        parents=[parent],
        help="write back answers the server did not save (kept on this machine)",
    )


def _add_config(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("config", parents=[parent], help="show or change the configuration")
    cs = p.add_subparsers(dest="config_command", metavar="COMMAND", required=True)
    cs.add_parser("path", parents=[parent], help="print the config file's path")
    q = cs.add_parser("show", parents=[parent], help="print the configuration (key masked)")
    q.add_argument("--json", action="store_true")
    q = cs.add_parser(
        "set", parents=[parent], help="set KEY (dotted, e.g. defaults.temperature) to VALUE"
    )
    q.add_argument("key", metavar="KEY")
    q.add_argument("value", metavar="VALUE")
    q = cs.add_parser("unset", parents=[parent], help="reset KEY to its default")
    q.add_argument("key", metavar="KEY")


def _add_models(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "models",
        parents=[parent],
        help="list the models of the configured model server (or find local ones)",
        description="List the models the local server's upstream offers (/v1/models, or "
        "Ollama's /api/tags), from [server] upstream_url/upstream_key in the config or --url. "
        "With none configured, look for Ollama, llama.cpp's server, LM Studio and vLLM on "
        "127.0.0.1 and list what they offer.",
    )
    p.add_argument("--url", metavar="URL", help="an OpenAI-compatible server to ask instead")
    p.add_argument("--json", action="store_true")


def _add_server(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "server",
        parents=[parent],
        help="the per-user local server: status, stop, logs, grpc-key",
        description="The local server every apex-tui process of yours shares (started on "
        "demand; it exits after server.idle_minutes unused). These commands never start it.",
    )
    cs = p.add_subparsers(dest="server_command", metavar="COMMAND", required=True)
    q = cs.add_parser("status", parents=[parent], help="address, pid, version, jobs, clients")
    q.add_argument("--json", action="store_true")
    q = cs.add_parser(
        "stop", parents=[parent], help="stop it (running research jobs resume at its next start)"
    )
    q.add_argument("--yes", action="store_true", help="stop even while research jobs run")
    q.add_argument(
        "--force", action="store_true", help="like --yes, and end it if it does not stop"
    )
    q = cs.add_parser("logs", parents=[parent], help="print the end of the server log")
    q.add_argument("-n", "--lines", type=int, default=40, metavar="N", help="lines (default 40)")
    q.add_argument("-f", "--follow", action="store_true", help="keep printing what is added")
    cs.add_parser(
        "grpc-key",
        parents=[parent],
        help="print the key SDK scripts use on its gRPC port (server.grpc_port)",
    )


def _add_web(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "web",
        parents=[parent],
        help="serve the app in a browser (needs the [web] extra: textual-serve)",
        description="Serve the app in a browser with textual-serve: open the printed address "
        "(it carries a token). Each browser tab runs its own apex-tui with these connection "
        "options. Listens on loopback unless --host says otherwise.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers reach it at, if not http://HOST:PORT (a proxy; --host 0.0.0.0)",
    )


def build_parser() -> argparse.ArgumentParser:
    parent = _endpoint_options()
    parser = argparse.ArgumentParser(
        prog="apex-tui",
        parents=[parent],
        description="Terminal client for Macrocosmos Apex. With no command, opens the app. "
        "With no base URL configured it runs your local server (offline engine).",
    )
    parser.add_argument("--version", action="version", version=f"apex-tui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_ask(sub, parent)
    _add_search(sub, parent)
    _add_research(sub, parent)
    _add_chats(sub, parent)
    _add_config(sub, parent)
    _add_models(sub, parent)
    _add_server(sub, parent)
    _add_web(sub, parent)
    sub.add_parser(
        "serve", help="run the local Apex server (see `apex-tui serve --help`)", add_help=False
    )
    return parser


def _report(message: str) -> None:
    from apex_tui.services.text_safety import inert  # errors may quote the server

    print(f"apex-tui: {inert(message)}", file=sys.stderr)


def _dispatch(args: argparse.Namespace, early: EarlyLocalServer | None = None) -> int:
    from apex_tui import cli_commands

    if args.command == "server":
        from apex_tui.cli_server import run_server

        return run_server(args)
    if args.command == "models":
        from apex_tui.cli_models import run_models

        return run_models(args)
    if args.command == "web":
        from apex_tui.cli_web import run_web

        return run_web(args)
    if args.command is None:
        return cli_commands.run_interactive(args, early)
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        "ask": cli_commands.run_ask,
        "search": cli_commands.run_search,
        "research": cli_commands.run_research,
        "chats": cli_commands.run_chats,
        "config": cli_commands.run_config,
    }
    return handlers[args.command](args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``apex-tui`` and ``python -m apex_tui``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    skip_trio()  # asyncio only: httpcore need not import trio (see import_guards)
    if argv[:1] == ["serve"]:
        from apex_tui.server.cli import serve_main

        return serve_main(argv[1:])
    args = build_parser().parse_args(argv)
    for name in ("base_url", "api_key", "config_file"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if args.command is None:
        # The app's imports and start-up make objects that live as long as the process; a
        # full GC pass over them (35-45 ms) is wasted. run_app freezes them, then re-enables.
        gc.disable()
        # The local server (if it is the connection) starts now, before the config models
        # load; run_interactive adopts it once the config is validated (local_plan).
        from apex_tui.services.local_plan import EarlyLocalServer

        early = EarlyLocalServer.start(args.config_file, args.base_url)
    else:
        early = None

    from apex_tui.api.errors import ApexError
    from apex_tui.cli_runtime import UsageError
    from apex_tui.services.config import ConfigError
    from apex_tui.services.local_server import LocalServerError

    try:
        return _dispatch(args, early)
    except UsageError as exc:
        _report(str(exc))
        return EXIT_USAGE
    except ConfigError as exc:
        _report(f"config: {exc}")
        return EXIT_USAGE
    except (ApexError, LocalServerError) as exc:
        _report(str(exc))
        return EXIT_API
    except KeyboardInterrupt:
        _report("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
