"""Where apex-tui keeps its files (config, data, state), per platform.

Its own module, free of pydantic, so the interactive command can find the config file and the
local server's database before the config models are imported (``early_server``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["APP_DIR", "config_dir", "config_path", "data_dir", "state_dir"]

APP_DIR = "apex-tui"


def _platform_dir(xdg_var: str, fallback: str, mac: str, win_var: str) -> Path:
    value = os.environ.get(xdg_var)
    if value:
        return Path(value) / APP_DIR
    if sys.platform == "win32":
        return Path(os.environ.get(win_var) or Path.home() / "AppData" / "Roaming") / APP_DIR
    if sys.platform == "darwin":
        return Path.home() / "Library" / mac / APP_DIR
    return Path.home() / fallback / APP_DIR


def config_dir() -> Path:
    return _platform_dir("XDG_CONFIG_HOME", ".config", "Application Support", "APPDATA")


def config_path() -> Path:
    """``$XDG_CONFIG_HOME/apex-tui/config.toml`` (platform equivalent elsewhere)."""
    return config_dir() / "config.toml"


def data_dir() -> Path:
    """Where the embedded server keeps its database (``$XDG_DATA_HOME/apex-tui``)."""
    return _platform_dir("XDG_DATA_HOME", ".local/share", "Application Support", "LOCALAPPDATA")


def state_dir() -> Path:
    """Local client state such as watched research jobs (``$XDG_STATE_HOME/apex-tui``)."""
    return _platform_dir("XDG_STATE_HOME", ".local/state", "Application Support", "LOCALAPPDATA")
