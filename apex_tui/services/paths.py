"""Where apex-tui keeps its files (config, data, state), per platform.

Its own module, free of pydantic, so the interactive command can find the config file and the
local server's database before the config models are imported (``early_server``).

The XDG variables win on every platform (as they always have here; platformdirs honours them
only on Linux and macOS); without them the folders are platformdirs' user folders, imported
only then (~3 ms), which on Linux are ``~/.config``, ``~/.local/share`` and ``~/.local/state``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["APP_DIR", "config_dir", "config_path", "data_dir", "state_dir"]

APP_DIR = "apex-tui"


def _xdg_dir(variable: str) -> Path | None:
    """``$VARIABLE/apex-tui`` when the variable is set and not empty."""
    value = os.environ.get(variable)
    return Path(value) / APP_DIR if value else None


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/apex-tui``, else the platform's (roaming on Windows) config folder."""
    found = _xdg_dir("XDG_CONFIG_HOME")
    if found is None:
        import platformdirs

        found = Path(platformdirs.user_config_dir(APP_DIR, appauthor=False, roaming=True))
    return found


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/apex-tui/config.toml`` (platform equivalent elsewhere)."""
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """Where the embedded server keeps its database (``$XDG_DATA_HOME/apex-tui``)."""
    found = _xdg_dir("XDG_DATA_HOME")
    if found is None:
        import platformdirs

        found = Path(platformdirs.user_data_dir(APP_DIR, appauthor=False))
    return found


def state_dir() -> Path:
    """Local client state such as watched research jobs (``$XDG_STATE_HOME/apex-tui``)."""
    found = _xdg_dir("XDG_STATE_HOME")
    if found is None:
        import platformdirs

        found = Path(platformdirs.user_state_dir(APP_DIR, appauthor=False))
    return found
