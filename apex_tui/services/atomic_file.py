"""One way to write a file that a crash or a concurrent reader never sees half-written.

The data goes to a temporary file in the same folder (so the rename stays on one file system),
then ``os.replace`` puts it in place: a reader sees the old file or the new one. On any failure
the temporary file is removed and the error goes to the caller, who says what was not saved.
Used for everything apex-tui keeps between runs (config, drafts, chat memory, watched research
jobs, unsaved answers, the local server's record) and for exports.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


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
