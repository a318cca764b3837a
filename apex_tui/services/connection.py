"""Where the client connects: resolve the key and base URL (flag > env > config > default) and,
when neither is configured, start the embedded local server in-process."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from apex_tui.api.client import ApexClient
from apex_tui.api.transport import normalize_base_url
from apex_tui.services.config import Config, ConfigError, data_dir

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer

__all__ = [
    "LOCAL_KEY",
    "PUBLIC_HOST",
    "Connection",
    "aclose_connection",
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
    embedded: EmbeddedServer | None = None


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
    return (normalize_base_url(raw, use_https=https) if raw else None), key


def _is_url(value: str) -> bool:
    return "://" in value


def _is_loopback_host(value: str) -> bool:
    host = urlsplit(value if _is_url(value) else f"//{value}").hostname or ""
    return host in ("localhost", "127.0.0.1", "::1")


def _start_embedded(config: Config) -> tuple[EmbeddedServer, str]:
    from apex_tui.server.embedded import EmbeddedServer, ServerOptions

    section = config.server
    try:
        options = ServerOptions(
            db_path=data_dir() / "apex.db",
            engine=section.engine,
            tokens_per_second=section.tokens_per_second,
            upstream_url=section.upstream_url,
            upstream_key=section.upstream_key,
            upstream_model=section.upstream_model,
        )
    except ValueError as exc:
        raise ConfigError(f"local server settings ([server] in the config): {exc}") from None
    data_dir().mkdir(parents=True, exist_ok=True)
    server = EmbeddedServer(options)
    server.start()
    engine = section.engine
    if engine == "openai" and section.upstream_model:
        engine = f"openai engine ({section.upstream_model})"
    else:
        engine = f"{engine} engine"
    return server, f"local server, {engine}"


def open_connection(
    config: Config,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    env: Mapping[str, str] | None = None,
    **client_options: Any,
) -> Connection:
    """A client for the configured endpoint, or for a freshly started embedded server when
    neither a key nor a base URL is configured anywhere."""
    env = os.environ if env is None else env
    url, key = resolve_endpoint(base_url, api_key, env, config)
    if url is None and key is None:
        server, description = _start_embedded(config)
        client = ApexClient(server.base_url, LOCAL_KEY, **client_options)
        return Connection(client=client, description=description, embedded=server)
    if url is None:
        url = normalize_base_url(PUBLIC_HOST)
    if key is None and _is_loopback_host(url):
        key = LOCAL_KEY
    client = ApexClient(url, key or "", **client_options)
    host = urlsplit(url).netloc or url
    return Connection(client=client, description=host, embedded=None)


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
