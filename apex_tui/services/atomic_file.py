"""One way to write a file that a crash or a concurrent reader never sees half-written.

The data goes to a temporary file in the same folder (so the rename stays on one file system),
then ``os.replace`` puts it in place: a reader sees the old file or the new one. On any failure
the temporary file is removed and the error goes to the caller, who says what was not saved.
Used for everything apex-tui keeps between runs (config, drafts, chat memory, watched research
jobs, unsaved answers, the local server's record) and for exports.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["read_json_file", "write_atomically"]


def read_json_file(path: Path, *, errors: str = "strict") -> tuple[Any, str]:
    """What a kept JSON file holds, and why it could not be read ("" when it could).

    No file is no data and no error (``(None, "")``): nothing was kept yet. A file that cannot
    be read or is not JSON gives ``(None, reason)`` for the caller to say what it starts without.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8", errors=errors)), ""
    except FileNotFoundError:
        return None, ""
    except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError included
        return None, str(exc)


def write_atomically(
    path: Path, data: str | bytes, *, mode: int | None = None, errors: str = "strict"
) -> None:
    """Write ``data`` (text as UTF-8 with ``errors``) to ``path``; raises OSError.

    ``mode``: the file's permission bits; without it the file is private (0600, mkstemp's
    default), which suits state that may hold prompts, answers or keys.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        else:
            with os.fdopen(fd, "w", encoding="utf-8", errors=errors) as handle:
                handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
