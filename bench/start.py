"""start: process start to the first interactive frame with the sessions pane filled.

Run: ``python bench/start.py [--runs N]`` (default 5 runs of each).

``apex-tui`` is started as a real process on a pseudo-terminal (120x36) with no key and no base
URL, so it uses the per-user local server (as people run it) on the database in
``$XDG_DATA_HOME/apex-tui``, which is seeded beforehand (0 or 10,000 chats for the local key)
through the server's storage layer. Two cases, interleaved run by run: **cold** — no server
runs, so the app starts one (it is stopped before each cold run); **warm** — the server the
previous run left is running, so the app finds it and connects. The clock runs from just before
the process is spawned until the terminal output holds the sessions pane's title with the full
count ("apex chats · 10000"), i.e. the frame in which the list is filled; the app is then quit
with Ctrl+Q. Also timed: ``apex-tui --version`` and ``apex-tui ask --help`` (these must not
import Textual). Every server is stopped at the end (and on SIGTERM).
"""

from __future__ import annotations

import compileall
import fcntl
import hashlib
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from _harness import figure, load, runs_arg, summary

from apex_tui.server.storage import Storage
from apex_tui.services.connection import LOCAL_KEY


def command() -> list[str]:
    script = shutil.which("apex-tui")
    return [script] if script else [sys.executable, "-m", "apex_tui"]


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APEX_", "MACROCOSMOS_"))}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    (home / "run").mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(home / "run")  # the per-user server's socket: this run's own
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="36")
    return env


def stop_server(home: Path) -> None:
    """Stop the per-user server of this home (none runs afterwards: the next start is cold)."""
    subprocess.run(
        [*command(), "server", "stop", "--force"],
        env=environment(home),
        capture_output=True,
        check=False,
        timeout=60,
    )


def seed(home: Path, chats: int) -> None:
    db = home / "xdg_data_home" / "apex-tui" / "apex.db"
    storage = Storage(db)
    if chats:
        storage.seed_chats(hashlib.sha256(LOCAL_KEY.encode()).hexdigest(), chats)
    storage.close()


def time_to_sessions(home: Path, chats: int, timeout: float = 30) -> float:
    """Seconds from spawn to the output showing ``apex chats · {chats}``."""
    marker = f"apex chats · {chats}".encode()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    began = time.perf_counter()
    process = subprocess.Popen(
        command(),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environment(home),
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    seen = b""
    found = None
    try:
        while found is None and time.perf_counter() - began < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                seen = seen[-200:] + data
                if marker in seen:
                    found = time.perf_counter() - began
        os.write(master, b"\x11")  # Ctrl+Q
        deadline = time.perf_counter() + 5
        while process.poll() is None and time.perf_counter() < deadline:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(5)
        os.close(master)
    if found is None:
        raise RuntimeError(f"the sessions pane never showed {marker.decode()!r}")
    return found


def wall(args: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command() + args, check=True, capture_output=True)
    return time.perf_counter() - began


def compile_bytecode() -> None:
    """Write apex_tui's .pyc files first, as ``pip install`` (or a first run) does: with
    PYTHONDONTWRITEBYTECODE set (as on these machines) an editable install would otherwise
    compile every module from source on every start, which no installed app does."""
    import apex_tui

    compileall.compile_dir(Path(apex_tui.__file__).parent, quiet=1)


def main() -> None:
    # Stopped from outside: still run the finally blocks that quit the app under test (an
    # app whose pty master is gone, without a hang-up signal, keeps a core busy).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    runs = runs_arg(5)
    compile_bytecode()
    print(f"# {' '.join(command())}, {runs} runs each, {load()}", flush=True)
    results: dict[str, list[float]] = {}
    for args, name, target in (
        (["--version"], "start --version", "<= 300"),
        (["ask", "--help"], "start ask --help", "-"),
    ):
        wall(args)  # warm the page cache
        results[name] = [wall(args) * 1000 for _ in range(runs)]
        summary(name, results[name], "ms", target)
    for chats, target in ((0, "-"), (10_000, "<= 1000")):
        with tempfile.TemporaryDirectory(prefix="apex-bench-start-") as name:
            home = Path(name)
            seed(home, chats)
            try:
                time_to_sessions(home, chats)  # warm-up (page cache, .pyc)
                cold: list[float] = []
                warm: list[float] = []
                for _ in range(runs):
                    stop_server(home)
                    cold.append(time_to_sessions(home, chats) * 1000)
                    warm.append(time_to_sessions(home, chats) * 1000)  # the server runs now
            finally:
                stop_server(home)
            summary(f"start to sessions, {chats} chats, warm", warm, "ms", target)
            summary(f"start to sessions, {chats} chats, cold", cold, "ms", target)
    figure("start done", 0, "", load())


if __name__ == "__main__":
    main()
