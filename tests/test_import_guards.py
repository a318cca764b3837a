"""``import_guards``: each guard keeps its module out, never replaces one already imported, and
httpx still works behind both. Fresh interpreters, since the guards act on ``sys.modules``."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types

import httpx
import pytest

from apex_tui.import_guards import skip_httpx_cli, skip_trio


def _probe(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


HTTPX_CLI = """
import sys
{guard}
import httpx
cli = sorted(m for m in sys.modules if m.split(".")[0] in ("click", "pygments", "rich"))
print(sys.modules.get("httpx._main", "missing") is None, len(cli))
"""


def test_skip_httpx_cli_keeps_httpx_command_line_out() -> None:
    guarded = "from apex_tui.import_guards import skip_httpx_cli; skip_httpx_cli()"
    assert _probe(HTTPX_CLI.format(guard=guarded)) == "True 0"
    if _installed("click") and _installed("rich") and _installed("pygments"):
        absent, loaded = _probe(HTTPX_CLI.format(guard="")).split()
        assert absent == "False" and int(loaded) > 0  # what the guard saves


TRIO = """
import sys
{guard}
import httpx
httpx.AsyncClient()  # builds the transport, which imports httpcore's synchronisation
trio = [m for m in sys.modules if m.startswith("trio.")]
print(sys.modules.get("trio", "missing") is None, len(trio))
"""


def test_skip_trio_keeps_trio_out() -> None:
    guarded = "from apex_tui.import_guards import skip_trio; skip_trio()"
    assert _probe(TRIO.format(guard=guarded)) == "True 0"
    if _installed("trio"):
        absent, loaded = _probe(TRIO.format(guard="")).split()
        assert absent == "False" and int(loaded) > 0  # what the guard saves


def test_the_guards_never_replace_a_module_already_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    imported = types.ModuleType("trio")
    monkeypatch.setitem(sys.modules, "trio", imported)
    skip_trio()
    assert sys.modules["trio"] is imported

    cli = types.ModuleType("httpx._main")
    monkeypatch.delitem(sys.modules, "httpx")
    monkeypatch.setitem(sys.modules, "httpx._main", cli)
    skip_httpx_cli()
    assert sys.modules["httpx._main"] is cli

    monkeypatch.setitem(sys.modules, "httpx", httpx)
    monkeypatch.delitem(sys.modules, "httpx._main", raising=False)
    skip_httpx_cli()  # httpx is loaded: too late to matter, so nothing is marked
    assert "httpx._main" not in sys.modules


REQUEST = """
import asyncio
from apex_tui.import_guards import skip_httpx_cli, skip_trio
skip_httpx_cli()
skip_trio()
import httpx

async def reply(reader, writer):
    await reader.readuntil(b"\\r\\n\\r\\n")
    writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\nConnection: close\\r\\n\\r\\nhello")
    await writer.drain()
    writer.close()

async def main():
    server = await asyncio.start_server(reply, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server, httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/")
    print(response.status_code, response.text)

asyncio.run(main())
"""


def test_httpx_still_works_behind_both_guards() -> None:
    assert _probe(REQUEST) == "200 hello"


ENTRY_POINTS = """
import sys
import apex_tui.api.client
print(sys.modules.get("httpx._main", "missing") is None, "trio" in sys.modules)
import contextlib, io
from apex_tui.cli import main
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
    main(["--version"])
print(sys.modules.get("trio", "missing") is None)
"""


def test_transport_skips_the_httpx_cli_and_only_the_cli_skips_trio() -> None:
    """The library marks only ``httpx._main``; ``trio`` is left to the ``apex-tui`` process."""
    assert _probe(ENTRY_POINTS).split() == ["True", "False", "True"]
