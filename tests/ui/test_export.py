"""Exporting from the app (issue 14, items 19-20): the open chat and a research report, each
through a dialog that shows the format and the path before anything is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from apex_pilot import SIZE, AppFactory, main_of, notices, send, settle
from textual.app import App
from textual.widgets import Input, RadioSet

from apex_tui.services.chat_export import chat_markdown, export_chat, export_filename
from apex_tui.ui.commands import app_commands
from apex_tui.ui.export import ExportFailed, default_export_dir, deliver_or_write
from apex_tui.ui.screens.export import ExportScreen


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home with a Documents folder (the export dialog's default)."""
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_default_folder_is_documents_else_the_current_one(tmp_path: Path) -> None:
    (tmp_path / "with" / "Documents").mkdir(parents=True)
    (tmp_path / "without").mkdir()
    assert default_export_dir(tmp_path / "with", tmp_path) == tmp_path / "with" / "Documents"
    assert default_export_dir(tmp_path / "without", tmp_path / "cwd") == tmp_path / "cwd"


def test_file_names_come_from_the_title() -> None:
    assert export_filename("What is Apex? (v2)", "abc123456", "md") == "what-is-apex-v2.md"
    assert export_filename("", "abc123456789", "json") == "chat-abc12345.json"


async def test_export_chat_as_markdown_then_json(make_app: AppFactory, home: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "What is Apex?")
        await settle(pilot)
        main.action_export_chat()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        box = dialog.query_one("#export-path", Input)
        assert box.value == str(home / "Documents" / "what-is-apex.md")  # shown before writing
        assert app.focused is box
        await pilot.press("enter")
        await pilot.pause()
        written = home / "Documents" / "what-is-apex.md"
        turns = main.chat.turns
        assert written.read_text(encoding="utf-8") == chat_markdown("What is Apex?", turns)
        assert any(f"Saved to {written}" in n for n in notices(app))

        main.action_export_chat()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query_one(RadioSet).query("RadioButton").last().value = True
        await pilot.pause()
        box = dialog.query_one("#export-path", Input)
        assert box.value.endswith("what-is-apex.json")  # the extension follows the format
        await pilot.press("ctrl+s")
        await pilot.pause()
        data = json.loads((home / "Documents" / "what-is-apex.json").read_text(encoding="utf-8"))
        assert data["chat"]["id"] == main.chat_id
        assert [t["prompt"] for t in data["turns"]] == ["What is Apex?"]
        assert data == json.loads(
            export_chat(
                main.chat_id or "", main.sessions.session(main.chat_id or ""), turns, "json"
            )
        )


async def test_export_refuses_a_missing_folder_and_says_so(
    make_app: AppFactory, home: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "hello")
        await settle(pilot)
        main.action_export_chat()
        await pilot.pause()
        dialog = app.screen
        box = dialog.query_one("#export-path", Input)
        box.value = str(home / "nowhere" / "chat.md")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # still open, saying why
        note = str(dialog.query_one("#export-note").render())
        assert "does not exist" in note
        await pilot.press("escape")
        assert not (home / "nowhere").exists()


async def test_nothing_to_export_in_a_new_chat(make_app: AppFactory, home: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main_of(app).action_export_chat()
        await pilot.pause()
        assert not isinstance(app.screen, ExportScreen)
        assert any("Nothing to export yet" in n for n in notices(app))


async def test_palette_has_export_and_one_maximise(make_app: AppFactory, home: Path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        names = [name for name, _, _ in app_commands(app, main)]
        assert "Export chat" in names and "Export research report" in names
        main.panes.show(main.search_pane, True)
        main.search_pane.query_one("#search-results").focus()
        await pilot.pause()
        system: list[Any] = [c.title for c in app.get_system_commands(app.screen)]
        everything = names + system
        assert "Maximise pane" in everything
        assert "Maximize" not in everything and "Minimize" not in everything


class WebApp(App[None]):
    """An app as textual-serve runs it: files go to the browser (``deliver_text``)."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered: list[tuple[str, str | None, str | None]] = []

    @property
    def is_web(self) -> bool:
        return True

    def deliver_text(self, path_or_file: Any, **options: Any) -> str | None:
        self.delivered.append(
            (path_or_file.read(), options.get("save_filename"), options.get("mime_type"))
        )
        return "key"


def test_in_a_browser_the_file_is_a_download(tmp_path: Path) -> None:
    app = WebApp()
    delivered = deliver_or_write(app, "# hi\n", "chat.md", tmp_path / "chat.md")
    assert delivered.downloaded and app.delivered == [("# hi\n", "chat.md", "text/markdown")]
    assert not (tmp_path / "chat.md").exists()
    assert delivered.describe() == "Downloading chat.md in your browser"


def test_in_a_terminal_the_file_is_written(tmp_path: Path) -> None:
    delivered = deliver_or_write(App(), "{}\n", "chat.json", tmp_path / "chat.json")
    assert delivered.path == tmp_path / "chat.json"
    assert (tmp_path / "chat.json").read_text(encoding="utf-8") == "{}\n"
    assert (tmp_path / "chat.json").stat().st_mode & 0o777 == 0o644
    with pytest.raises(ExportFailed, match="is a folder"):
        deliver_or_write(App(), "x", "chat.md", tmp_path)
