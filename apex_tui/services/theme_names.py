"""The theme names a config may choose, known without importing Textual (the CLI never loads
it): Textual's built-in themes, the theme files shipped with apex-tui and the user's own in the
``themes`` folder beside the config file."""

from __future__ import annotations

import tomllib
from pathlib import Path

__all__ = ["TEXTUAL_THEMES", "known_theme_names", "shipped_themes_dir", "theme_file_names"]

TEXTUAL_THEMES: tuple[str, ...] = (
    "ansi-dark",
    "ansi-light",
    "atom-one-dark",
    "atom-one-light",
    "catppuccin-frappe",
    "catppuccin-latte",
    "catppuccin-macchiato",
    "catppuccin-mocha",
    "dracula",
    "flexoki",
    "gruvbox",
    "monokai",
    "nord",
    "rose-pine",
    "rose-pine-dawn",
    "rose-pine-moon",
    "solarized-dark",
    "solarized-light",
    "textual-dark",
    "textual-light",
    "tokyo-night",
)
"""``textual.theme.BUILTIN_THEMES`` of the pinned Textual (a test compares the two)."""


def shipped_themes_dir() -> Path:
    """Where the project's theme files live: in the wheel, or at the repo root when editable."""
    inside = Path(__file__).resolve().parents[1] / "themes"
    if inside.is_dir():
        return inside
    return Path(__file__).resolve().parents[2] / "themes"


def theme_file_names(directory: Path) -> set[str]:
    """The names the ``*.toml`` theme files in ``directory`` declare (the file's stem when
    they declare none). A file that cannot be read, or has no ``primary`` colour, is left
    out; the app says what is wrong with it."""
    names: set[str] = set()
    if not directory.is_dir():
        return names
    for path in directory.glob("*.toml"):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        name = data.get("name", path.stem)
        if isinstance(name, str) and name and "primary" in data:  # as ui.themes requires
            names.add(name)
    return names


def known_theme_names(config_file: Path) -> set[str]:
    """Every theme the app would offer with this config file."""
    user_dir = config_file.parent / "themes"
    return {*TEXTUAL_THEMES, *theme_file_names(shipped_themes_dir()), *theme_file_names(user_dir)}
