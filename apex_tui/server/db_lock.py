"""One server per database file.

Two servers on one SQLite file used to step the same research job twice (both resumed every
unfinished job at start-up), and a job submitted to one was resumed by the other only at its
next start. Now a server holds an advisory lock next to its database (``<db>.lock``, ``flock``)
for as long as it runs, and a second server on that file refuses to start, naming the process
that holds it. So the one server that serves a database is also the one that runs and resumes
its research jobs. The lock goes with the process, however it ends (even SIGKILL).

``wait`` lets a new per-user server start while the previous one is still shutting down (it
ends open streams for up to 10 s): the new one waits for the lock instead of failing.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; nothing stops a second server
    fcntl = None  # type: ignore[assignment]

__all__ = ["DatabaseBusyError", "DatabaseLock"]


class DatabaseBusyError(OSError):
    """Another server holds the database; the message names it and says what to do."""


class DatabaseLock:
    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.path = f"{db_path}.lock"
        self._file: IO[bytes] | None = None

    def acquire(self, wait: float = 0.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds; raises :class:`DatabaseBusyError`."""
        if self.db_path.startswith(":memory:") or fcntl is None or self._file is not None:
            return
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+b")  # noqa: SIM115 - held for the server's lifetime
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    holder = self._holder(handle)
                    handle.close()
                    raise DatabaseBusyError(
                        f"another apex-tui server{holder} is using the database {self.db_path}; "
                        "stop it (`apex-tui server stop` if it is the local server) or pass "
                        "another --db"
                    ) from None
                time.sleep(0.05)
        with contextlib.suppress(OSError):
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n".encode())
            handle.flush()
        self._file = handle

    @staticmethod
    def _holder(handle: IO[bytes]) -> str:
        with contextlib.suppress(OSError, ValueError):
            handle.seek(0)
            pid = int(handle.read(32).split()[0])
            return f" (pid {pid})"
        return ""

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()  # closing the file drops the flock
