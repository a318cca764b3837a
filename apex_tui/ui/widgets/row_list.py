"""A Line-API list of one-line rows named by id: it renders only the rows in view.

Textual's ``OptionList`` holds an ``Option`` (and a visual) per row and measures every row;
for 10,000 chats that is ~0.5 s per rebuild. Here a rebuild is one list of ids: a row's prompt
is asked for (``row_prompt``) only when the row is painted, and its strip is cached by
(id, style, width), so filtering keeps the strips already drawn. It looks and behaves like an
``OptionList`` (same component classes and keys: up/down wrap past disabled rows, home/end,
page up/down, Enter or a click selects).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style as RichStyle
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style
from textual.visual import Padding, VisualType, visualize

__all__ = ["RowList"]


class RowList(ScrollView, can_focus=True):
    """Rows are ids; subclasses say what a row shows and whether it can be highlighted."""

    ALLOW_SELECT = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "cursor_down", "Down", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("enter", "select", "Select", show=False),
        Binding("home", "first", "First", show=False),
        Binding("pagedown", "page_down", "Page Down", show=False),
        Binding("pageup", "page_up", "Page Up", show=False),
        Binding("up", "cursor_up", "Up", show=False),
    ]

    # OptionList's look, under OptionList's component class names (themes style them alike).
    DEFAULT_CSS = """
    RowList {
        height: auto;
        max-height: 100%;
        color: $foreground;
        overflow-x: hidden;
        border: tall $border-blurred;
        padding: 0 1;
        background: $surface;
        & > .option-list--option-highlighted {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
            & > .option-list--option-highlighted {
                color: $block-cursor-foreground;
                background: $block-cursor-background;
                text-style: $block-cursor-text-style;
            }
        }
        & > .option-list--option-highlighted {
            color: $foreground;
            background: $block-cursor-blurred-background;
        }
        & > .option-list--option-disabled {
            color: $text-disabled;
        }
        & > .option-list--option-hover {
            background: $block-hover-background;
        }
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "option-list--option",
        "option-list--option-disabled",
        "option-list--option-highlighted",
        "option-list--option-hover",
    }

    highlighted: reactive[int | None] = reactive(None)
    """Index of the highlighted row, or ``None``."""

    _hover: reactive[int | None] = reactive(None)

    class RowSelected(Message):
        """Enter or a click on an enabled row."""

        def __init__(self, row_list: RowList, row_id: str, index: int) -> None:
            super().__init__()
            self.row_list = row_list
            self.row_id = row_id
            self.index = index

        @property
        def control(self) -> RowList:
            return self.row_list

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._ids: list[str] = []
        self._strips: LRUCache[tuple[str, Style, int], Strip] = LRUCache(maxsize=1024)

    # --- what a row is (subclasses) ----------------------------------------------------------

    def row_prompt(self, row_id: str) -> VisualType:
        """What the row shows (asked only when it is painted)."""
        return row_id

    def row_disabled(self, row_id: str) -> bool:
        """Disabled rows (headings) are shown dimmed and skipped by the cursor."""
        return False

    # --- rows in -----------------------------------------------------------------------------

    @property
    def row_ids(self) -> Sequence[str]:
        return self._ids

    @property
    def row_count(self) -> int:
        return len(self._ids)

    def set_rows(self, row_ids: list[str]) -> None:
        """Replace the rows (the list is kept, not copied); scrolls home, no highlight."""
        self._ids = row_ids
        self._hover = None
        self.highlighted = None
        self.scroll_y = 0
        self._sync_virtual_size()
        self.refresh()

    def invalidate(self, *row_ids: str) -> None:
        """These rows' prompts changed: draw them again."""
        stale = set(row_ids)
        for key in [k for k in list(self._strips.keys()) if k[0] in stale]:
            self._strips.discard(key)
        self.refresh()

    def index_of(self, row_id: str) -> int | None:
        try:  # a C scan: cheaper than a 10,000-entry index rebuilt with every new list
            return self._ids.index(row_id)
        except ValueError:
            return None

    @property
    def highlighted_row(self) -> str | None:
        index = self.highlighted
        return None if index is None else self._ids[index]

    def highlight_row(self, row_id: str) -> bool:
        """Highlight (and scroll to) a row; False when it is not listed."""
        index = self.index_of(row_id)
        if index is None:
            return False
        self.highlighted = index
        return True

    # --- sizes and painting ------------------------------------------------------------------

    def _sync_virtual_size(self) -> None:
        region = self.scrollable_content_region
        if not region:
            return
        size = Size(region.width, len(self._ids))
        if size != self.virtual_size:
            self.virtual_size = size
            self._scroll_update(size)

    def on_mount(self) -> None:
        self._sync_virtual_size()

    def _on_resize(self) -> None:
        self._strips.clear()
        self._sync_virtual_size()
        self.refresh()

    def on_show(self) -> None:
        self.scroll_to_highlight()

    def notify_style_update(self) -> None:
        self._strips.clear()
        self.refresh()
        super().notify_style_update()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._ids)

    def render_line(self, y: int) -> Strip:
        line = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        if not 0 <= line < len(self._ids):
            return Strip.blank(width, self.get_visual_style("option-list--option").rich_style)
        row_id = self._ids[line]
        if self.row_disabled(row_id):
            style = self.get_visual_style("option-list--option", "option-list--option-disabled")
        elif self.highlighted == line:
            style = self.get_visual_style("option-list--option", "option-list--option-highlighted")
        elif self._hover == line:
            style = self.get_visual_style("option-list--option", "option-list--option-hover")
        else:
            style = self.get_visual_style("option-list--option")
        key = (row_id, style, width)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self._render_row(row_id, style, width)
        return strip

    def _render_row(self, row_id: str, style: Style, width: int) -> Strip:
        prompt = self.row_prompt(row_id)
        if isinstance(prompt, Text) and "\n" not in prompt.plain:
            strip = self._text_row(prompt, style, width)
        else:
            strip = self._visual_row(prompt, style, width)
        return strip.apply_meta({"row": row_id})

    def _text_row(self, prompt: Text, style: Style, width: int) -> Strip:
        """One line of Rich text, padded and cropped as the option style says: the segments
        directly (~5x cheaper than :meth:`_visual_row`, which builds a visual and its layout),
        so the 30 rows of the first frame cost ~1 ms instead of ~6."""
        padding = self.get_component_styles("option-list--option").padding
        own = prompt.style
        base = style.rich_style + (RichStyle.parse(own) if isinstance(own, str) else own)
        room = max(0, width - padding.left - padding.right)
        line = prompt.copy()
        line.truncate(room, overflow=prompt.overflow or "ellipsis")
        segments = [Segment(" " * padding.left, base)] if padding.left else []
        for segment in line.render(self.app.console):
            styled = style.rich_style + segment.style if segment.style else base
            segments.append(Segment(segment.text, styled))
        return Strip(segments).extend_cell_length(width, style.rich_style).crop(0, width)

    def _visual_row(self, prompt: VisualType, style: Style, width: int) -> Strip:
        visual = visualize(self, prompt, markup=False)
        padding = self.get_component_styles("option-list--option").padding
        if padding:
            visual = Padding(visual, padding)
        strips = visual.to_strips(self, visual, width, None, style)
        strip = strips[0] if strips else Strip.blank(width, style.rich_style)
        return strip.extend_cell_length(width, style.rich_style)

    # --- highlight and keys ------------------------------------------------------------------

    def validate_highlighted(self, highlighted: int | None) -> int | None:
        if highlighted is None or not self._ids:
            return None
        return max(0, min(highlighted, len(self._ids) - 1))

    def watch_highlighted(self, highlighted: int | None) -> None:
        if highlighted is not None:
            self.scroll_to_highlight()

    def scroll_to_highlight(self, top: bool = False) -> None:
        if self.highlighted is None or not self.is_mounted:
            return
        self._sync_virtual_size()
        self.scroll_to_region(
            Region(0, self.highlighted, self.scrollable_content_region.width, 1),
            force=True,
            animate=False,
            top=top,
            immediate=True,
        )

    def _enabled(self, start: int, step: int, stop: int) -> int | None:
        disabled = self.row_disabled
        ids = self._ids
        return next((i for i in range(start, stop, step) if not disabled(ids[i])), None)

    def _first(self) -> int | None:
        return self._enabled(0, 1, len(self._ids))

    def _last(self) -> int | None:
        return self._enabled(len(self._ids) - 1, -1, -1)

    def _step(self, direction: int) -> int | None:
        """The next enabled row in ``direction``, wrapping round (as OptionList does)."""
        anchor = self.highlighted
        if anchor is None:
            return self._first() if direction == 1 else self._last()
        if direction == 1:
            found = self._enabled(anchor + 1, 1, len(self._ids))
            return found if found is not None else self._enabled(0, 1, anchor + 1)
        found = self._enabled(anchor - 1, -1, -1)
        return found if found is not None else self._enabled(len(self._ids) - 1, -1, anchor - 1)

    def action_cursor_down(self) -> None:
        self.highlighted = self._step(1)

    def action_cursor_up(self) -> None:
        self.highlighted = self._step(-1)

    def action_first(self) -> None:
        self.highlighted = self._first()

    def action_last(self) -> None:
        self.highlighted = self._last()

    def _move_page(self, direction: int) -> None:
        if not self._ids:
            return
        height = self.scrollable_content_region.height
        y = max(0, min((self.highlighted or 0) + direction * height, len(self._ids) - 1))
        if direction == 1:
            found = self._enabled(y, 1, len(self._ids))
            found = found if found is not None else self._enabled(y, -1, -1)
        else:
            found = self._enabled(y, -1, -1)
            found = found if found is not None else self._enabled(y, 1, len(self._ids))
        self.highlighted = found

    def action_page_up(self) -> None:
        if self.highlighted is None:
            self.action_first()
        else:
            self._move_page(-1)

    def action_page_down(self) -> None:
        if self.highlighted is None:
            self.action_last()
        else:
            self._move_page(1)

    def action_select(self) -> None:
        index = self.highlighted
        if index is None:
            return
        row_id = self._ids[index]
        if not self.row_disabled(row_id):
            self.post_message(self.RowSelected(self, row_id, index))

    # --- mouse -------------------------------------------------------------------------------

    async def _on_click(self, event: events.Click) -> None:
        row_id = event.style.meta.get("row")
        if row_id is None or self.row_disabled(row_id):
            return
        index = self.index_of(row_id)
        if index is not None:
            self.highlighted = index
            self.action_select()

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        row_id = event.style.meta.get("row")
        self._hover = None if row_id is None else self.index_of(row_id)

    def _on_leave(self, _: events.Leave) -> None:
        self._hover = None
