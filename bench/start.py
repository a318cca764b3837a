"""start: process start to the first interactive frame with the sessions pane filled.

Run: ``python bench/start.py [--runs N] [--chats N] [--tree PATH ...] [--peer-elia PATH]``
(default 7 rounds, 10,000 chats).

``apex-tui`` is started as a real process on a pseudo-terminal (120x36) with no key and no base
URL, so it uses the per-user local server (as people run it) on the database in
``$XDG_DATA_HOME/apex-tui``, seeded beforehand (``--chats``, default 10,000 chats for the local
key) through the server's storage layer. Two cases: **cold** — no server runs, so the app
starts one (it is stopped before each cold run); **warm** — the server the previous run left is
running, so the app finds it and connects. The clock runs from just before the process is
spawned until the terminal output holds the sessions pane's title with the full count ("apex
chats · 10000"), i.e. the frame in which the list is filled; the app is then quit with Ctrl+Q.

Each round runs, in this order: cold, warm, then the same two through ``_start_probe.py``
(the same ``apex_tui.cli.main`` with phase marks: the **breakdown**, printed as the median time
of each phase), then the peer app if one is given. Rounds interleave everything compared, so a
machine whose speed drifts (it does, see bench/README.md) drifts for all of them alike.

``--tree PATH`` (repeatable): run the app from these source trees (``PYTHONPATH``), interleaved
round by round, each on its own copy of the seeded data (e.g. a baseline worktree and this one).
Default: the ``apex_tui`` this script imports.

``--peer-elia PATH``: also start Elia (the ``elia`` script of its virtualenv) each round, with a
throw-away ``HOME``/XDG tree, until its first screen is drawn (the "Welcome to Elia!" box, in
the same frame as its prompt and history list); prints its start and the ratio of apex-tui's
warm start to it, per round. Without the flag (or if PATH does not exist) no peer runs.

Each round also starts the **floor** (``_floor_app.py``: the smallest Textual app shaped like a
chat app, no app code) to its first frame, and prints apex-tui's warm start minus it: the part
of the start that is apex-tui's own, the only part apex-tui can cut.

Also timed: ``apex-tui --version`` and ``apex-tui ask --help`` (these must not import Textual).
Every server and app is stopped at the end (and on SIGTERM).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from _harness import figure, load, median, runs_arg, summary

from apex_tui.server.storage import Storage
from apex_tui.services.connection import LOCAL_KEY

PROBE = Path(__file__).with_name("_start_probe.py")
FLOOR = Path(__file__).with_name("_floor_app.py")
FLOOR_MARKER = b"floor app ready"
PHASES = (
    ("python", "Python + site"),
    ("cli", "apex_tui.cli import"),
    ("server", "per-user server found/started"),
    ("ui-import", "config + connection plan"),
    ("ui", "UI imports (Textual, httpx, models)"),
    ("app-mount", "App start (driver, CSS parse)"),
    ("screen-mount", "main screen compose + mount"),
    ("first-frame", "first frame"),
    ("sessions-frame", "chat list reply, build, frame"),
)
"""Marks of ``_start_probe.py`` in the order a start passes them, and what the phase ending
at each one holds."""
ELIA_MARKER = b"Welcome to Elia"


@dataclass
class Variant:
    """One source tree under test, with its own XDG home (and so its own per-user server)."""

    label: str
    tree: Path | None
    home: Path
    warm: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    marks: dict[str, list[dict[str, float]]] = field(
        default_factory=lambda: {"warm": [], "cold": []}
    )


def command() -> list[str]:
    """The installed ``apex-tui`` script beside this interpreter. Not the first one on PATH:
    pyenv puts a shim there (a bash script running ``pyenv exec``), ~80 ms that no install
    without pyenv has."""
    beside = Path(sys.executable).with_name("apex-tui")
    script = str(beside) if beside.exists() else shutil.which("apex-tui")
    return [script] if script else [sys.executable, "-m", "apex_tui"]


def environment(home: Path, tree: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("APEX_", "MACROCOSMOS_"))}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    (home / "run").mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(home / "run")  # the per-user server's socket: this run's own
    env.update(TERM="xterm-256color", COLUMNS="120", LINES="36")
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    return env


def stop_server(variant: Variant) -> None:
    """Stop the per-user server of this home (none runs afterwards: the next start is cold)."""
    subprocess.run(
        [*command(), "server", "stop", "--force"],
        env=environment(variant.home, variant.tree),
        cwd=variant.tree,
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


def time_to_marker(
    argv: list[str],
    env: dict[str, str],
    marker: bytes,
    timeout: float = 30,
    cwd: Path | None = None,
) -> tuple[float, float]:
    """Spawn ``argv`` on a 120x36 pty; return (spawn time, seconds until ``marker`` is in its
    output). Then Ctrl+Q, and SIGTERM to its process group if it has not left in 5 s.
    ``cwd``: the tree under test, so the server it starts with ``python -m apex_tui`` (which
    puts the working directory first on ``sys.path``) is that tree's too."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    began = time.perf_counter()
    process = subprocess.Popen(
        argv,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=cwd,
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
        raise RuntimeError(f"{argv[0]} never showed {marker.decode()!r}")
    return began, found


def start_app(
    variant: Variant, chats: int, *, probe: bool = False
) -> tuple[float, dict[str, float]]:
    """One start of apex-tui; returns its seconds to the filled list and (``probe``) the
    breakdown marks, in seconds since the spawn."""
    env = environment(variant.home, variant.tree)
    marks_file = variant.home / "marks.txt"
    argv = command()
    if probe:
        marks_file.unlink(missing_ok=True)
        env["APEX_BENCH_MARKS"] = str(marks_file)
        argv = [sys.executable, str(PROBE)]
    began, seconds = time_to_marker(argv, env, f"apex chats · {chats}".encode(), cwd=variant.tree)
    marks: dict[str, float] = {}
    if probe:
        for line in marks_file.read_text().splitlines():
            name, moment = line.split()
            marks[name] = float(moment) - began
        marks["shown"] = seconds
    return seconds, marks


def start_elia(elia: Path, home: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ANTHROPIC_"))}
    env.pop("PYTHONPATH", None)
    env.update(HOME=str(home), TERM="xterm-256color", COLUMNS="120", LINES="36")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    return time_to_marker([str(elia)], env, ELIA_MARKER)[1]


def start_floor(home: Path) -> tuple[float, dict[str, float]]:
    """The floor app's start to its first frame (``_floor_app.py``), and its phase marks."""
    env = environment(home)
    env.pop("PYTHONPATH", None)
    marks_file = home / "marks.txt"
    marks_file.unlink(missing_ok=True)
    env["APEX_BENCH_MARKS"] = str(marks_file)
    began, seconds = time_to_marker([sys.executable, str(FLOOR)], env, FLOOR_MARKER)
    marks = {"shown": seconds}
    for line in marks_file.read_text().splitlines():
        name, moment = line.split()
        marks[name] = float(moment) - began
    return seconds, marks


def wall(args: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command() + args, check=True, capture_output=True)
    return time.perf_counter() - began


def compile_bytecode(tree: Path | None) -> None:
    """Write apex_tui's .pyc files first, as ``pip install`` (or a first run) does: with
    PYTHONDONTWRITEBYTECODE set (as on these machines) an editable install would otherwise
    compile every module from source on every start, which no installed app does."""
    if tree is None:
        import apex_tui

        compileall.compile_dir(Path(apex_tui.__file__).parent, quiet=1)
    else:
        compileall.compile_dir(tree / "apex_tui", quiet=1)
    compileall.compile_file(PROBE, quiet=1)
    compileall.compile_file(FLOOR, quiet=1)


def args_of(flag: str) -> list[str]:
    return [sys.argv[i + 1] for i, arg in enumerate(sys.argv[:-1]) if arg == flag]


def breakdown(variant: Variant, case: str) -> None:
    """Median time of each phase over the probe runs (phases whose mark is missing: skipped)."""
    runs = variant.marks[case]
    if not runs:
        return
    print(f"# breakdown, {variant.label} {case} ({len(runs)} runs): phase, median ms, ends at")
    previous = "spawn"
    for name, meaning in PHASES:
        spans = [r[name] - r.get(previous, 0.0) for r in runs if name in r and previous in r]
        ends = [r[name] for r in runs if name in r]
        if previous == "spawn":
            spans = ends
        if not spans:
            continue
        figure(f"  {meaning}", median(spans) * 1000, "ms", f"at {median(ends) * 1000:.0f} ms")
        previous = name
    figure("  (on the terminal)", median([r["shown"] for r in runs]) * 1000, "ms", "total")


def main() -> None:
    # Stopped from outside: still run the finally blocks that quit the app under test (an
    # app whose pty master is gone, without a hang-up signal, keeps a core busy).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    runs = runs_arg(7)
    chats = int(args_of("--chats")[0]) if "--chats" in sys.argv else 10_000
    trees = [Path(t).resolve() for t in args_of("--tree")] or [None]
    elia_args = args_of("--peer-elia")
    elia = Path(elia_args[0]) if elia_args else None
    if elia is not None and not elia.exists():
        print(f"# no Elia at {elia}: the peer comparison is skipped", flush=True)
        elia = None
    for tree in trees:
        compile_bytecode(tree)
    print(f"# {' '.join(command())}, {runs} rounds, {chats} chats, {load()}", flush=True)
    for args, name, target in (
        (["--version"], "start --version", "<= 300"),
        (["ask", "--help"], "start ask --help", "-"),
    ):
        wall(args)  # warm the page cache
        summary(name, [wall(args) * 1000 for _ in range(runs)], "ms", target)
    with tempfile.TemporaryDirectory(prefix="apex-bench-start-") as name:
        root = Path(name)
        seeded = root / "seeded"
        seed(seeded, chats)
        variants = []
        for number, tree in enumerate(trees):
            home = root / f"home-{number}"
            shutil.copytree(seeded, home)
            variants.append(Variant(str(tree) if tree else "this tree", tree, home))
        elia_home = root / "elia-home"
        elia_times: list[float] = []
        floor_home = root / "floor-home"
        floor_home.mkdir()
        floor = Variant("floor (a bare Textual app)", None, floor_home)
        ratios: dict[str, list[float]] = {v.label: [] for v in variants}
        try:
            for variant in variants:
                start_app(variant, chats)  # warm-up (page cache, .pyc)
            start_floor(floor_home)  # warm-up
            if elia is not None:
                start_elia(elia, elia_home)  # its first run creates its database
            for round_number in range(runs):
                for variant in variants:
                    stop_server(variant)
                    variant.cold.append(start_app(variant, chats)[0])
                    variant.warm.append(start_app(variant, chats)[0])  # the server runs now
                    stop_server(variant)
                    variant.marks["cold"].append(start_app(variant, chats, probe=True)[1])
                    variant.marks["warm"].append(start_app(variant, chats, probe=True)[1])
                seconds, marks = start_floor(floor_home)
                floor.warm.append(seconds)
                floor.marks["warm"].append(marks)
                if elia is not None:
                    elia_times.append(start_elia(elia, elia_home))
                    for variant in variants:
                        ratios[variant.label].append(variant.warm[-1] / elia_times[-1])
                print(f"# round {round_number + 1}/{runs} done, {load()}", flush=True)
        finally:
            for variant in variants:
                stop_server(variant)
    target_warm = "<= 500" if chats == 10_000 else "-"
    target_cold = "<= 800" if chats == 10_000 else "-"
    as_ms: Callable[[list[float]], list[float]] = lambda xs: [x * 1000 for x in xs]  # noqa: E731
    for variant in variants:
        print(f"# {variant.label}")
        summary(f"start to sessions, {chats} chats, warm", as_ms(variant.warm), "ms", target_warm)
        summary(f"start to sessions, {chats} chats, cold", as_ms(variant.cold), "ms", target_cold)
        if elia is not None:
            summary("start warm / Elia", ratios[variant.label], "x", "<= 0.4")
        breakdown(variant, "warm")
        breakdown(variant, "cold")
    summary("start floor: bare Textual app (first frame)", as_ms(floor.warm), "ms", "-")
    for variant in variants:
        over = [w - f for w, f in zip(variant.warm, floor.warm, strict=True)]
        summary(f"  {variant.label} warm minus floor", as_ms(over), "ms", "-")
    print("# the floor's phases: its 'UI imports' are Textual's alone; no server, config or list")
    breakdown(floor, "warm")
    if elia is not None:
        summary("start Elia (first screen)", as_ms(elia_times), "ms", "-")
        floor_ratio = [f / e for f, e in zip(floor.warm, elia_times, strict=True)]
        summary("  floor / Elia", floor_ratio, "x", "-")
    figure("start done", 0, "", load())


if __name__ == "__main__":
    main()
