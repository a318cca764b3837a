"""The two modules apex-tui marks absent in ``sys.modules`` to start faster, and why.

A ``None`` entry in ``sys.modules`` makes ``import name`` raise ImportError at once. The two
packages below import an optional module inside ``try: ... except ImportError`` and carry on
without it; it is their own import, run inside their package, so no lazy import on our side
can avoid it. Each guard only adds an entry that is not there: it never replaces a module
already imported, and does nothing once the package that would import it is loaded.

* ``httpx._main`` (:func:`skip_httpx_cli`): httpx's ``__init__`` imports its command line
  (``httpx._main``: click, Pygments' lexers, parts of Rich) whenever those are installed, as
  they are next to Textual. apex-tui never calls ``httpx.main``, which then only says to
  install ``httpx[cli]``. Without it ``import httpx`` loads ~100 fewer modules (~40 ms); the
  headless CLI never loads Rich and the app keeps Pygments off its first frame.
  ``api.transport`` applies it just before it imports httpx, in whatever process uses it.
* ``trio`` (:func:`skip_trio`): httpcore imports trio whenever it is installed, only to learn
  whether it runs under it, when the first client is built (~90 modules, ~0.1 s on the path to
  the first request). apex-tui runs on asyncio only. Only ``cli.main`` applies it, in the
  ``apex-tui`` process: a program that imports apex-tui as a library may use trio.

No imports beyond ``sys``: this module sits below every layer so the CLI and ``api`` can use it.
"""

from __future__ import annotations

import sys

__all__ = ["skip_httpx_cli", "skip_trio"]


def skip_httpx_cli() -> None:
    """Keep httpx from importing its command line (call before the first ``import httpx``)."""
    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def skip_trio() -> None:
    """Keep httpcore from importing trio (call only in a process that runs on asyncio)."""
    if "trio" not in sys.modules:
        sys.modules["trio"] = None  # type: ignore[assignment]
