"""Theme files, the draft store and the clipboard paths, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App

from apex_tui.ui.clipboard import Clipboard
from apex_tui.ui.drafts import DraftStore, new_chat_key
from apex_tui.ui.themes import ThemeFileError, discover_themes, load_theme_file, shipped_themes_dir


def test_shipped_themes_are_valid() -> None:
    found = discover_themes([shipped_themes_dir()])
    names = {t.name: t for t in found.themes}
    assert found.errors == []
    assert names["apex-dark"].dark and not names["apex-light"].dark


def test_user_theme_and_readable_errors(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text('primary = "#ff0000"\nbackground = "#000000"\n')
    (tmp_path / "broken.toml").write_text("primary = \n")
    (tmp_path / "typo.toml").write_text('primry = "#ff0000"\n')
    (tmp_path / "badcolour.toml").write_text('primary = "not-a-colour"\n')
    found = discover_themes([shipped_themes_dir(), tmp_path])
    assert "mine" in {t.name for t in found.themes}
    joined = "\n".join(found.errors)
    assert "broken.toml is not valid TOML" in joined
    assert "unknown keys primry" in joined
    assert "badcolour.toml has a bad value" in joined
    with pytest.raises(ThemeFileError):
        load_theme_file(tmp_path / "missing.toml")


def test_drafts_round_trip_and_move(tmp_path: Path) -> None:
    path = tmp_path / "state" / "drafts.json"
    store = DraftStore(path)
    store.set(new_chat_key("apex"), "half a thought")
    store.set("chat-1", "another")
    store.save()
    again = DraftStore(path)
    assert again.get("new:apex") == "half a thought"
    again.move("new:apex", "chat-2")
    again.set("chat-1", "")
    again.save()
    third = DraftStore(path)
    assert (third.get("chat-2"), third.get("chat-1"), third.get("new:apex")) == (
        "half a thought",
        "",
        "",
    )


def test_damaged_drafts_file_is_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "drafts.json"
    path.write_text("{not json")
    store = DraftStore(path)
    assert "could not be read" in store.load_error
    assert store.get("x") == ""


def test_clipboard_system_then_osc52() -> None:
    app: App[None] = App()
    copied: list[str] = []
    result = Clipboard(app, copied.append).copy("hello")
    assert (result.method, copied, app.clipboard) == ("system", ["hello"], "hello")
    assert "system clipboard" in result.toast

    def no_clipboard(text: str) -> None:
        raise RuntimeError("Pyperclip could not find a copy/paste mechanism for your system.")

    result = Clipboard(app, no_clipboard).copy("over ssh")
    assert result.method == "osc52" and app.clipboard == "over ssh"
    # one short line: what happened and what to do, not pyperclip's words (kept for the log)
    assert "OSC 52" in result.toast and "set-clipboard" in result.toast
    assert "Pyperclip" not in result.toast and "http" not in result.toast
    assert "\n" not in result.toast and len(result.toast) <= 69
    assert "Pyperclip could not find" in result.detail
