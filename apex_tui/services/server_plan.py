"""What the local server is started with, from the ``[server]`` settings: :class:`LocalServerPlan`.

Equal plans start equal servers, so a running per-user server is reused only when its plan's
:attr:`~LocalServerPlan.fingerprint` is this process's (``user_server``). Made from the raw
TOML table before pydantic loads (``local_plan``) or from a validated section's
``model_dump()``: both give the same plan. No pydantic here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apex_tui.services.paths import data_dir, state_dir

__all__ = [
    "DEFAULT_IDLE_MINUTES",
    "LOCAL_KEY",
    "LocalServerPlan",
    "grpc_key_path",
    "plan_local_server",
]

DEFAULT_IDLE_MINUTES = 10.0
LOCAL_KEY = "apex-tui-local"
"""The key sent to a local server when none is configured (it accepts any non-empty key)."""


def grpc_key_path() -> Path:
    """The key the local server's gRPC port takes (made by the server, mode 0600): over
    loopback TCP any local user could connect, so the known local key is not enough there."""
    return state_dir() / "grpc.key"


@dataclass(frozen=True)
class LocalServerPlan:
    """Everything the server is started with (``apex-tui serve`` arguments and the upstream
    key, which travels in its environment: argv is world-readable)."""

    args: tuple[str, ...]
    upstream_key: str | None
    description: str
    """Shown to people: "local server, offline engine"."""
    idle_minutes: float = DEFAULT_IDLE_MINUTES
    """Not part of the fingerprint: a new idle time applies from the server's next start
    rather than replacing a running one."""

    @property
    def fingerprint(self) -> str:
        """Names this plan in the server's record without revealing the upstream key."""
        text = json.dumps([list(self.args), self.upstream_key or ""])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _text(section: Mapping[str, Any], name: str) -> str | None:
    value = section.get(name)
    if value is None or isinstance(value, str):
        return value or None
    raise ValueError(f"{name} must be a string")


def _number(section: Mapping[str, Any], name: str, default: float) -> float:
    value = section.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if value < 0:
        raise ValueError(f"{name} must be 0 or positive")
    return float(value)


def plan_local_server(section: Mapping[str, Any]) -> LocalServerPlan:
    """The plan for these ``[server]`` values (a validated section's ``model_dump()`` or the
    raw TOML table); raises ValueError for values of the wrong type."""
    engine = section.get("engine", "offline")
    if not isinstance(engine, str):
        raise ValueError("engine must be a string")
    rate = _number(section, "tokens_per_second", 60.0)
    step = _number(section, "research_step_seconds", 3.0)
    idle = _number(section, "idle_minutes", DEFAULT_IDLE_MINUTES)
    upstream_url, upstream_model = _text(section, "upstream_url"), _text(section, "upstream_model")
    args = ["--db", str(data_dir() / "apex.db"), "--engine", engine]
    args += ["--tokens-per-second", repr(rate), "--research-step-seconds", repr(step)]
    if upstream_url:
        args += ["--upstream", upstream_url]
    if upstream_model:
        args += ["--upstream-model", upstream_model]
    searxng_url = _text(section, "searxng_url")
    if searxng_url:
        args += ["--searxng", searxng_url]
    fetch_private = section.get("fetch_private_pages", False)
    if not isinstance(fetch_private, bool):
        raise ValueError("fetch_private_pages must be true or false")
    if fetch_private:
        args += ["--fetch-private-pages"]
    grpc_port = section.get("grpc_port")
    if grpc_port is not None:
        if isinstance(grpc_port, bool) or not isinstance(grpc_port, int):
            raise ValueError("grpc_port must be a port number")
        # SDK scripts then see the app's chats, with the key in grpc_key_path()
        args += ["--grpc-port", str(grpc_port), "--grpc-key-file", str(grpc_key_path())]
        args += ["--grpc-owner-key", LOCAL_KEY]
    if engine == "openai" and upstream_model:
        label = f"openai engine ({upstream_model})"
    else:
        label = f"{engine} engine"
    return LocalServerPlan(
        tuple(args), _text(section, "upstream_key"), f"local server, {label}", idle
    )
