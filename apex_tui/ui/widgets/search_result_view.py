"""How one web-search result looks: its row in the results list and its full-content reader.

Everything here comes from the web, so every string passes through ``make_inert`` before it is
drawn: a page cannot move the cursor, retitle the terminal or hide text with escape sequences.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from rich.console import Console, Group
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown, Static

from apex_tui.api.models import WebSearchResult
from apex_tui.shorten import shorten
from apex_tui.ui.safe_text import make_inert

PASSAGE_LIMIT = 220
"""Characters of the relevant passage shown in a list row; the reader shows everything."""

BROWSER_SCHEMES = frozenset({"http", "https"})


def site_of(url: str) -> str:
    """The host a result came from ("example.com"), or the raw text when it is no URL."""
    host = urlsplit(url).hostname or ""
    if host.startswith("www."):
        host = host[4:]
    return host or url.strip() or "(no address)"


def is_browsable(url: str) -> bool:
    """Only http(s) addresses go to the browser: a result must not open ``file:`` or script URLs."""
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in BROWSER_SCHEMES and bool(parts.hostname)


def clip(text: str, limit: int = PASSAGE_LIMIT) -> str:
    """One paragraph of at most ``limit`` columns, whitespace folded, ending at a whole word
    with "…" when cut."""
    return shorten(text, limit)


def unique_results(results: list[WebSearchResult]) -> list[WebSearchResult]:
    """Results in server order, each URL once (several miners often find the same page), and
    none that carries neither a URL nor any text."""
    seen: set[str] = set()
    unique: list[WebSearchResult] = []
    for result in results:
        key = result.url.strip().rstrip("/").lower()
        if not key and not (result.content or result.relevant).strip():
            continue
        if key and key in seen:
            continue
        seen.add(key)
        unique.append(result)
    return unique


def result_row(rank: int, result: WebSearchResult, *, marked: bool) -> Group:
    """The list row: rank, attach mark, site; then, indented, the URL and the passage."""
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append(f"[{rank}] ", style="bold")
    head.append("● " if marked else "  ", style="bold green")
    head.append(make_inert(site_of(result.url)), style="bold")
    url = Text(make_inert(result.url.strip()), style="dim underline", overflow="fold")
    passage = clip(make_inert(result.relevant or result.content))
    body = Text(passage) if passage else Text("(no passage)", style="dim italic")
    return Group(head, Padding(url, (0, 0, 0, 4)), Padding(body, (0, 0, 0, 4)))


def row_text(row: Group, width: int = 200) -> str:
    """A row as plain text (what a screen reader or a test sees)."""
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(row)
    return console.export_text()


@dataclass
class SearchRecord:
    """One search of this session: what was asked and what came back (kept for revisiting)."""

    query: str
    n_miners: int
    n_results: int
    max_response_time: int
    started: datetime = field(default_factory=datetime.now)
    results: list[WebSearchResult] = field(default_factory=list)
    error: str = ""
    done: bool = False
    dropped: int = 0
    """Results left out as repeats of an earlier URL (or empty)."""


def history_row(record: SearchRecord) -> Text:
    """A past search in the history list: time, query, outcome."""
    row = Text(f"{record.started:%H:%M}  ", style="dim")
    row.append(make_inert(record.query), style="bold")
    if not record.done:
        row.append("  searching…", style="italic")
    elif record.error:
        row.append("  failed", style="red")
    else:
        row.append(f"  {len(record.results)} results", style="dim")
    return row


class ResultReader(VerticalScroll):
    """The full ``content`` of one result, scrollable: plain text by default, or Markdown."""

    DEFAULT_CSS = """
    ResultReader {
        height: 1fr;
        border-top: solid $primary;
        padding: 0 1;
    }
    ResultReader > #reader-title { text-style: bold; }
    ResultReader > #reader-url { color: $text-muted; }
    ResultReader > #reader-plain { width: 1fr; }
    ResultReader > #reader-markdown { display: none; }
    ResultReader.-markdown > #reader-plain { display: none; }
    ResultReader.-markdown > #reader-markdown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.result: WebSearchResult | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="reader-title", markup=False)
        yield Static(id="reader-url", markup=False)
        yield Static(id="reader-plain", markup=False)
        # Links inside page text are not followed on click: opening goes through the pane's key.
        yield Markdown(id="reader-markdown", open_links=False)

    @property
    def showing_markdown(self) -> bool:
        return self.has_class("-markdown")

    def show(self, rank: int, result: WebSearchResult) -> None:
        """Load a result; the reader scrolls back to the top."""
        self.result = result
        self.query_one("#reader-title", Static).update(
            Text(f"[{rank}] {make_inert(site_of(result.url))}")
        )
        self.query_one("#reader-url", Static).update(Text(make_inert(result.url.strip())))
        body = make_inert(result.content or result.relevant) or "(this result has no content)"
        self.query_one("#reader-plain", Static).update(Text(body))
        if self.showing_markdown:
            self.query_one("#reader-markdown", Markdown).update(body)
        self.scroll_home(animate=False)

    def toggle_markdown(self) -> None:
        """Switch between plain text (exact) and Markdown (headings, lists) for the same content."""
        self.toggle_class("-markdown")
        if self.showing_markdown and self.result is not None:
            body = make_inert(self.result.content or self.result.relevant)
            self.query_one("#reader-markdown", Markdown).update(body)
