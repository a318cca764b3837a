"""Exporting text out of the app: a file beside you in a terminal, a download in a browser.

Under ``apex-tui web`` the app runs on the server's machine, where a written file would be
out of the user's reach: there the text goes to the browser as a download (Textual's
``App.deliver_text``, which textual-serve turns into one). In a terminal it is written to a
file, as before. Every export in the app goes through :func:`deliver_or_write`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App

__all__ = ["Delivered", "deliver_or_write"]


@dataclass(frozen=True)
class Delivered:
    """Where the text went, said for a toast; ``error`` when it went nowhere."""

    message: str
    path: Path | None = None
    error: bool = False


def deliver_or_write(app: App[Any], text: str, filename: str, folder: Path) -> Delivered:
    """Send ``text`` to the browser as ``filename`` (under textual-serve), else write it to
    ``folder / filename``; never raises (a failure is a message saying what to do)."""
    if app.is_web:
        app.deliver_text(io.StringIO(text), save_filename=filename, mime_type="text/markdown")
        return Delivered(f"Sent {filename} to your browser as a download.")
    path = folder / filename
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    except OSError as err:
        return Delivered(
            f"Could not write {path}: {err.strerror or err}. Check the folder's permissions.",
            path,
            error=True,
        )
    return Delivered(f"Exported to {path}", path)
