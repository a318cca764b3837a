"""One server per database resumes deep research.

Two apex-tui windows each start a local server on the same SQLite file; both used to resume
every unfinished job at start-up, so two writers stepped the same job. The server that holds
an advisory lock next to the database (``<db>.research.lock``, ``flock``) resumes them; another
server on that file leaves them alone (new jobs it is asked for still run there). The lock
goes with the process, however it ends."""

from __future__ import annotations

import contextlib
import os
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; every server resumes, as before
    fcntl = None  # type: ignore[assignment]

__all__ = ["ResearchLock"]


class ResearchLock:
    def __init__(self, db_path: str) -> None:
        self.path = f"{db_path}.research.lock"
        self._file: IO[bytes] | None = None

    def acquire(self) -> bool:
        """True when this server may resume jobs (it holds the lock, or locks are moot)."""
        if self.path.startswith(":memory:") or fcntl is None:
            return True
        if self._file is not None:
            return True
        handle = open(self.path, "ab")  # noqa: SIM115 - held for the server's lifetime
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        with contextlib.suppress(OSError):
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n".encode())
            handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()  # closing the file drops the flock
