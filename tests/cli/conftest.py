"""Run the CLI in-process against the test server, capturing stdout/stderr and the exit code."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from apex_tui.cli import main

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(apex_server: EmbeddedServer, capsys: pytest.CaptureFixture[str]) -> RunCli:
    """``cli("chats", "list")`` → (exit code, stdout, stderr), pointed at the test server."""

    def run(*argv: str, endpoint: bool = True) -> tuple[int, str, str]:
        capsys.readouterr()
        extra = ["--base-url", apex_server.base_url, "--api-key", "test-key"] if endpoint else []
        code = main([*argv, *extra])
        out, err = capsys.readouterr()
        return code, out, err

    return run
