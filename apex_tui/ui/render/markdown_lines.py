"""Render Markdown blocks and plain text to Textual `Strip`s at a given width, with a cache.

Blocks are rendered from the tokens the splitter already produced (no second parse), through Rich's
own `Markdown` renderer, on a private Rich console that carries the palette's theme. Finished blocks
are cached by (source, width); the palette is fixed per renderer, so a theme change means a new
renderer (and so an empty cache).
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from rich.console import Console, RenderableType
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from apex_tui.ui.render.blocks import MarkdownBlock
from apex_tui.ui.render.palette import Palette

if TYPE_CHECKING:
    from markdown_it.token import Token
    from rich.markdown import Markdown


@cache
def _token_markdown() -> Callable[..., Markdown]:
    """Rich's Markdown renderer fed with already-parsed tokens. Made on first use: Rich's
    Markdown and Syntax pull in markdown-it and Pygments, which the first frame does not need."""
    from rich.markdown import Markdown

    class TokenMarkdown(Markdown):
        def __init__(self, tokens: list[Token], *, code_theme: str) -> None:
            self.markup = ""
            self.parsed = tokens
            self.code_theme = code_theme
            self.justify = None
            self.style = "none"
            self.hyperlinks = True
            self.inline_code_lexer = None
            self.inline_code_theme = code_theme

    return TokenMarkdown


# Rich renders a container's children before the container itself, so a container block rendered
# on its own already starts with the blank line Rich puts between blocks; leaf blocks do not.
_CONTAINERS = frozenset({"bullet_list_open", "ordered_list_open", "blockquote_open", "table_open"})


def separator(previous: MarkdownBlock | None, block: MarkdownBlock, width: int) -> list[Strip]:
    """The blank line Rich would put between `previous` and `block` in one document (or none)."""
    if previous is None or previous.kind == "hr" or block.kind in _CONTAINERS:
        return []
    return [Strip.blank(width)]


WARM_UP_LANGUAGES = ("python", "bash", "json")
"""Code languages whose Pygments lexer is loaded ahead of the first code block of an answer."""


def _warm_up(code_theme: str) -> None:
    from rich.syntax import Syntax

    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="truecolor")
    for language in WARM_UP_LANGUAGES:
        console.print(Syntax("x = 1\n", language, theme=code_theme, word_wrap=True, padding=1))


class BlockRenderer:
    """Turns Markdown blocks and plain text into lists of `Strip`s for one palette.

    `renders` counts real (uncached) block renders; tests use it to prove that streaming
    re-renders only the tail block.
    """

    def __init__(self, palette: Palette, *, cache_size: int = 4096) -> None:
        self.palette = palette
        self.renders = 0
        self._warmed = False
        self._cache: OrderedDict[tuple[str, int], list[Strip]] = OrderedDict()
        self._cache_size = cache_size
        self._console = Console(
            file=io.StringIO(),
            width=80,
            color_system="truecolor",
            force_terminal=True,
            legacy_windows=False,
            theme=palette.rich_theme,
            markup=False,
            emoji=False,
            highlight=False,
        )

    def warm_up(self) -> None:
        """Load the code lexers and theme in a background thread, once per renderer.

        The first code block otherwise imports Pygments' lexer module and compiles its regular
        expressions on the UI thread: a 70 ms stall idle, ~200 ms on a busy machine, in the
        middle of a streaming answer (bench/keys.py). A thread gives the UI the interpreter
        back every few milliseconds; it uses its own console, nothing shared.
        """
        if self._warmed:
            return
        self._warmed = True
        threading.Thread(
            target=_warm_up, args=(self.palette.code_theme,), name="apex-warm-up", daemon=True
        ).start()

    def render(
        self, renderable: RenderableType, width: int, style: Style | None = None
    ) -> list[Strip]:
        """Render any Rich renderable to strips exactly `width` cells wide."""
        width = max(1, width)
        options = self._console.options.update_width(width)
        lines = self._console.render_lines(renderable, options, style=style, pad=True)
        return [Strip(line, width) for line in lines]

    def render_block(self, block: MarkdownBlock, width: int, *, cache: bool = True) -> list[Strip]:
        """Strips for one Markdown block; cached when `cache` (finished blocks), else fresh."""
        key = (block.source, width)
        if cache and (hit := self._cache.get(key)) is not None:
            self._cache.move_to_end(key)
            return hit
        self.renders += 1
        strips = self.render(
            _token_markdown()(block.tokens, code_theme=self.palette.code_theme), width
        )
        if cache:
            self._cache[key] = strips
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return strips

    def render_blocks(
        self, blocks: list[MarkdownBlock], width: int, *, live_tail: bool = False
    ) -> list[Strip]:
        """Strips for consecutive blocks, separated the way Rich separates them in one document.

        With `live_tail` the last block is still growing: it is rendered but not cached.
        """
        strips: list[Strip] = []
        previous: MarkdownBlock | None = None
        for index, block in enumerate(blocks):
            strips.extend(separator(previous, block, width))
            is_tail = live_tail and index == len(blocks) - 1
            strips.extend(self.render_block(block, width, cache=not is_tail))
            previous = block
        return strips

    def render_text(self, text: str, width: int, style: Style) -> list[Strip]:
        """Plain text wrapped to `width` (Rich markup in it is shown literally, not applied)."""
        return self.render(Text(text, style=style, end=""), width)
