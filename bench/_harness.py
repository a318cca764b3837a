"""Shared pieces of the benchmarks: the real local server, the real app, a frame meter, figures.

Every benchmark drives ``apex_tui.ui.app.ApexApp`` headless (``App.run_test(size=(120, 36))``)
against the real local server on loopback at its fastest offline setting
(``tokens_per_second=0``), with a throw-away database and config/state folders: in a child
process like ``apex-tui`` (stream, keys; ``--in-process`` for a thread) or an in-process
:class:`EmbeddedServer` (chats, long: their peak RSS includes the server).

Frame time: Textual paints a frame in ``Screen._on_timer_update`` (layout if needed, then the
compositor asks each dirty widget for its lines and builds the update). Headless runs skip the
last step of a real terminal (turning the update into escape sequences and writing them), so the
meter wraps ``App._display`` to do that encoding too (written to nowhere). A frame's time is the
wall time of ``_on_timer_update`` including that encoding.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apex_tui.server.embedded import EmbeddedServer, ServerOptions

SIZE = (120, 36)
KEY = "bench-key"
OWNER = hashlib.sha256(KEY.encode()).hexdigest()
"""The server partitions data by sha256(API key); seeding writes rows for this owner."""


def speed_reference() -> float:
    """Milliseconds for a fixed pure-Python loop (median of 5): this shared machine's speed
    drifts by up to 2x within minutes (55-110 ms seen on one day), so figures taken at
    different times are compared together with it."""
    times = []
    for _ in range(5):
        began = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        times.append(time.perf_counter() - began)
    return sorted(times)[2] * 1000


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}, speed ref {speed_reference():.0f} ms"


def ms(seconds: float) -> float:
    return seconds * 1000


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def figure(name: str, value: float, unit: str, note: str = "") -> None:
    """One line per figure: name, value, unit, and a note (target, sample size, load)."""
    text = f"{name:<34} {value:>10.1f} {unit:<8}"
    print(f"{text} {note}".rstrip(), flush=True)


def peak_rss_mb() -> float:
    """Peak resident set of this process (VmHWM), in MB."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def in_process_arg() -> bool:
    """``--in-process``: run the server in a thread of this process (the library API) instead
    of a child process like ``apex-tui`` does by default."""
    return "--in-process" in sys.argv


def float_arg(name: str, default: float) -> float:
    """``--name X`` on the command line (default ``default``)."""
    if name in sys.argv:
        return float(sys.argv[sys.argv.index(name) + 1])
    return default


@contextlib.contextmanager
def local_server(tmp: Path, *, child: bool = False, rate: float = 0.0) -> Iterator[Any]:
    """The real server, offline engine at ``rate`` tokens/s (0: its fastest), its own SQLite
    file under ``tmp``: in a child process on a Unix socket (``child``: what ``apex-tui``'s
    per-user server is) or an in-process ``EmbeddedServer`` on loopback TCP. Both have
    ``base_url`` (and ``route``); seed through :func:`storage_of`."""
    if not child:
        options = ServerOptions(db_path=tmp / "apex.db", tokens_per_second=rate)
        with EmbeddedServer(options) as server:
            yield server
        return
    import apex_tui.api.transport as transport

    if not hasattr(transport, "Route"):  # an older tree (a baseline): loopback TCP, as it ran
        from apex_tui.services.local_server import LocalServerProcess

        args = ["--db", str(tmp / "apex.db"), "--tokens-per-second", f"{rate:g}"]
        old = LocalServerProcess(args, log_path=tmp / "server.log")
        try:
            yield ChildServer(old.wait_ready(), tmp / "apex.db", old)
        finally:
            old.stop()
        return
    socket_path = tmp / "apex.sock"
    command = [sys.executable, "-m", "apex_tui", "serve", "--db", str(tmp / "apex.db")]
    command += ["--tokens-per-second", f"{rate:g}", "--uds", str(socket_path)]
    command += ["--ready-line", "--stdin-lifeline"]
    tree = Path(transport.__file__).parents[2]  # "-m" puts the working directory first
    with open(tmp / "server.log", "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            close_fds=True,
            cwd=tree,
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        if not line.startswith("apex-tui-server-ready "):
            raise RuntimeError(f"the server did not start; see {tmp / 'server.log'}")
        yield ChildServer("http://apex-tui.local", tmp / "apex.db", process, str(socket_path))
    finally:
        assert process.stdin is not None
        process.stdin.close()  # its lifeline: a graceful stop
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@dataclass
class ChildServer:
    """The local server as ``apex-tui`` runs it: a child process on this SQLite file,
    serving on a Unix socket like the per-user server."""

    base_url: str
    db_path: Path
    process: Any
    uds: str | None = None

    @property
    def route(self) -> Any:
        from apex_tui.api.transport import Route

        return Route(uds=self.uds)

    def cpu_seconds(self) -> float:
        """The child's CPU time so far (user + system, from /proc; 10 ms ticks)."""
        return process_cpu_seconds(self.process.pid)


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def storage_of(server: Any) -> Iterator[Any]:
    """The server's storage layer: its own (in-process) or a second connection to the child's
    SQLite file (seeding writes rows as before; the child reads them on the next request)."""
    if isinstance(server, EmbeddedServer):
        yield server.state.storage
        return
    from apex_tui.server.storage import Storage

    storage = Storage(server.db_path)
    try:
        yield storage
    finally:
        storage.close()


@contextlib.contextmanager
def workdir() -> Iterator[Path]:
    """A temporary folder; XDG folders point into it so nothing touches the user's files."""
    with tempfile.TemporaryDirectory(prefix="apex-bench-") as name:
        tmp = Path(name)
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(tmp / var.lower())
        yield tmp


def make_app(server: Any, tmp: Path, **defaults: Any) -> Any:
    """The real ApexApp on a real client to ``server`` (imports Textual, so done late)."""
    from apex_tui.api.client import ApexClient
    from apex_tui.services.config import Config, Defaults
    from apex_tui.services.connection import Connection
    from apex_tui.ui.app import ApexApp, freeze_startup_objects

    freeze_startup_objects()  # as run_app does before the app starts
    route = server.route if getattr(server, "uds", None) else None
    extra = {"route": route} if route is not None else {}  # older trees have no routes
    client = ApexClient(server.base_url, KEY, max_retries=0, **extra)
    connection = Connection(client=client, description="local server, offline engine")
    config = Config(defaults=Defaults(**defaults))
    return ApexApp(
        connection,
        config,
        config_file=tmp / "config" / "config.toml",
        state_path=tmp / "state",
        system_copy=None,
    )


@dataclass
class FrameMeter:
    """Times every painted frame (see the module docstring); ``frames`` holds (end, seconds)."""

    frames: list[tuple[float, float]] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """This process's CPU time (``time.process_time``) at the end of each frame."""
    encode: bool = True
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def install(self) -> FrameMeter:
        from textual.app import App
        from textual.screen import Screen

        meter = self
        original_update = Screen._on_timer_update
        original_display = App._display

        def timed_update(screen: Any) -> None:
            began = time.perf_counter()
            original_update(screen)
            end = time.perf_counter()
            meter.frames.append((end, end - began))
            meter.cpu.append(time.process_time())

        def encoding_display(app: Any, screen: Any, renderable: Any) -> None:
            original_display(app, screen, renderable)
            if meter.encode and renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(app.console)  # what a real terminal run writes

        Screen._on_timer_update = timed_update  # type: ignore[method-assign,assignment]
        App._display = encoding_display  # type: ignore[method-assign,assignment]
        self._undo.append(lambda: setattr(Screen, "_on_timer_update", original_update))
        self._undo.append(lambda: setattr(App, "_display", original_display))
        return self

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def since(self, moment: float) -> list[float]:
        return [seconds for end, seconds in self.frames if end >= moment]

    def first_after(self, moment: float) -> float | None:
        """End time of the first frame that started after ``moment``."""
        for end, seconds in self.frames:
            if end - seconds >= moment:
                return end
        return None

    def cpu_at(self, end: float) -> float:
        """This process's CPU time at the end of the frame that ended at ``end``."""
        return self.cpu[[frame_end for frame_end, _ in self.frames].index(end)]


async def wait_for(pilot: Any, condition: Callable[[], bool], timeout: float = 120) -> None:
    """Poll ``condition`` every 5 ms. Not with ``pilot.pause``: that posts a callback to every
    widget and paints a frame each time (~50 messages and a frame per poll: over a 10 s stream
    ~25,000 messages and ~500 frames the app itself never makes, half the CPU measured)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the app did not reach the expected state in time")
        await asyncio.sleep(0.005)


async def settle(pilot: Any) -> None:
    app = pilot.app
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def strip_text(strips: list[Any]) -> list[str]:
    return [strip.text.rstrip() for strip in strips]


def seed_chats(server: Any, count: int) -> None:
    """``count`` chats (one completion each) for the bench key, straight into the storage."""
    with storage_of(server) as storage:
        storage.seed_chats(OWNER, count)


def seed_long_chat(server: Any, turns: int, answer: Callable[[int], str]) -> str:
    """One chat of ``turns`` completed turns through the storage layer; returns its id."""
    with storage_of(server) as storage:
        return _seed_long_chat(storage, turns, answer)


def _seed_long_chat(storage: Any, turns: int, answer: Callable[[int], str]) -> str:
    chat, first = storage.create_chat_and_completion(
        OWNER, "Question 0?", "apex", "basic", "A long chat"
    )
    storage.update_completion(OWNER, first.id, answer(0), None, None)
    for i in range(1, turns):
        row = storage.create_completion(OWNER, chat.id, f"Question {i}?", "basic")
        assert row is not None
        storage.update_completion(OWNER, row.id, answer(i), None, None)
    return chat.id


def code_answer(number: int) -> str:
    """A ~1.5k-character Markdown answer with prose, a list, a code block and a table."""
    return f"""Turn {number} explains *why* a cache matters: finished blocks are rendered once and
only the growing tail is rendered again. This sentence is long enough to wrap at narrow widths, and
the next one adds detail about invalidation, eviction and the cost of a miss in turn {number}.

- point {number}.1 with `inline code` and a short explanation
- point {number}.2 with **bold** text and another clause
  - nested item {number} that also says something

```python
def step_{number}(values: list[int]) -> int:
    \"\"\"Sum the values, scaled by the turn number.\"\"\"
    total = 0
    for value in values:
        total += value * {number}
    return total


print(step_{number}([1, 2, 3]))
```

| name | value | note |
|------|-------|------|
| a{number} | {number * 3} | first row |
| b{number} | {number * 7} | second row |

A closing paragraph for turn {number} summarises the points above in two sentences so the answer
reaches about one and a half thousand characters, like a typical answer with a code example.
"""


def runs_arg(default: int) -> int:
    """``--runs N`` on the command line (default ``default``)."""
    if "--runs" in sys.argv:
        return int(sys.argv[sys.argv.index("--runs") + 1])
    return default


def summary(name: str, values: list[float], unit: str, target: str) -> None:
    """Median and spread (min–max) of per-run figures (runs without a value, nan, left out)."""
    values = [v for v in values if v == v]
    if not values:
        return
    spread = f"[{min(values):.1f}–{max(values):.1f}]" if len(values) > 1 else ""
    figure(name, median(values), unit, f"median of {len(values)} {spread} target {target}")


async def aclose_quietly(agen: AsyncIterator[Any]) -> None:
    with contextlib.suppress(Exception):
        await agen.aclose()  # type: ignore[attr-defined]
