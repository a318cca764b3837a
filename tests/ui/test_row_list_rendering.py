"""The chat list draws a one-line Rich row straight to segments (``RowList._text_row``): cell
for cell, and style for style, what the generic visual path (``_visual_row``) draws, for
plain, long, wide (CJK, emoji), empty and heading rows, normal and highlighted, at several
widths."""

from __future__ import annotations

from apex_pilot import SIZE, AppFactory, settle
from rich.style import Style
from textual.strip import Strip

from apex_tui.api.models import ChatSession
from apex_tui.ui.widgets.sessions import ChatList, SessionsPane

TITLES = [
    "Short",
    "A much longer title that will need to be cut at a whole word somewhere",
    "中文 标题 很长很长很长很长很长很长很长很长很长很长",
    "emoji 😀 title",
    "",
]


def _cells(strip: Strip) -> list[tuple[str, Style | None]]:
    """Each cell's character and look (meta, such as Textual's selection offsets, left out)."""
    out: list[tuple[str, Style | None]] = []
    for segment in strip:
        look = segment.style
        plain = (
            None
            if look is None
            else Style(
                color=look.color,
                bgcolor=look.bgcolor,
                bold=look.bold,
                dim=look.dim,
                italic=look.italic,
                underline=look.underline,
                strike=look.strike,
                reverse=look.reverse,
            )
        )
        out += [(char, plain) for char in segment.text]
    return out


async def test_text_rows_are_drawn_as_the_visual_path_draws_them(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(SessionsPane)
        chat_list = app.screen.query_one(ChatList)
        sessions = [
            ChatSession(id=f"c{i}", title=t, chat_type="apex") for i, t in enumerate(TITLES)
        ]
        pane.set_sessions(sessions, "apex")
        pane.highlight("c1")
        pane.toggle_mark()  # a marked row starts with its bold "●"
        await pilot.pause()
        assert chat_list.row_prompt("c1").plain.startswith("●")
        rows = [
            *(s.id for s in sessions),
            *(r for r in chat_list.row_ids if r.startswith("group:")),
        ]
        assert any(r.startswith("group:") for r in rows)
        for parts in (
            ("option-list--option",),
            ("option-list--option", "option-list--option-highlighted"),
        ):
            style = chat_list.get_visual_style(*parts)
            for row in rows:
                for width in (33, 23, 10):
                    prompt = chat_list.row_prompt(row)
                    fast = chat_list._text_row(prompt, style, width)
                    generic = chat_list._visual_row(prompt, style, width)
                    assert fast.cell_length == generic.cell_length == width
                    assert _cells(fast) == _cells(generic), (row, width)
