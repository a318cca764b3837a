"""``apex-tui web``: the same app in a browser, served by textual-serve (the ``[web]`` extra).

Each browser tab runs its own ``apex-tui`` process (textual-serve starts one per connection)
with the connection options given here. textual-serve itself asks nobody who they are, so the
address printed carries a random token: the page sets it as a cookie (HttpOnly, SameSite=Strict)
and every request (the page, its scripts, the websocket, downloads) needs it, and the websocket
must come from the page's own origin. Without that any local user, or any web page open in
your browser, could drive the app with your chats and your key. It listens on loopback unless
told otherwise, and says so loudly when it is not.
"""

from __future__ import annotations

import argparse
import hmac
import ipaddress
import os
import secrets
import shlex
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from apex_tui.cli_runtime import UsageError, note

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["is_loopback", "run_web"]

INSTALL_HINT = "the web command needs textual-serve: pip install 'apex-tui[web]'"


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def app_command(args: argparse.Namespace) -> str:
    """The command each browser tab runs: this apex-tui, with the connection options given
    (the API key travels in the environment, never on a command line others can read)."""
    argv = [sys.executable, "-m", "apex_tui"]
    if args.config_file:
        argv += ["--config", args.config_file]
    if args.base_url:
        argv += ["--base-url", args.base_url]
    return shlex.join(argv)


def _server_class() -> type[Any]:
    """textual-serve's server with the token check (defined once textual-serve is loaded)."""
    try:
        from aiohttp import web
        from textual_serve.server import Server
    except ModuleNotFoundError:
        raise UsageError(INSTALL_HINT) from None

    class TokenServer(Server):
        """Serves the app only to a browser that came through the printed address."""

        def __init__(self, command: str, *, host: str, port: int, public_url: str) -> None:
            super().__init__(command, host=host, port=port, title="apex-tui", public_url=public_url)
            self.token = secrets.token_urlsafe(24)
            self.cookie = f"apex-tui-web-{port}"  # cookies are per host, not per port
            self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(public_url))

        @property
        def address(self) -> str:
            return f"{self.public_url.rstrip('/')}/?token={self.token}"

        async def _make_app(self) -> web.Application:
            app = await super()._make_app()
            app.middlewares.append(self._guard)
            return app

        @web.middleware
        async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
            given = request.query.get("token", "")
            if given and hmac.compare_digest(given, self.token):
                response: web.StreamResponse = await handler(request)
                response.set_cookie(
                    self.cookie, self.token, httponly=True, samesite="Strict", path="/"
                )
                return response
            if not hmac.compare_digest(request.cookies.get(self.cookie, ""), self.token):
                raise web.HTTPForbidden(
                    text="apex-tui web: open the address `apex-tui web` printed; it carries "
                    "the token this server asks for.\n"
                )
            if request.path == "/ws" and request.headers.get("Origin") != self.origin:
                raise web.HTTPForbidden(text="apex-tui web: the websocket is for its own page.\n")
            return await handler(request)

        async def on_startup(self, app: web.Application) -> None:
            print(f"apex-tui in your browser: {self.address}", flush=True)
            note("each browser tab runs its own apex-tui; Ctrl+C stops the server")

    return TokenServer


def run_web(args: argparse.Namespace) -> int:
    host, port = args.host, args.port
    server_class = _server_class()
    if not 0 < port < 65536:
        raise UsageError(f"--port {port} is not a port; give 1-65535, e.g. --port 8000")
    if not is_loopback(host):
        note(
            f"warning: listening on {host}, not loopback: anyone who can reach this address "
            "and has the printed link can use apex-tui as you (your chats, your API key). "
            "Use --host 127.0.0.1 unless you mean that, and put TLS in front of it."
        )
    if args.api_key:
        os.environ["APEX_API_KEY"] = args.api_key  # inherited by each tab's process
    shown_host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    public_url = args.public_url or f"http://{shown_host}:{port}"
    server = server_class(app_command(args), host=host, port=port, public_url=public_url)
    try:
        server.serve()
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port"
        ) from None
    return 0
