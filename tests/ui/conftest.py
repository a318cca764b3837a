"""Shared fixtures of the Pilot tests: an ApexApp wired to the real local server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from apex_pilot import KEY, AppFactory

from apex_tui.api.client import ApexClient
from apex_tui.services.config import Config
from apex_tui.services.connection import Connection
from apex_tui.ui.app import ApexApp
from apex_tui.ui.clipboard import CopyFunction


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "config.toml"


@pytest.fixture
def make_app(apex_server: Any, tmp_path: Path, config_file: Path) -> AppFactory:
    """Build an app with a fresh client (each app closes its own client on exit)."""

    def make(
        *,
        config: Config | None = None,
        system_copy: CopyFunction | None = None,
        api_key: str = KEY,
        base_url: str | None = None,
    ) -> ApexApp:
        client = ApexClient(base_url or apex_server.base_url, api_key, max_retries=0)
        connection = Connection(client=client, description="local server, offline engine")
        return ApexApp(
            connection,
            config or Config(),
            config_file=config_file,
            state_path=tmp_path / "state",
            system_copy=system_copy,
        )

    return make
