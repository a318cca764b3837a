"""``serve_main`` in a real subprocess: starts, answers, stops cleanly on Ctrl-C (SIGINT)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from apex_tui.server.cli import serve_main


def test_serve_main_runs_and_stops(tmp_path: Path) -> None:
    code = (
        "import sys; from apex_tui.server.cli import serve_main; sys.exit(serve_main(sys.argv[1:]))"
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "--port",
            "0",
            "--db",
            str(tmp_path / "s.db"),
            "--api-key",
            "alpha",
            "--tokens-per-second",
            "0",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert match, line
        base = f"http://127.0.0.1:{match.group(1)}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
        reply = httpx.post(
            f"{base}/apex.v1.ApexService/GetChatSessions",
            json={},
            headers={"Authorization": "Bearer alpha"},
        )
        assert reply.status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0
        log = proc.stderr.read()
        assert "GetChatSessions 200" in log
        assert "alpha" not in log  # the key never reaches the log
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serve_main_reports_bad_options(capsys: object) -> None:
    assert serve_main(["--engine", "openai"]) == 2


def test_a_file_that_is_not_a_database_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "apex.db"
    db.write_bytes(b"not a database " * 200)
    assert serve_main(["--db", str(db), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"cannot open database {db}: file is not a database" in err
    assert "move that file aside or pass another --db" in err
