"""The folders apex-tui uses: the XDG variables win everywhere; otherwise platformdirs' user
folders, which on Linux are the same ``~/.config``, ``~/.local/share`` and ``~/.local/state``
apex-tui used before it relied on platformdirs."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from apex_tui.services.paths import config_dir, config_path, data_dir, state_dir

XDG = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


def test_the_xdg_variables_are_used_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in XDG:
        monkeypatch.setenv(var, str(tmp_path / var))
    assert config_dir() == tmp_path / "XDG_CONFIG_HOME" / "apex-tui"
    assert config_path() == tmp_path / "XDG_CONFIG_HOME" / "apex-tui" / "config.toml"
    assert data_dir() == tmp_path / "XDG_DATA_HOME" / "apex-tui"
    assert state_dir() == tmp_path / "XDG_STATE_HOME" / "apex-tui"


@pytest.mark.parametrize("value", [None, ""])
def test_unset_or_empty_variables_give_platformdirs_folders(
    value: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in XDG:
        if value is None:
            monkeypatch.delenv(var, raising=False)
        else:
            monkeypatch.setenv(var, value)
    assert config_dir() == Path(
        platformdirs.user_config_dir("apex-tui", appauthor=False, roaming=True)
    )
    assert data_dir() == Path(platformdirs.user_data_dir("apex-tui", appauthor=False))
    assert state_dir() == Path(platformdirs.user_state_dir("apex-tui", appauthor=False))
    if sys.platform.startswith("linux"):  # the folders apex-tui has always used there
        assert config_dir() == tmp_path / ".config" / "apex-tui"
        assert data_dir() == tmp_path / ".local" / "share" / "apex-tui"
        assert state_dir() == tmp_path / ".local" / "state" / "apex-tui"
