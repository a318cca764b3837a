"""The config layer's list of Textual's themes (it cannot import Textual) is Textual's own."""

from __future__ import annotations

from textual.theme import BUILTIN_THEMES

from apex_tui.services.theme_names import TEXTUAL_THEMES, shipped_themes_dir, theme_file_names
from apex_tui.ui.themes import discover_themes


def test_textual_theme_names_match_textuals_registry() -> None:
    assert sorted(TEXTUAL_THEMES) == sorted(BUILTIN_THEMES)


def test_shipped_theme_names_are_the_themes_the_app_loads() -> None:
    loaded = {t.name for t in discover_themes([shipped_themes_dir()]).themes}
    assert theme_file_names(shipped_themes_dir()) == loaded == {"apex-dark", "apex-light"}
