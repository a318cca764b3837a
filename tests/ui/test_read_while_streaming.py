"""Reading up while an answer streams in the app, then End once it has finished: the view
jumps (no animation) to the answer's real last line and follows again. (An animated End aimed
at the end as estimated when it began; in a terminal the view then stopped a few rows short
of the answer's last lines.)"""

from __future__ import annotations

from pathlib import Path

from apex_pilot import SIZE, AppFactory, main_of, send, settle, until

from apex_tui.server.embedded import EmbeddedServer, ServerOptions
from apex_tui.ui.widgets.conversation import ConversationView

QUESTION = (
    "Write a long detailed guide to Bittensor subnets, validators, miners, staking and Apex "
    "with code examples"
)


async def test_end_after_reading_up_reaches_the_end_of_the_finished_answer(
    make_app: AppFactory, tmp_path: Path
) -> None:
    with EmbeddedServer(
        ServerOptions(db_path=tmp_path / "paced.db", tokens_per_second=2000)
    ) as server:
        app = make_app(base_url=server.base_url)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            main = main_of(app)
            view = main.view
            await send(pilot, QUESTION)
            await until(pilot, lambda: view.max_scroll_y > 10, "more than a screenful")
            assert main.streaming
            await pilot.click(ConversationView, offset=(40, 10))  # as a reader does: focus
            await pilot.press("pageup", "pageup")
            await pilot.pause()
            assert not view.following
            await until(pilot, lambda: not main.streaming, "the end of the answer")
            await settle(pilot)
            await pilot.press("end")
            await pilot.pause()
            # At once, not animated: an animation aims at the end as estimated when it starts.
            assert view.following and view.scroll_y == view.max_scroll_y
            for _ in range(30):  # a bound: the rows that come into view render and settle
                await pilot.pause(0.01)
            lines = [view.render_line(y).text for y in range(view.size.height)]
            assert view.following and view.scroll_y == view.max_scroll_y
            assert any("Offline engine" in line for line in lines[-5:]), lines[-8:]
