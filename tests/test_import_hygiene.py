"""The headless layers never import Textual: that keeps the CLI and start-up fast (issue 6)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import apex_tui.api, apex_tui.services
names = []
for package in (apex_tui.api, apex_tui.services):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        names.append(info.name)
        importlib.import_module(info.name)
import apex_tui
for info in pkgutil.iter_modules(apex_tui.__path__, "apex_tui."):
    if info.name.startswith("apex_tui.cli"):  # the CLI and its command modules
        names.append(info.name)
        importlib.import_module(info.name)
heavy = sorted(m for m in sys.modules if m == "textual" or m.startswith(("textual.", "rich.")))
print(len(names), heavy[:5])
raise SystemExit(1 if heavy else 0)
"""


def test_api_services_and_cli_import_no_textual() -> None:
    """Every module of api/, services/ and the CLI's command modules (``cli*.py``)."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


EARLY_PROBE = """
import sys
import apex_tui.cli, apex_tui.services.local_plan
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("pydantic", "httpx", "textual"))
print(heavy[:5])
raise SystemExit(1 if heavy else 0)
"""


def test_the_early_local_server_start_needs_no_models() -> None:
    """``cli.main`` starts the local server before pydantic, httpx or Textual load (~0.2 s
    sooner), so the modules it uses until then must not import them."""
    result = subprocess.run(
        [sys.executable, "-c", EARLY_PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


MARKDOWN_PROBE = """
import sys
import apex_tui.ui.app
late = sorted(m for m in sys.modules if m.split(".")[0] in ("markdown_it", "pygments"))
print(late[:5])
raise SystemExit(1 if late else 0)
"""


def test_the_app_loads_markdown_on_first_use() -> None:
    """The first frame shows no Markdown: markdown-it, Rich's Markdown and Pygments load when
    the first message renders (~45 ms off start-up)."""
    result = subprocess.run(
        [sys.executable, "-c", MARKDOWN_PROBE],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


EARLY_CONNECT_PROBE = """
import sys
from apex_tui.services.local_plan import EarlyLocalServer
early = EarlyLocalServer.start(None, None)
heavy = sorted(
    m for m in sys.modules if m.split(".")[0] in ("pydantic", "httpx", "textual", "http")
)
print(early is not None, early and early.server.starting is not None, heavy[:5])
raise SystemExit(1 if heavy or early is None else 0)
"""


def test_finding_or_starting_the_per_user_server_early_needs_no_models() -> None:
    """Both ways the early path goes: it starts the per-user server (the first run), then
    finds it running (the next) — neither loads pydantic, httpx, Textual or even
    ``http.client`` (~30 ms: only needed to ask a server of another version whether it is
    idle). (The conftest stops the server afterwards.)"""
    for started in ("True True", "True False"):
        result = subprocess.run(
            [sys.executable, "-c", EARLY_CONNECT_PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith(started), result.stdout
