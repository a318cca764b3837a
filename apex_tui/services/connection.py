"""Where the client connects: resolve the key and base URL (flag > env > config > default) and,
when neither is configured, use the per-user local server (``user_server``: found running, or
started detached; it outlives this process and is shared by every apex-tui process).

``begin_connection`` finds or starts it and returns at once, so a new server starts while the
caller imports the UI; ``PendingConnection.finish()`` waits until it serves. ``open_connection``
does both. Where the per-user server is not available (not POSIX) the local server runs as a
child process of this one (``local_server``). The in-process ``EmbeddedServer`` stays the
library and test API."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from apex_tui.services.config import Config, ConfigError
from apex_tui.services.local_plan import EarlyLocalServer
from apex_tui.services.local_server import LocalServerProcess
from apex_tui.services.paths import data_dir, state_dir
from apex_tui.services.server_plan import LOCAL_KEY, LocalServerPlan, plan_local_server
from apex_tui.services.user_server import UserServer, connect

if TYPE_CHECKING:
    from apex_tui.api.client import ApexClient
    from apex_tui.server.embedded import EmbeddedServer

__all__ = [
    "LOCAL_KEY",
    "Connection",
    "EndpointOrigins",
    "PendingConnection",
    "aclose_connection",
    "begin_connection",
    "child_server",
    "close_connection",
    "current_local_plan",
    "endpoint_origins",
    "local_plan",
    "open_connection",
    "resolve_endpoint",
]

_TRUE = ("true", "1", "yes", "y", "on")


@dataclass(frozen=True)
class EndpointOrigins:
    """Where the base URL and the key in use came from, as a person would name it: a flag
    (``--base-url``), an environment variable's name, "the config file", or "" (none set)."""

    base_url: str = ""
    api_key: str = ""


@dataclass
class Connection:
    client: ApexClient
    description: str
    """Shown to people: "local server, offline engine" or the host."""
    embedded: EmbeddedServer | LocalServerProcess | None = None
    """A local server this connection owns (stopped by ``close_connection``)."""
    local: UserServer | None = None
    """The per-user local server in use (shared: never stopped by ``close_connection``)."""
    origins: EndpointOrigins = EndpointOrigins()
    """Where its base URL and key came from (the settings screen says so)."""
    notice: str = ""
    """Something about this connection a person should be told once (a key left unused)."""


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
    host) > config. With no base URL the caller uses the local server, whatever the key.
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


def endpoint_origins(
    flag_base_url: str | None,
    flag_api_key: str | None,
    env: Mapping[str, str],
    config: Config,
) -> EndpointOrigins:
    """What :func:`resolve_endpoint` took each value from (same order: flag > env > config)."""

    def first(candidates: list[tuple[str, str | None]]) -> str:
        return next((origin for origin, value in candidates if value and value.strip()), "")

    return EndpointOrigins(
        base_url=first(
            [
                ("--base-url", flag_base_url),
                ("MACROCOSMOS_BASE_URL", env.get("MACROCOSMOS_BASE_URL")),
                ("the config file", config.base_url),
            ]
        ),
        api_key=first(
            [
                ("--api-key", flag_api_key),
                ("APEX_API_KEY", env.get("APEX_API_KEY")),
                ("MACROCOSMOS_API_KEY", env.get("MACROCOSMOS_API_KEY")),
                ("the config file", config.api_key),
            ]
        ),
    )


def _is_url(value: str) -> bool:
    return "://" in value


def _is_loopback_host(value: str) -> bool:
    host = urlsplit(value if _is_url(value) else f"//{value}").hostname or ""
    return host in ("localhost", "127.0.0.1", "::1")


def local_plan(config: Config) -> LocalServerPlan:
    """The validated ``[server]`` settings as a plan; ConfigError when they cannot run."""
    from apex_tui.server.options import ServerOptions  # a dataclass: checks the settings

    section = config.server
    try:
        ServerOptions(
            db_path=data_dir() / "apex.db",
            engine=section.engine,
            tokens_per_second=section.tokens_per_second,
            research_step_seconds=section.research_step_seconds,
            upstream_url=section.upstream_url,
            upstream_key=section.upstream_key,
            upstream_model=section.upstream_model,
            searxng_url=section.searxng_url,
            fetch_private_pages=section.fetch_private_pages,
            grpc_port=section.grpc_port,
            idle_minutes=section.idle_minutes,
        )
        return plan_local_server(section.model_dump())
    except ValueError as exc:
        raise ConfigError(f"local server settings ([server] in the config): {exc}") from None


def current_local_plan(config_file: Path | None, fallback: LocalServerPlan) -> LocalServerPlan:
    """The ``[server]`` settings as the config file says now (a window that outlived its
    server starts the next one with them), or ``fallback`` if the file cannot be used."""
    from apex_tui.services.config import load_config

    try:
        return local_plan(load_config(config_file))
    except ConfigError:
        return fallback


def child_server(plan: LocalServerPlan, env: Mapping[str, str]) -> LocalServerProcess:
    """A local server as this process's child (where there is no per-user server), started
    now on 127.0.0.1; it returns before the server is ready."""
    child_env = dict(env)
    if plan.upstream_key:
        from apex_tui.services.local_server import UPSTREAM_KEY_ENV

        child_env[UPSTREAM_KEY_ENV] = plan.upstream_key
    args = ["--host", "127.0.0.1", "--port", "0", *plan.args]
    process = LocalServerProcess(args, log_path=state_dir() / "server.log", env=child_env)
    process.start()
    return process


def _local_server(
    config: Config, env: Mapping[str, str], early: EarlyLocalServer | None
) -> tuple[UserServer | LocalServerProcess, str]:
    """(server, description): the per-user server for the validated settings (adopting
    ``early`` when its plan is the same), or, where there is none (not POSIX), a child server
    started now."""
    plan = local_plan(config)
    if os.name != "posix":
        return child_server(plan, env), plan.description
    if early is not None and early.plan == plan:
        return early.server, early.server.description
    server = connect(plan, env)
    assert server is not None  # only defer_mismatch returns None
    return server, server.description


@dataclass
class PendingConnection:
    """A resolved endpoint whose local server (if any) may still be starting."""

    url: str | None
    key: str
    description: str
    local: UserServer | LocalServerProcess | None
    client_options: dict[str, Any]
    key_configured: bool = True
    """False when ``key`` is the local stand-in (or empty): nobody configured a key."""
    origins: EndpointOrigins = EndpointOrigins()
    notice: str = ""

    def finish(self, *, wait: bool = True) -> Connection:
        """Build the client. With ``wait`` (the CLI commands), first wait until a local server
        this process started is serving; raises ``LocalServerError`` if it could not start.
        Without (the app), go on at once: early requests wait in its socket's backlog, and the
        app reports a failed start itself (``wait_ready``)."""
        from apex_tui.api.client import ApexClient  # httpx: imported while the server starts

        local = self.local
        if isinstance(local, UserServer):
            if wait:
                local.wait_ready()
            options = dict(self.client_options)
            headers = {**local.headers(), **(options.pop("extra_headers", None) or {})}
            client = ApexClient(
                local.base_url,
                self.key,
                route=local.route(),
                extra_headers=headers,
                key_configured=self.key_configured,
                **options,
            )
            return Connection(
                client=client,
                description=local.description,
                local=local,
                origins=self.origins,
                notice=self.notice,
            )
        if local is not None:
            try:
                url = local.base_url if not wait else local.wait_ready()
            except RuntimeError:  # address not known before it is ready (not POSIX)
                url = local.wait_ready()
            client = ApexClient(
                url, self.key, key_configured=self.key_configured, **self.client_options
            )
            return Connection(
                client=client,
                description=self.description,
                embedded=local,
                origins=self.origins,
                notice=self.notice,
            )
        assert self.url is not None
        client = ApexClient(
            self.url, self.key, key_configured=self.key_configured, **self.client_options
        )
        return Connection(client=client, description=self.description, origins=self.origins)

    def cancel(self) -> None:
        """Stop a child server if the connection will not be used after all (a per-user
        server is shared: it stays, and exits on its own once unused)."""
        if isinstance(self.local, LocalServerProcess):
            self.local.stop()


def unused_key_notice(origin: str) -> str:
    """What to say when a key is set but no base URL: the public Apex service closed for good
    (late 2025), so no remote server is implied; the local server is used and the key is not."""
    where = f" (from {origin})" if origin else ""
    return (
        f"The API key{where} is not used: no base URL is set, and the public Apex service "
        "has closed, so apex-tui uses its local server. To use a remote apex-tui server "
        "with that key, set a base URL (--base-url, MACROCOSMOS_BASE_URL or base_url)."
    )


def begin_connection(
    config: Config,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    env: Mapping[str, str] | None = None,
    early: EarlyLocalServer | None = None,
    **client_options: Any,
) -> PendingConnection:
    """Resolve the endpoint; when no base URL is configured anywhere, find or start the
    per-user local server now (a new one starts in parallel with whatever the caller
    does next), or adopt ``early`` (``EarlyLocalServer.start``) if it has these settings."""
    env = os.environ if env is None else env
    client_options = {**config.client.client_options(), **client_options}  # [client] limits
    url, key = resolve_endpoint(base_url, api_key, env, config)
    origins = endpoint_origins(base_url, api_key, env, config)
    if url is None:
        server, description = _local_server(config, env, early)
        notice = unused_key_notice(origins.api_key) if key is not None else ""
        return PendingConnection(
            None, LOCAL_KEY, description, server, client_options, False, origins, notice
        )
    configured = key is not None
    if key is None and _is_loopback_host(url):
        key = LOCAL_KEY
    host = urlsplit(url).netloc or url
    return PendingConnection(url, key or "", host, None, client_options, configured, origins)


def open_connection(
    config: Config,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    env: Mapping[str, str] | None = None,
    **client_options: Any,
) -> Connection:
    """A client for the configured endpoint, or for the per-user local server when no base
    URL is configured anywhere."""
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
