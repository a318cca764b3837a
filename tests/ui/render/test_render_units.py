"""Unit tests of the conversation's rendering pieces: block splitting, layout, inert text."""

from __future__ import annotations

import pytest
from rich.markdown import Markdown

from apex_tui.ui.render.blocks import BlockStream, code_blocks, split_blocks
from apex_tui.ui.render.layout import TurnLayout
from apex_tui.ui.render.markdown_lines import BlockRenderer
from apex_tui.ui.render.palette import Palette
from apex_tui.ui.render.turn import AnswerLines
from apex_tui.ui.safe_text import make_inert

DOCS = [
    "- a list first\n- b\n\n# Title\n\nSome *para* with `code` and [a link](http://x.y)\n"
    "continues.\n\n- item 1\n- item 2\n\n  nested para\n\n```python\ndef f():\n\n    return 1\n"
    "```\n---\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\nlazy\n\n## Sub\n1. one\n2. two\n***\n"
    "after hr\n    indented code\n\n> q2\n\n---\n- x\n---\n| t | u |\n|--|--|\n| 1 | 2 |\n"
    "Para after table\n<div>html</div>\n\nlast",
    "Just text",
    "```\nunclosed fence",
    "> a\n\n> b\n\n1. x\n\n   ```\n   code\n   ```\n",
    "Setext\n===\n\ntext\n\n\n\n* star list\n+ plus list\n",
]


@pytest.fixture(scope="module")
def renderer() -> BlockRenderer:
    return BlockRenderer(Palette.from_variables({}, dark=True))


@pytest.mark.parametrize("doc", DOCS)
@pytest.mark.parametrize("width", [30, 100])
def test_blockwise_render_equals_rich_one_shot(
    renderer: BlockRenderer, doc: str, width: int
) -> None:
    one_shot = renderer.render(Markdown(doc, code_theme=renderer.palette.code_theme), width)
    assert renderer.render_blocks(split_blocks(doc), width) == one_shot


@pytest.mark.parametrize("doc", DOCS)
def test_block_stream_char_by_char_equals_full_split(doc: str) -> None:
    stream = BlockStream()
    for end in range(1, len(doc) + 1):
        stream.update(doc[:end])
    assert [b.source for b in stream.blocks()] == [b.source for b in split_blocks(doc)]


@pytest.mark.parametrize("doc", DOCS)
def test_answer_lines_streamed_equal_one_shot(renderer: BlockRenderer, doc: str) -> None:
    lines = AnswerLines(renderer, 60)
    for end in range(0, len(doc) + 7, 7):
        lines.update(doc[:end])
    assert lines.can_finish(doc)
    assert lines.update(doc) == renderer.render(Markdown(doc), 60)


@pytest.mark.parametrize("doc", DOCS)
def test_answer_lines_rendered_ahead_show_nothing_until_updated(
    renderer: BlockRenderer, doc: str
) -> None:
    """Rendering ahead (while a flood of text waits for its paced draw) changes no line shown;
    the next update shows everything, the same as without it."""
    ahead, plain = AnswerLines(renderer, 60), AnswerLines(renderer, 60)
    shown = ahead.update(doc[:10])
    for end in range(10, len(doc) + 7, 7):
        assert ahead.render_ahead(doc[:end])  # no deadline: every finished block
        assert ahead.lines is shown
    assert ahead.update(doc) == plain.update(doc) == renderer.render(Markdown(doc), 60)


def test_answer_lines_refuse_shortcut_for_reference_links(renderer: BlockRenderer) -> None:
    doc = "See [the docs][d].\n\n[d]: https://example.com\n"
    lines = AnswerLines(renderer, 60)
    lines.update(doc)
    assert not lines.can_finish(doc)
    assert not lines.can_finish(doc + "changed")


def test_code_blocks_include_nested_and_indented() -> None:
    doc = "```py\na = 1\n```\n\n- item\n\n  ```\n  nested\n  ```\n\npara\n\n    indented\n"
    assert code_blocks(doc) == ["a = 1\n", "nested\n", "indented\n"]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[31mred\x1b[0m b", "ared b"),
        ("x\x1b]52;c;aGVsbG8=\x07y", "xy"),
        ("t\x1b]0;title\x1b\\z", "tz"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("\x9b31mq\x07\x00ok\t\n", "qok\t\n"),
        ("\x1bPq#0;2;0;0;0\x1b\\after", "after"),
        ("plain [bold]x[/] ünïcode ✓", "plain [bold]x[/] ünïcode ✓"),
    ],
)
def test_make_inert(raw: str, shown: str) -> None:
    assert make_inert(raw) == shown


def test_make_inert_returns_same_object_when_clean() -> None:
    text = "nothing to do here\n\tindented"
    assert make_inert(text) is text


def test_layout_locate_offsets_and_corrections() -> None:
    layout = TurnLayout()
    layout.reset([5, 3, 4])
    assert layout.total == 12
    assert layout.locate(0) == (0, 0)
    assert layout.locate(5) == (1, 0)
    assert layout.locate(11) == (2, 3)
    assert layout.locate(12) == (-1, 0)
    assert layout.set_height(0, 7) == 2 and layout.exact[0]
    assert layout.offset(2) == 10 and layout.total == 14
    layout.insert(1, 2)
    assert layout.offset(2) == 9 and layout.locate(8) == (1, 1)
    layout.remove(0)
    assert layout.total == 9 and layout.locate(0) == (0, 0)


def test_footnotes_skip_sources_the_answer_already_lists() -> None:
    from apex_tui.ui.render.turn import TurnView, footnote_sources

    turn = TurnView(
        key="k",
        prompt="q",
        answer="Cited [1] and [2].\n\n1. <https://a.example/one>",
        sources=[("https://a.example/one", "One"), ("https://a.example/two", "Two")],
    )
    assert footnote_sources(turn) == [(2, ("https://a.example/two", "Two"))]
