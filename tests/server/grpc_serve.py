"""``apex-tui serve --grpc-port 0`` in a real subprocess, for the gRPC tests: where it listens
(read from its banner), and a graceful stop (SIGINT) that reports its exit status."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

BANNER = re.compile(r"Apex server on (http://\S+) \(Connect\) and (\S+) \(gRPC\)")


@dataclass
class ServeProcess:
    proc: subprocess.Popen[bytes]
    connect_url: str
    grpc_address: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int:
        """SIGINT (as Ctrl-C), then the exit status; killed if it does not stop in 20 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError("apex-tui serve did not stop within 20 s of SIGINT") from None


def start_serve(folder: Path, *extra: str) -> ServeProcess:
    """Start the server on ephemeral ports with a database in ``folder``; its log (stderr)
    goes to a file there, so a chatty server never blocks on a full pipe."""
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "serve.log"
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(folder / var.lower())
    command = [sys.executable, "-m", "apex_tui", "serve", "--port", "0", "--grpc-port", "0"]
    command += ["--db", str(folder / "apex.db"), *extra]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stderr=log, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        match = BANNER.search(text)
        if match and "Application startup complete" in text:
            return ServeProcess(proc, match.group(1), match.group(2), log_path)
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    proc.wait(5)
    raise AssertionError(f"apex-tui serve did not start:\n{log_path.read_text()}")
