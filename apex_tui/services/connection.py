"""Where the client connects: resolve the key and base URL (flag > env > config > default) and,
when neither is configured, start the local server in a child process (``local_server``).

``begin_connection`` spawns that child and returns at once, so it starts while the caller
imports the UI; ``PendingConnection.finish()`` waits for its address. ``open_connection`` does
both. The in-process ``EmbeddedServer`` stays the library and test API."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from apex_tui.services.config import Config, ConfigError
from apex_tui.services.local_plan import EarlyLocalServer, plan_local_server
from apex_tui.services.local_server import LocalServerProcess
from apex_tui.services.paths import data_dir

if TYPE_CHECKING:
    from apex_tui.api.client import ApexClient
    from apex_tui.server.embedded import EmbeddedServer

__all__ = [
    "LOCAL_KEY",
    "PUBLIC_HOST",
    "Connection",
    "PendingConnection",
    "aclose_connection",
    "begin_connection",
    "close_connection",
    "open_connection",
    "resolve_endpoint",
]

PUBLIC_HOST = "constellation.api.cloud.macrocosmos.ai"
LOCAL_KEY = "apex-tui-local"
"""The key sent to a local server when none is configured (it accepts any non-empty key)."""

_TRUE = ("true", "1", "yes", "y", "on")


@dataclass
class Connection:
    client: ApexClient
    description: str
    """Shown to people: "local server, offline engine" or the host."""
    embedded: EmbeddedServer | LocalServerProcess | None = None
    """The local server this connection started (stopped by ``close_connection``)."""


def _env_flag_https(env: Mapping[str, str]) -> bool | None:
    """``MACROCOSMOS_USE_HTTPS`` as the SDK reads it: unset/empty → None (default true)."""
    raw = env.get("MACROCOSMOS_USE_HTTPS", "").strip()
    if not raw:
        return None
    return raw.lower() in _TRUE


def resolve_endpoint(
    flag_base_url: str | None,
    flag_api_key: str | None,
    env: Mapping[str, str],
    config: Config,
) -> tuple[str | None, str | None]:
    """(base URL, API key); ``None`` for what nobody configured.

    Key: flag > ``APEX_API_KEY`` > ``MACROCOSMOS_API_KEY`` > config. Base URL: flag >
    ``MACROCOSMOS_BASE_URL`` (host or URL; ``MACROCOSMOS_USE_HTTPS`` picks the scheme of a bare
    host) > config. The public host is the caller's default when only a key is set.
    """
    key = next(
        (
            v.strip()
            for v in (
                flag_api_key,
                env.get("APEX_API_KEY"),
                env.get("MACROCOSMOS_API_KEY"),
                config.api_key,
            )
            if v and v.strip()
        ),
        None,
    )
    https = _env_flag_https(env)
    if https is None:
        https = config.use_https if config.use_https is not None else True
    raw = next(
        (
            v.strip()
            for v in (flag_base_url, env.get("MACROCOSMOS_BASE_URL"), config.base_url)
            if v and v.strip()
        ),
        None,
    )
    if raw is not None and not _is_url(raw):
        https = https and not _is_loopback_host(raw)
    if raw is None:
        return None, key
    from apex_tui.api.transport import normalize_base_url  # httpx: only when a URL is given

    return normalize_base_url(raw, use_https=https), key


def _is_url(value: str) -> bool:
    return "://" in value


def _is_loopback_host(value: str) -> bool:
    host = urlsplit(value if _is_url(value) else f"//{value}").hostname or ""
    return host in ("localhost", "127.0.0.1", "::1")


def _spawn_local_server(
    config: Config, env: Mapping[str, str], early: EarlyLocalServer | None
) -> tuple[LocalServerProcess, str]:
    """Start ``apex-tui serve`` on the data folder's database (returns before it is ready),
    or adopt the child ``early`` started from the raw config when its plan is the same."""
    from apex_tui.server.options import ServerOptions  # a dataclass: checks the settings

    section = config.server
    try:
        ServerOptions(
            db_path=data_dir() / "apex.db",
            engine=section.engine,
            tokens_per_second=section.tokens_per_second,
            upstream_url=section.upstream_url,
            upstream_key=section.upstream_key,
            upstream_model=section.upstream_model,
        )
        plan = plan_local_server(section.model_dump())
    except ValueError as exc:
        if early is not None:
            early.stop()
        raise ConfigError(f"local server settings ([server] in the config): {exc}") from None
    if early is not None:
        if early.plan == plan:
            return early.process, plan.description
        early.stop()
    return plan.spawn(env), plan.description


@dataclass
class PendingConnection:
    """A resolved endpoint whose local server (if any) may still be starting."""

    url: str | None
    key: str
    description: str
    local: LocalServerProcess | None
    client_options: dict[str, Any]
    key_configured: bool = True
    """False when ``key`` is the local stand-in (or empty): nobody configured a key."""

    def finish(self, *, wait: bool = True) -> Connection:
        """Build the client. With ``wait`` (the CLI commands), first wait until the local
        server (if one was spawned) is serving; raises ``LocalServerError`` if it could not
        start. Without (the app), go on as soon as its address is known: early requests wait
        in its socket's backlog, and the app reports a failed start itself (``wait_ready``)."""
        from apex_tui.api.client import ApexClient  # httpx: imported while the child starts

        if self.local is not None:
            try:
                url = self.local.base_url if not wait else self.local.wait_ready()
            except RuntimeError:  # address not known before it is ready (not POSIX)
                url = self.local.wait_ready()
            client = ApexClient(
                url, self.key, key_configured=self.key_configured, **self.client_options
            )
            return Connection(client=client, description=self.description, embedded=self.local)
        assert self.url is not None
        client = ApexClient(
            self.url, self.key, key_configured=self.key_configured, **self.client_options
        )
        return Connection(client=client, description=self.description, embedded=None)

    def cancel(self) -> None:
        """Stop the local server if the connection will not be used after all."""
        if self.local is not None:
            self.local.stop()


def begin_connection(
    config: Config,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    env: Mapping[str, str] | None = None,
    early: EarlyLocalServer | None = None,
    **client_options: Any,
) -> PendingConnection:
    """Resolve the endpoint; when neither a key nor a base URL is configured anywhere, spawn
    the local server now (it starts in parallel with whatever the caller does next), or adopt
    ``early`` (``EarlyLocalServer.start``) if it runs with these settings; it is stopped
    otherwise."""
    env = os.environ if env is None else env
    url, key = resolve_endpoint(base_url, api_key, env, config)
    if url is None and key is None:
        server, description = _spawn_local_server(config, env, early)
        return PendingConnection(
            None, LOCAL_KEY, description, server, client_options, key_configured=False
        )
    if early is not None:
        early.stop()
    if url is None:
        from apex_tui.api.transport import normalize_base_url

        url = normalize_base_url(PUBLIC_HOST)
    configured = key is not None
    if key is None and _is_loopback_host(url):
        key = LOCAL_KEY
    host = urlsplit(url).netloc or url
    return PendingConnection(url, key or "", host, None, client_options, key_configured=configured)


def open_connection(
    config: Config,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    env: Mapping[str, str] | None = None,
    **client_options: Any,
) -> Connection:
    """A client for the configured endpoint, or for a freshly started local server (a child
    process) when neither a key nor a base URL is configured anywhere."""
    pending = begin_connection(
        config, base_url=base_url, api_key=api_key, env=env, **client_options
    )
    return pending.finish()


async def aclose_connection(conn: Connection) -> None:
    """Close the client, then stop the embedded server (if any) without blocking the loop."""
    await conn.client.aclose()
    if conn.embedded is not None:
        await asyncio.to_thread(conn.embedded.stop)


def close_connection(conn: Connection) -> None:
    """Synchronous close for code outside an event loop (after the app has exited)."""
    # If the client's loop is gone, its sockets close with the process.
    with contextlib.suppress(RuntimeError):
        asyncio.run(conn.client.aclose())
    if conn.embedded is not None:
        conn.embedded.stop()
