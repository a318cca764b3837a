"""Small local client state kept between runs: the research jobs being watched.

A JSON file in the state dir (``$XDG_STATE_HOME/apex-tui/research.json``), replaced atomically
so an interrupted run never leaves it half-written.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from apex_tui.services.atomic_file import read_json_file, write_atomically
from apex_tui.services.config import state_dir

__all__ = ["JobStore", "WatchedJob"]


@dataclass
class WatchedJob:
    job_id: str
    prompt: str = ""
    status: str = "pending"
    submitted_at: str = ""
    updated_at: str = ""
    last_seq_id: int = 0
    """Highest step already shown; a resumed ``--follow`` continues after it."""
    chat_id: str = ""
    completion_id: str = ""
    """The stored completion that links this job (metadata ``deep-researcher``), if any."""
    branch: dict[str, Any] = field(default_factory=dict)
    """The metadata keys that place that completion in its chat's branches (after the end of
    the branch shown when the job started), written with each update of it."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WatchedJob:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class JobStore:
    """Watched research jobs by id; every change is written through."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "research.json"

    def _read(self) -> dict[str, WatchedJob]:
        raw, error = read_json_file(self.path)
        if error:
            # A damaged state file only loses the watch list; keep a copy for the curious.
            self.path.replace(self.path.with_suffix(".damaged.json"))
            return {}
        jobs = raw.get("jobs", []) if isinstance(raw, dict) else []
        out: dict[str, WatchedJob] = {}
        for item in jobs:
            if isinstance(item, dict) and isinstance(item.get("job_id"), str):
                job = WatchedJob.from_json(item)
                out[job.job_id] = job
        return out

    def _write(self, jobs: dict[str, WatchedJob]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"jobs": [asdict(j) for j in jobs.values()]}, indent=1)
        write_atomically(self.path, payload)

    def list(self) -> list[WatchedJob]:
        return list(self._read().values())

    def get(self, job_id: str) -> WatchedJob | None:
        return self._read().get(job_id)

    def put(self, job: WatchedJob) -> None:
        jobs = self._read()
        jobs[job.job_id] = job
        self._write(jobs)

    def remove(self, job_id: str) -> None:
        jobs = self._read()
        if jobs.pop(job_id, None) is not None:
            self._write(jobs)
