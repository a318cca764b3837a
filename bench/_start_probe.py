"""``apex-tui`` with start-up marks: what ``bench/start.py`` runs for its breakdown.

``python bench/_start_probe.py`` does what the ``apex-tui`` script does (``apex_tui.cli.main``)
and appends ``NAME SECONDS`` lines to the file ``$APEX_BENCH_MARKS`` as it passes each phase.
Times are ``time.perf_counter()``, which on Linux is the system-wide monotonic clock, so the
parent compares them with the moment it spawned this process. Nothing here changes what the
app does: modules are wrapped only after they have run (an import hook that watches for them),
so the order and cost of imports stay those of the real start.

Marks (in the order a start passes them):
``python`` the interpreter and ``site`` are up (this file's first line); ``cli`` apex_tui.cli
imported; ``server`` the per-user server found or started (``EarlyLocalServer.start``);
``ui-import`` config loaded, ``apex_tui.ui.app`` begins to import; ``ui`` it has imported;
``app-mount`` ``ApexApp.on_mount``; ``screen-mount`` ``MainScreen.on_mount`` returned;
``first-frame`` the first frame painted; ``sessions-reply`` the chat list reply parsed;
``sessions-frame`` the first frame painted after the chat list was filled.

``APEX_BENCH_PROFILE=FILE:FROM:TO`` also runs cProfile from mark ``FROM`` to mark ``TO`` (e.g.
``python:ui-import``, ``app-mount:sessions-frame``) and writes its stats to ``FILE``: a
profile of one phase without the profiler's cost on the others.
"""

from __future__ import annotations

import time

BEGAN = time.perf_counter()

import functools  # noqa: E402
import importlib.abc  # noqa: E402
import importlib.machinery  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

_OUT = os.environ.get("APEX_BENCH_MARKS")
_seen: set[str] = set()
_PROFILE = os.environ.get("APEX_BENCH_PROFILE", "").rsplit(":", 2)
_profiler: Any = None


def _profile_at(name: str) -> None:
    """Start or stop the phase profile (``APEX_BENCH_PROFILE``) at mark ``name``."""
    global _profiler
    if len(_PROFILE) != 3:
        return
    path, begin, end = _PROFILE
    if name == begin and _profiler is None:
        import cProfile

        _profiler = cProfile.Profile()
        _profiler.enable()
    elif name == end and _profiler is not None:
        _profiler.disable()
        _profiler.dump_stats(path)


def mark(name: str, moment: float | None = None) -> None:
    """Note the first time a start passes ``name``."""
    if name in _seen:
        return
    _seen.add(name)
    _profile_at(name)
    if not _OUT:
        return
    with open(_OUT, "a", encoding="utf-8") as out:
        out.write(f"{name} {time.perf_counter() if moment is None else moment:.6f}\n")


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``hooks[name](module)`` once module ``name`` has run (and marks its start)."""

    def __init__(self, hooks: dict[str, Callable[[Any], None]]) -> None:
        self.hooks = hooks

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        hook = self.hooks.pop(name, None)
        if hook is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        run = loader.exec_module

        def exec_module(module: Any) -> None:
            if name == "apex_tui.ui.app":
                mark("ui-import")
            run(module)
            hook(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _wrap(owner: Any, attribute: str, before: str | None = None, after: str | None = None) -> None:
    original = getattr(owner, attribute)

    @functools.wraps(original)  # Textual passes the event only if the handler takes one
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if before:
            mark(before)
        result = original(*args, **kwargs)
        if after:
            mark(after)
        return result

    setattr(owner, attribute, wrapper)


def _on_plan(module: Any) -> None:
    early = module.EarlyLocalServer
    start = early.start.__func__

    def timed_start(cls: Any, *args: Any, **kwargs: Any) -> Any:
        result = start(cls, *args, **kwargs)
        mark("server")
        return result

    early.start = classmethod(timed_start)


def _on_client(module: Any) -> None:
    client = module.ApexClient
    original = client.get_chat_sessions

    async def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        reply = await original(self, *args, **kwargs)
        mark("sessions-reply")
        return reply

    client.get_chat_sessions = timed


def _on_app(module: Any) -> None:
    mark("ui")
    from textual.screen import Screen

    from apex_tui.ui.screens.main import MainScreen
    from apex_tui.ui.widgets.sessions import SessionsPane

    _wrap(module.ApexApp, "on_mount", before="app-mount")
    _wrap(MainScreen, "on_mount", after="screen-mount")
    filled: list[bool] = []
    set_sessions = SessionsPane.set_sessions

    def timed_set_sessions(self: Any, sessions: Any, *args: Any, **kwargs: Any) -> Any:
        result = set_sessions(self, sessions, *args, **kwargs)
        if sessions:
            filled.append(True)
        return result

    SessionsPane.set_sessions = timed_set_sessions  # type: ignore[method-assign]
    update = Screen._on_timer_update

    def timed_update(screen: Any) -> None:
        update(screen)
        mark("first-frame")
        if filled:
            mark("sessions-frame")

    Screen._on_timer_update = timed_update  # type: ignore[method-assign]


def main() -> int:
    mark("python", BEGAN)
    sys.meta_path.insert(
        0,
        _AfterImport(
            {
                "apex_tui.services.local_plan": _on_plan,
                "apex_tui.api.client": _on_client,
                "apex_tui.ui.app": _on_app,
            }
        ),
    )
    from apex_tui.cli import main as cli_main

    mark("cli")
    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
