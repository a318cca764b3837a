"""Deep research jobs: the row type and the SQL that creates a job, appends its steps (one
chunk each) and tracks its status, so a restarted server can resume the unfinished ones.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apex_tui.server.storage.schema import Clock, us_to_datetime

__all__ = ["JobRow"]


@dataclass(frozen=True)
class JobRow:
    id: str
    owner: str
    status: str
    created: datetime
    updated: datetime
    request: dict[str, Any]
    seed: int
    error: str | None
    chunks: tuple[tuple[int, str], ...] = ()


def create_job(
    db: sqlite3.Connection, clock: Clock, owner: str, request: dict[str, Any], seed: int
) -> JobRow:
    now = clock()
    job_id = str(uuid.uuid4())
    db.execute(
        "INSERT INTO jobs(id, owner, status, created_us, updated_us, request, seed, error) "
        "VALUES (?,?,?,?,?,?,?,NULL)",
        (job_id, owner, "pending", now, now, json.dumps(request), seed),
    )
    t = us_to_datetime(now)
    return JobRow(job_id, owner, "pending", t, t, request, seed, None)


def get_job(db: sqlite3.Connection, job_id: str, owner: str | None) -> JobRow | None:
    row = db.execute(
        "SELECT id, owner, status, created_us, updated_us, request, seed, error "
        "FROM jobs WHERE id=?",
        (job_id,),
    ).fetchone()
    if row is None or (owner is not None and row[1] != owner):
        return None
    chunks = db.execute(
        "SELECT seq_id, chunk FROM job_chunks WHERE job_id=? ORDER BY seq_id", (job_id,)
    ).fetchall()
    return JobRow(
        row[0],
        row[1],
        row[2],
        us_to_datetime(row[3]),
        us_to_datetime(row[4]),
        json.loads(row[5]),
        row[6],
        row[7],
        tuple((c[0], c[1]) for c in chunks),
    )


def append_job_chunk(
    db: sqlite3.Connection, clock: Clock, job_id: str, seq_id: int, chunk: str, status: str
) -> None:
    db.execute(
        "INSERT INTO job_chunks(job_id, seq_id, chunk) VALUES (?,?,?)",
        (job_id, seq_id, chunk),
    )
    db.execute(
        "UPDATE jobs SET status=?, updated_us=? WHERE id=?",
        (status, clock(), job_id),
    )


def set_job_status(
    db: sqlite3.Connection, clock: Clock, job_id: str, status: str, error: str | None
) -> None:
    db.execute(
        "UPDATE jobs SET status=?, error=?, updated_us=? WHERE id=?",
        (status, error, clock(), job_id),
    )


def unfinished_job_ids(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT id FROM jobs WHERE status IN ('pending', 'running') ORDER BY created_us"
    ).fetchall()
    return [r[0] for r in rows]
