"""Getting a file out of the app: a download in the browser, a file on disk in a terminal.

Under textual-serve (``app.is_web``) the app's files are the browser's to save, so the text is
delivered as a download (``App.deliver_text``); in a terminal it is written where the user said
(the export dialog shows the path first: ``ui/screens/export.py``). Both the chat export and the
research report go through :func:`deliver_or_write`, so each says the same where its file went.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App

from apex_tui.services.atomic_file import write_atomically

__all__ = [
    "Delivered",
    "ExportFailed",
    "default_export_dir",
    "deliver_or_write",
    "export_and_notify",
]


class ExportFailed(Exception):
    """The file could not be written; the message says why and what to do."""


@dataclass(frozen=True)
class Delivered:
    """Where an export went: a path written, or a browser download of ``filename``."""

    filename: str
    path: Path | None = None
    """The file written (None when the browser was handed a download)."""

    @property
    def downloaded(self) -> bool:
        return self.path is None

    def describe(self) -> str:
        """One short line for a toast."""
        if self.path is None:
            return f"Downloading {self.filename} in your browser"
        return f"Saved to {self.path}"


def default_export_dir(home: Path | None = None, cwd: Path | None = None) -> Path:
    """The user's documents folder when there is one (``~/Documents``), else the current one."""
    documents = (home or Path.home()) / "Documents"
    return documents if documents.is_dir() else (cwd or Path.cwd())


def deliver_or_write(
    app: App[Any], text: str, filename: str, path: Path | None = None
) -> Delivered:
    """Hand ``text`` to the browser as ``filename`` (textual-serve), or write it to ``path``
    (default: :func:`default_export_dir` / ``filename``) atomically. Raises
    :class:`ExportFailed`."""
    if app.is_web:
        app.deliver_text(io.StringIO(text), save_filename=filename, mime_type=_mime(filename))
        return Delivered(filename)
    target = (path or default_export_dir() / filename).expanduser()
    if target.is_dir():
        raise ExportFailed(f"{target} is a folder; add a file name, e.g. {target / filename}")
    if not target.parent.is_dir():
        raise ExportFailed(f"the folder {target.parent} does not exist; create it or pick another")
    try:
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        # an export keeps the file's mode, or 0644: not mkstemp's private 0600
        write_atomically(target, text, mode=mode, errors="surrogatepass")
    except OSError as exc:
        raise ExportFailed(
            f"could not write {target}: {exc.strerror or exc}; check the folder's permissions"
        ) from None
    return Delivered(target.name, target)


def export_and_notify(
    app: App[Any], text: str, filename: str, path: Path | None = None
) -> Delivered | None:
    """:func:`deliver_or_write`, then one toast saying where the file went (or why not)."""
    try:
        delivered = deliver_or_write(app, text, filename, path)
    except ExportFailed as exc:
        app.notify(f"Not exported: {exc}.", severity="error", timeout=10)
        return None
    app.notify(delivered.describe() + ".")
    return delivered


def _mime(filename: str) -> str:
    return "application/json" if filename.endswith(".json") else "text/markdown"
