"""Finding or starting the per-user local server early, before the config models load.

The interactive command connects to the local server before pydantic (~0.2 s of imports)
loads: :meth:`EarlyLocalServer.start` reads the config file with ``tomllib`` alone and, when no
base URL is set anywhere, finds the running per-user server for the raw ``[server]``
values, or starts it (``user_server.connect``: a file read and a connect when it runs). Once
the config is validated, ``connection.begin_connection`` adopts that server if the validated
settings give the same plan, and asks again otherwise, so the early path can only make the
server ready sooner, never run it with other settings. A running server of another version or
plan is left to the normal path, which decides about it. No pydantic here.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apex_tui.services.local_server import LocalServerError
from apex_tui.services.paths import config_path
from apex_tui.services.server_plan import LocalServerPlan, plan_local_server
from apex_tui.services.user_server import UserServer, connect

__all__ = ["EarlyLocalServer", "LocalServerPlan", "no_base_url", "plan_local_server"]


def no_base_url(flag_base_url: str | None, env: Mapping[str, str], config_base_url: Any) -> bool:
    """No base URL anywhere (flag, environment, config): the local server's case, whatever the
    key. The same rule as ``connection.resolve_endpoint`` returning no URL."""
    values = (flag_base_url, env.get("MACROCOSMOS_BASE_URL"), config_base_url)
    return not any(isinstance(v, str) and v.strip() for v in values)


@dataclass
class EarlyLocalServer:
    """The per-user server found or started from the raw config, waiting to be adopted."""

    plan: LocalServerPlan
    server: UserServer

    @classmethod
    def start(
        cls,
        config_file: str | None,
        flag_base_url: str | None,
        env: Mapping[str, str] | None = None,
    ) -> EarlyLocalServer | None:
        """Connect to (or start) the per-user server if the config file (read raw) leaves the
        local server as the connection; None when it does not, or when anything is unclear
        (an unreadable or malformed file, odd values, a running server of another version or
        plan, a platform without the per-user server): the normal path then decides."""
        if os.name != "posix":
            return None
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
        if not no_base_url(flag_base_url, env, base_url):
            return None
        try:
            plan = plan_local_server(section)
            server = connect(plan, env, defer_mismatch=True)
        except (ValueError, OSError, LocalServerError):
            return None
        return cls(plan, server) if server is not None else None
