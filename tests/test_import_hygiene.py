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
