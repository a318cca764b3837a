"""Settings of one local Apex server, shared by the embedded runner and ``apex-tui serve``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/apex-tui/apex.db`` (``~/.local/share/apex-tui/apex.db`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "apex-tui" / "apex.db"


@dataclass
class ServerOptions:
    """Everything a server is started with; defaults are the embedded app's defaults."""

    db_path: str | Path = field(default_factory=default_db_path)
    api_keys: list[str] | None = None
    """``None`` accepts any non-empty bearer key (embedded default); a list accepts only those."""
    engine: str = "offline"
    """``offline`` (deterministic local writer) or ``openai`` (forward to an upstream)."""
    tokens_per_second: float = 60.0
    """Offline streaming rate; 0 streams as fast as possible (still in many small chunks)."""
    research_step_seconds: float = 3.0
    """Pause between deep-research steps; tests use ~0.05."""
    faults_enabled: bool = False
    upstream_url: str | None = None
    upstream_key: str | None = None
    upstream_model: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    grpc_port: int | None = None
    """Also serve ``apex.v1.ApexService`` over gRPC on this port of ``host`` (0 = any free
    port); ``None`` = Connect only. Needs the ``grpc`` extra."""
    grpc_key: str | None = None
    """When set, gRPC callers must present this key (the per-user server: its gRPC port is on
    loopback TCP, where any local user could connect) and get the chats of ``grpc_owner_key``."""
    grpc_owner_key: str | None = None
    """The API key whose chats a caller with ``grpc_key`` reaches (the app's local key)."""
    searxng_url: str | None = None
    upstream_timeout: float = 300.0
    """Seconds the upstream may stay silent (connect, or between two streamed pieces)."""
    upstream_retries: int = 3
    """Research: more tries after an upstream or search failure (backoff doubles each time)."""
    upstream_retry_seconds: float = 2.0
    """Research: the first pause before a retry; tests use ~0.01."""
    research_max_steps: int = 3
    """Research with a model: at most this many sub-questions in a plan."""
    fetch_private_pages: bool = False
    """Live search may read pages on loopback and private addresses (tests, intranets)."""
    max_body_bytes: int = 4 * 1024 * 1024
    """Largest request body accepted; bigger ones get ``resource_exhausted`` (as connect-go)."""
    max_concurrent_streams: int = 64
    """Streams beyond this many at once end at once with ``resource_exhausted``."""
    idle_minutes: float | None = None
    """Exit after this long with no client attached, no request and no research job running
    (the per-user local server); ``None`` runs until stopped."""
    access_token: str | None = None
    """When set, every request must carry it in ``X-Apex-Tui-Token`` (the per-user server on
    loopback TCP, where any local user could connect); the API key still picks the owner."""
    db_wait: float = 0.0
    """Seconds to wait for another server to let go of the database (``db_lock``)."""

    def __post_init__(self) -> None:
        if self.engine not in ("offline", "openai"):
            raise ValueError(f"unknown engine {self.engine!r}: use 'offline' or 'openai'")
        if self.engine == "openai" and not self.upstream_url:
            raise ValueError(
                "the openai engine needs an upstream URL (--upstream http://host:port), "
                "e.g. an Ollama or vLLM server"
            )
        if self.upstream_timeout <= 0 or self.upstream_retries < 0:
            raise ValueError("upstream_timeout must be positive and upstream_retries >= 0")
        if not 1 <= self.research_max_steps <= 10:
            raise ValueError("research_max_steps must be between 1 and 10")
        if self.tokens_per_second < 0:
            raise ValueError("tokens_per_second must be 0 (no pacing) or positive")
        if self.research_step_seconds < 0:
            raise ValueError("research_step_seconds must be 0 or positive")
        if self.grpc_port is not None and not 0 <= self.grpc_port <= 65535:
            raise ValueError(f"grpc port {self.grpc_port} is not a port number (0-65535)")
        if self.grpc_key is not None and not (self.grpc_key.strip() and self.grpc_owner_key):
            raise ValueError("a gRPC key needs a non-empty key and the key whose chats it opens")
        if self.idle_minutes is not None and self.idle_minutes < 0:
            raise ValueError("idle_minutes must be 0 or positive")
        if self.access_token is not None and not self.access_token.strip():
            raise ValueError("the access token is empty")
        if self.api_keys is not None:
            self.api_keys = [k.strip() for k in self.api_keys if k.strip()]
            if not self.api_keys:
                raise ValueError("api_keys was given but holds no non-empty key")
