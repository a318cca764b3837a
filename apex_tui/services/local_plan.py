"""The local server's command line from the ``[server]`` settings, and starting it early.

The interactive command starts the local server child before the config models (pydantic,
~0.2 s of imports) load: ``start_early`` reads the config file with ``tomllib`` alone and, when
no key or base URL is set anywhere, spawns the child from the raw ``[server]`` values. Once the
config is validated, ``connection.begin_connection`` adopts that child if the validated
settings give the same plan, and replaces it otherwise, so the early start can only make the
server ready sooner, never run it with other settings. No pydantic here.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apex_tui.services.local_server import UPSTREAM_KEY_ENV, LocalServerError, LocalServerProcess
from apex_tui.services.paths import config_path, data_dir, state_dir

__all__ = ["EarlyLocalServer", "LocalServerPlan", "nothing_configured", "plan_local_server"]


@dataclass(frozen=True)
class LocalServerPlan:
    """Everything the child is started with (equal plans start equal servers)."""

    args: tuple[str, ...]
    upstream_key: str | None
    description: str
    """Shown to people: "local server, offline engine"."""

    def spawn(self, env: Mapping[str, str]) -> LocalServerProcess:
        """Start the child (returns before it is ready); its log goes to the state folder."""
        child_env = dict(env)
        child_env.pop(UPSTREAM_KEY_ENV, None)
        if self.upstream_key:  # in the environment: argv is world-readable
            child_env[UPSTREAM_KEY_ENV] = self.upstream_key
        data_dir().mkdir(parents=True, exist_ok=True)
        server = LocalServerProcess(self.args, log_path=state_dir() / "server.log", env=child_env)
        server.start()
        return server


def _text(section: Mapping[str, Any], name: str) -> str | None:
    value = section.get(name)
    if value is None or isinstance(value, str):
        return value or None
    raise ValueError(f"{name} must be a string")


def plan_local_server(section: Mapping[str, Any]) -> LocalServerPlan:
    """The plan for these ``[server]`` values (a validated section's ``model_dump()`` or the
    raw TOML table); raises ValueError for values of the wrong type."""
    engine = section.get("engine", "offline")
    if not isinstance(engine, str):
        raise ValueError("engine must be a string")
    rate = section.get("tokens_per_second", 60.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        raise ValueError("tokens_per_second must be a number")
    upstream_url, upstream_model = _text(section, "upstream_url"), _text(section, "upstream_model")
    args = ["--host", "127.0.0.1", "--port", "0", "--db", str(data_dir() / "apex.db")]
    args += ["--engine", engine, "--tokens-per-second", repr(float(rate))]
    if upstream_url:
        args += ["--upstream", upstream_url]
    if upstream_model:
        args += ["--upstream-model", upstream_model]
    grpc_port = section.get("grpc_port")
    if grpc_port is not None:
        if isinstance(grpc_port, bool) or not isinstance(grpc_port, int):
            raise ValueError("grpc_port must be a port number")
        args += ["--grpc-port", str(grpc_port)]  # SDK scripts then see the app's chats
    if engine == "openai" and upstream_model:
        label = f"openai engine ({upstream_model})"
    else:
        label = f"{engine} engine"
    return LocalServerPlan(tuple(args), _text(section, "upstream_key"), f"local server, {label}")


def nothing_configured(
    flag_base_url: str | None,
    flag_api_key: str | None,
    env: Mapping[str, str],
    config_api_key: Any,
    config_base_url: Any,
) -> bool:
    """No key and no base URL anywhere (flag, environment, config): the local server's case.
    The same rule as ``connection.resolve_endpoint`` returning ``(None, None)``."""
    values = (
        flag_api_key,
        env.get("APEX_API_KEY"),
        env.get("MACROCOSMOS_API_KEY"),
        config_api_key,
        flag_base_url,
        env.get("MACROCOSMOS_BASE_URL"),
        config_base_url,
    )
    return not any(isinstance(v, str) and v.strip() for v in values)


@dataclass
class EarlyLocalServer:
    """A local server child started from the raw config, waiting to be adopted."""

    plan: LocalServerPlan
    process: LocalServerProcess

    @classmethod
    def start(
        cls,
        config_file: str | None,
        flag_base_url: str | None,
        flag_api_key: str | None,
        env: Mapping[str, str] | None = None,
    ) -> EarlyLocalServer | None:
        """Spawn the child if the config file (read raw) leaves the local server as the
        connection; None when it does not, or when anything is unclear (an unreadable or
        malformed file, odd values): the normal path then decides and reports."""
        env = os.environ if env is None else env
        path = Path(config_file) if config_file else config_path()
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raw = {}
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        section = raw.get("server", {})
        api_key, base_url = raw.get("api_key"), raw.get("base_url")
        if not isinstance(section, dict) or not all(
            v is None or isinstance(v, str) for v in (api_key, base_url)
        ):
            return None
        if not nothing_configured(flag_base_url, flag_api_key, env, api_key, base_url):
            return None
        try:
            plan = plan_local_server(section)
            return cls(plan, plan.spawn(env))
        except (ValueError, OSError, LocalServerError):
            return None

    def stop(self) -> None:
        """Stop the unadopted child; it is still starting, so it is not waited for long."""
        with contextlib.suppress(OSError):
            self.process.stop(timeout=2.0)
