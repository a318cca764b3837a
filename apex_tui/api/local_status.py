"""The reply of ``GET /apex-tui/v1/status``: how apex-tui's own local server is doing.

Not part of ``apex.v1.ApexService`` (so not in ``api.models``): only apex-tui's server answers
it, for ``apex-tui server status`` and for the rule that replaces a server of another version
only when it is idle. The server builds it, the client parses it, both through this model.
"""

from __future__ import annotations

from apex_tui.api.models.base import WireModel

__all__ = ["ServerStatus"]


class ServerStatus(WireModel):
    pid: int = 0
    version: str = ""
    address: str = ""
    """``unix:/path/to/server.sock`` or ``http://127.0.0.1:PORT``."""
    started_at: str = ""
    """RFC 3339, UTC."""
    uptime_seconds: float = 0.0
    engine: str = ""
    upstream_model: str | None = None
    database: str = ""
    running_jobs: list[str] = []
    clients: int = 0
    """App windows (and CLI commands) holding ``/apex-tui/v1/attach`` open."""
    requests: int = 0
    """Requests in flight besides this one."""
    idle_minutes: float | None = None
    """After how long unused it exits; ``None``: it runs until stopped."""
    retiring: bool = False
    """It was asked to exit as soon as it is idle (another version or settings replace it)."""

    @property
    def idle(self) -> bool:
        """Nothing uses it: it can be replaced without stopping anyone's job or window."""
        return not (self.running_jobs or self.clients or self.requests)
