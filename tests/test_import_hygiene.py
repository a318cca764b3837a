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
try:
    import apex_tui.cli
    names.append("apex_tui.cli")
except ModuleNotFoundError as error:
    if error.name != "apex_tui.cli":
        raise
heavy = sorted(m for m in sys.modules if m == "textual" or m.startswith(("textual.", "rich.")))
print(len(names), heavy[:5])
raise SystemExit(1 if heavy else 0)
"""


def test_api_services_and_cli_import_no_textual() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
