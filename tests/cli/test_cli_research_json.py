"""``research … --json``: every subcommand prints JSON only on stdout. One object for submit,
status and list (an array); with ``--follow``, JSON Lines: submitted, steps, then done."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

RunCli = Callable[..., tuple[int, str, str]]


def _lines(out: str) -> list[dict[str, Any]]:
    assert out.endswith("\n")
    return [json.loads(line) for line in out.splitlines()]


def test_submit_prints_one_object(cli: RunCli) -> None:
    code, out, err = cli("research", "How do rate limits work?", "--json")
    job = json.loads(out)
    assert code == 0 and set(job) == {"job_id", "status", "chat_id"}
    assert job["job_id"] and job["chat_id"] and job["status"] in ("pending", "running")
    assert "research status" in err  # the hint for people stays on stderr
    listed = json.loads(cli("research", "list", "--json")[1])
    assert [j["job_id"] for j in listed] == [job["job_id"]]


def test_follow_prints_json_lines_to_the_end(cli: RunCli) -> None:
    code, out, err = cli(
        "research", "How do rate limits work?", "--follow", "--json", "--poll-interval", "0.02"
    )
    events = _lines(out)
    assert code == 0 and "completed" in err
    first, steps, last = events[0], events[1:-1], events[-1]
    assert first["event"] == "submitted" and first["job_id"] and first["chat_id"]
    assert steps and {e["event"] for e in steps} == {"step"}
    seqs = [e["seq_id"] for e in steps]
    assert seqs == list(range(1, len(seqs) + 1))
    assert all(e["job_id"] == first["job_id"] and e["text"] for e in steps)
    assert last == {
        "event": "done",
        "job_id": first["job_id"],
        "status": "completed",
        "report": last["report"],
        "error": "",
    }
    assert last["report"].startswith("# Final Answer")

    code, out, _ = cli("research", "status", first["job_id"], "--follow", "--from-start", "--json")
    again = _lines(out)
    assert code == 0 and [e["seq_id"] for e in again if e["event"] == "step"] == seqs
    assert again[-1]["event"] == "done" and again[-1]["report"] == last["report"]

    code, out, _ = cli("research", "status", first["job_id"], "--json")
    status = json.loads(out)
    assert status["status"] == "completed" and status["report"] == last["report"]
    assert [s["seq_id"] for s in status["steps"]] == seqs
