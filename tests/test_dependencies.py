"""Textual has a range in the runtime dependencies (installs get its fixes) and one exact
version in the dev extra (the SVG snapshots are drawn by that version); the two agree, and the
Textual running the tests is the pinned one."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def _requirements(names: list[str]) -> dict[str, Requirement]:
    parsed = [Requirement(r) for r in names]
    return {r.name: r for r in parsed}


def _project() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]


def test_runtime_textual_is_a_range_that_holds_the_snapshot_pin() -> None:
    runtime = _requirements(_project()["dependencies"])["textual"]
    dev = _requirements(_project()["optional-dependencies"]["dev"])["textual"]
    operators = {spec.operator for spec in runtime.specifier}
    assert "==" not in operators and {">=", "<"} <= operators, runtime
    (pin,) = list(dev.specifier)
    assert pin.operator == "==", dev
    assert runtime.specifier.contains(pin.version), (runtime, pin)


def test_the_tests_run_on_the_pinned_textual() -> None:
    """Snapshots only compare on the Textual they were drawn with: `pip install -e '.[dev]'`."""
    dev = _requirements(_project()["optional-dependencies"]["dev"])["textual"]
    assert dev.specifier.contains(version("textual")), (version("textual"), dev)


def test_platformdirs_is_a_runtime_dependency() -> None:
    assert "platformdirs" in _requirements(_project()["dependencies"])
