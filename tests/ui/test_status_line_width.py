"""The status line fits its width: the activity, then the server's description, end at a
whole word with "…"; an activity with no room for a word is left out."""

from __future__ import annotations

from textual.app import App, ComposeResult

from apex_tui.ui.widgets.status_line import StatusLine

SERVER = "local server, openai engine (qwen2.5-coder-32b-instruct on a llama.cpp server)"


class StatusApp(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusLine()


def _row(app: App[None]) -> str:
    return app.query_one(StatusLine).render_line(0).text.rstrip()


async def test_the_status_line_shortens_at_whole_words() -> None:
    app = StatusApp()
    async with app.run_test(size=(150, 5)) as pilot:
        line = app.query_one(StatusLine)
        line.server = SERVER
        line.streaming("qwen2.5-coder-32b-instruct", 12_000, 10.0)
        await pilot.pause()
        wide = _row(app)
        assert SERVER in wide and "apex chats" in wide and wide.endswith("…") and len(wide) <= 150
        activity = wide.split("apex chats  ·  ", 1)[1].removesuffix("…")
        full = "streaming qwen2.5-coder-32b-instruct · 1,200 chars/s"
        assert full.startswith(activity) and not full[len(activity)].isalnum(), wide

        await pilot.resize_terminal(70, 5)
        await pilot.pause()
        narrow = _row(app)
        assert len(narrow) <= 70 and "apex chats" in narrow and "streaming" not in narrow
        server = narrow.split("  ·  ")[1].removesuffix("…")
        assert SERVER.startswith(server) and not SERVER[len(server)].isalnum(), narrow
