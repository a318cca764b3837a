"""Make the README's screenshots: the real app driven against the real local server.

    python screenshots/make.py [--out screenshots]

Each scene is an SVG exported by Textual, then a PNG rendered with resvg-py when it is installed
(the SVG asks for the "Fira Code" web font, which cannot be fetched offline, so the font family is
rewritten to DejaVu Sans Mono first). Data are made through the app itself or the client, so what
the pictures show is what a person would see.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from apex_tui.ui.widgets.prompt_bar import RESEARCH_MODE

SIZE = (120, 36)
WIDE = (160, 42)
KEY = "screenshots"


def render_png(svg_path: Path) -> Path | None:
    """PNG beside the SVG, or ``None`` when no converter is installed."""
    try:
        import resvg_py  # type: ignore[import-not-found]
    except ImportError:
        return None
    svg = svg_path.read_text(encoding="utf-8")
    svg = re.sub(r"font-family:\s*Fira Code[^;\"]*", "font-family: DejaVu Sans Mono", svg)
    svg = svg.replace('"Fira Code"', '"DejaVu Sans Mono"')
    data = resvg_py.svg_to_bytes(svg_string=svg, font_dirs=["/usr/share/fonts"])
    png = svg_path.with_suffix(".png")
    png.write_bytes(bytes(data))
    return png


async def settle(pilot: Pilot[Any], seconds: float = 0.0) -> None:
    """Let workers finish and the screen catch up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    if seconds:
        await asyncio.sleep(seconds)
    await pilot.pause()
    main = pilot.app.main_screen
    if main is not None:
        main.view.flush()
    await pilot.pause()


async def send(pilot: Pilot[Any], text: str, mode: str = "basic") -> None:
    main = pilot.app.main_screen
    main.prompt_bar.completion_type = mode
    main.prompt_bar.input.focus()
    main.prompt_bar.input.load_text(text)
    await pilot.press("enter")


Scene = Callable[[Pilot[Any]], Awaitable[None]]


async def welcome(pilot: Pilot[Any]) -> None:
    await settle(pilot)


async def chat(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await send(pilot, "Compare SQLite and PostgreSQL for a desktop app, with a table and code")
    await settle(pilot)
    main = pilot.app.main_screen
    main.view.scroll_to(y=12, animate=False)
    await settle(pilot)


async def help_screen(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("f1")
    await settle(pilot)


async def settings(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)


async def light(pilot: Pilot[Any]) -> None:
    pilot.app.theme = "apex-light"
    await chat(pilot)


async def search(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await send(pilot, "How do Bittensor validators score miners?", mode="web-search")
    await settle(pilot)
    await pilot.press("f3")  # the pane holds this answer's sources
    await settle(pilot)


async def research(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    main = pilot.app.main_screen
    tracker = main.research_pane.tracker
    if tracker is not None:
        tracker.poll_interval = 0.2
    await send(pilot, "How do Bittensor subnets reward their miners?", mode=RESEARCH_MODE)
    for _ in range(60):  # until a few steps have arrived (the server paces them)
        await asyncio.sleep(0.25)
        if any(job.steps >= 8 for job in main.research_pane.jobs.values()):
            break
    else:
        await asyncio.sleep(3)
    await pilot.pause()


async def branches(pilot: Pilot[Any]) -> None:
    """A prompt edited and resent (a second branch, "‹ 2/2 ›"), part of its answer selected
    with the mouse as one would to copy it."""
    from apex_tui.ui.widgets.conversation import ConversationView
    from apex_tui.ui.widgets.conversation_paint import GUTTER

    await settle(pilot)
    await send(pilot, "Compare SQLite and PostgreSQL for a desktop app")
    await settle(pilot)
    main = pilot.app.main_screen
    view = main.view
    view.focus()
    await pilot.press("e")
    main.prompt_bar.input.load_text("Compare SQLite and PostgreSQL for a desktop app, briefly")
    await pilot.press("enter")
    await settle(pilot)
    view.focus()
    view.scroll_home(animate=False)
    await settle(pilot)
    lines = [line.text for line in view.rendered_lines(view.turns[-1].key)]
    top = next(i for i, text in enumerate(lines) if text.startswith("You asked"))
    await pilot.mouse_down(ConversationView, offset=(GUTTER, top))
    await pilot.hover(ConversationView, offset=(GUTTER + 40, top + 3))
    await pilot.mouse_up(ConversationView, offset=(GUTTER + 40, top + 3))
    await settle(pilot)


SCENES: dict[str, tuple[Scene, tuple[int, int]]] = {
    "welcome": (welcome, SIZE),
    "chat": (chat, SIZE),
    "help": (help_screen, SIZE),
    "settings": (settings, SIZE),
    "light": (light, SIZE),
    "search": (search, WIDE),
    "research": (research, WIDE),
    "branches": (branches, SIZE),  # last: its chat would show in the others' chat lists
}


async def seed_chats(base_url: str) -> None:
    """A few stored chats, so the sessions pane shows what a returning user sees."""
    from apex_tui.api.client import ApexClient
    from apex_tui.services.chat_sync import ChatSettings, ChatSync

    prompts = [
        "Explain Bittensor subnet 1 in two paragraphs",
        "Write a Python function that retries with exponential backoff",
        "What is the difference between WAL and rollback journals?",
    ]
    async with ApexClient(base_url, KEY) as client:
        sync = ChatSync(client)
        for prompt in prompts:
            async for _ in sync.send(None, prompt, [], ChatSettings(max_new_tokens=200, seed=7)):
                pass


async def shoot(name: str, out: Path, base_url: str, state: Path) -> Path:
    from apex_tui.api.client import ApexClient
    from apex_tui.services.config import Config
    from apex_tui.services.connection import Connection
    from apex_tui.ui.app import ApexApp

    scene, size = SCENES[name]
    client = ApexClient(base_url, KEY)
    connection = Connection(client=client, description="local server, offline engine")
    config = Config()
    config.defaults.seed = 42
    app = ApexApp(connection, config, config_file=state / f"{name}.toml", state_path=state / name)
    async with app.run_test(size=size) as pilot:
        await scene(pilot)
        svg = out / f"{name}.svg"
        svg.write_text(app.export_screenshot(title=f"apex-tui · {name}"), encoding="utf-8")
    return svg


async def main_async(out: Path, names: list[str]) -> None:
    from apex_tui.server.embedded import EmbeddedServer, ServerOptions

    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            os.environ[var] = str(state / var.lower())
        options = ServerOptions(
            db_path=state / "apex.db", tokens_per_second=0, research_step_seconds=0.4
        )
        with EmbeddedServer(options) as server:
            await seed_chats(server.base_url)
            for name in names:
                svg = await shoot(name, out, server.base_url, state)
                png = render_png(svg)
                print(f"{name}: {svg}" + (f", {png}" if png else " (no PNG: pip install resvg-py)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument(
        "scenes", nargs="*", help=f"which to make (default all: {', '.join(SCENES)})"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenes if name not in SCENES]
    if unknown:
        parser.error(f"unknown scene(s) {', '.join(unknown)}; choose from {', '.join(SCENES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(main_async(args.out, args.scenes or list(SCENES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
