"""Fixtures of the app's snapshots: the app on the real local server, a fixed time zone."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from apex_tui.api.client import ApexClient
from apex_tui.services.config import Config
from apex_tui.services.connection import Connection
from apex_tui.ui.app import ApexApp

KEY = "snapshot-key"


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local time is UTC so start times print the same everywhere."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
def build(apex_server: Any, tmp_path: Path) -> Any:
    """Makes the app (in a theme) on the test's local server, without a system clipboard."""

    def make(theme: str = "apex-dark") -> ApexApp:
        client = ApexClient(apex_server.base_url, KEY, max_retries=0)
        connection = Connection(client=client, description="local server, offline engine")
        return ApexApp(
            connection,
            Config(theme=theme),
            config_file=tmp_path / "config.toml",
            state_path=tmp_path / "state",
            system_copy=None,
        )

    return make
