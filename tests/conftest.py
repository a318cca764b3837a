"""Fixtures shared by every test package: a real local Apex server on an ephemeral loopback port."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from user_servers import stop_all

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keep every test away from the real user's config, data, state and local server, and
    from their keys. A per-user local server the test started (in-process, or through the CLI
    or the app in a subprocess: they inherit these folders) is stopped afterwards."""
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    # Model-server discovery probes only the ports a test names (none unless it says so).
    monkeypatch.setattr("apex_tui.services.upstream_models.KNOWN_LOCAL_SERVERS", ())
    # Short (a Unix socket's path has ~104 bytes), private, and the test's own.
    runtime = Path(tempfile.mkdtemp(prefix="apx-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    for var in (
        "APEX_API_KEY",
        "MACROCOSMOS_API_KEY",
        "MACROCOSMOS_BASE_URL",
        "MACROCOSMOS_USE_HTTPS",
        "APEX_TUI_LOCAL_TRANSPORT",
    ):
        monkeypatch.delenv(var, raising=False)
    try:
        yield
    finally:
        stop_all(runtime / "apex-tui")
        shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def apex_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """The real local server (fast streaming, fast research, faults enabled) on 127.0.0.1:0."""
    from apex_tui.server.embedded import EmbeddedServer, ServerOptions

    server = EmbeddedServer(
        ServerOptions(
            db_path=tmp_path / "apex.db",
            tokens_per_second=0,
            research_step_seconds=0.05,
            faults_enabled=True,
        )
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
