"""Theme files: the project's own (shipped in the wheel) and the user's (config dir).

A theme file is TOML with the fields of ``textual.theme.Theme`` (``name``, ``primary``,
``background``, ``dark``, ... and an optional ``[variables]`` table).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from textual.theme import Theme

from apex_tui.services.theme_names import shipped_themes_dir

__all__ = [
    "ThemeFileError",
    "ThemeLoad",
    "discover_themes",
    "load_theme_file",
    "shipped_themes_dir",
]

_THEME_FIELDS = {
    "name",
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "dark",
    "luminosity_spread",
    "text_alpha",
    "variables",
}


class ThemeFileError(Exception):
    """A theme file that cannot be used; the message names the file and the fix."""


@dataclass
class ThemeLoad:
    """What ``discover_themes`` found: usable themes plus readable problems."""

    themes: list[Theme] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def load_theme_file(path: Path) -> Theme:
    """Read one theme file; raise ThemeFileError with what is wrong and what to do."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"Cannot read theme file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(
            f"Theme file {path} is not valid TOML ({exc}); fix or remove it."
        ) from exc
    unknown = sorted(set(data) - _THEME_FIELDS)
    if unknown:
        raise ThemeFileError(
            f"Theme file {path} has unknown keys {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(_THEME_FIELDS))}."
        )
    data.setdefault("name", path.stem)
    if "primary" not in data:
        raise ThemeFileError(f'Theme file {path} needs at least `primary = "#rrggbb"`.')
    try:
        theme = Theme(**data)
        theme.to_color_system()  # parses every colour now, not at first paint
    except Exception as exc:  # Color parsing raises several types
        raise ThemeFileError(f"Theme file {path} has a bad value: {exc}") from exc
    return theme


def discover_themes(directories: Iterable[Path]) -> ThemeLoad:
    """Load every ``*.toml`` in the directories (later ones override earlier by name)."""
    found: dict[str, Theme] = {}
    result = ThemeLoad()
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeFileError as exc:
                result.errors.append(str(exc))
                continue
            found[theme.name] = theme
    result.themes = list(found.values())
    return result
