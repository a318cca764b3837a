"""``apex-tui research …``: submit a deep-research job, show or follow one, list watched jobs.
Following can be interrupted (Ctrl-C) and resumed later where it stopped.

``--json`` on every subcommand. One object for what ends at once: ``submit`` without
``--follow`` (``{"job_id", "status", "chat_id"}``), ``status JOB`` (the job with every step and
the report) and ``list`` (an array). ``--follow`` prints JSON Lines as the job goes, one object
a line so a script can act on each step when it arrives: ``{"event": "submitted", …}`` (when
this command submitted it), ``{"event": "step", "job_id", "seq_id", "text"}`` per step,
``{"event": "notice", "job_id", "message"}`` for a passing trouble, and last ``{"event":
"done", "job_id", "status", "report", "error"}``. Remarks for people stay on stderr."""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import aclosing
from typing import Any

from apex_tui.cli_runtime import (
    StreamSanitizer,
    UsageError,
    emit_json,
    note,
    one_line,
    run_connected,
    shown,
)
from apex_tui.services.config import Config
from apex_tui.services.text_safety import json_text
from apex_tui.shorten import shorten

__all__ = ["run_research"]


def _parse(words: list[str]) -> tuple[str, str]:
    """(action, argument): ``list``, ``status JOB`` or a prompt (``submit PROMPT`` too)."""
    if words == ["list"]:
        return "list", ""
    if words[0] == "status":
        if len(words) != 2:
            raise UsageError("usage: apex-tui research status JOB [--follow]")
        return "status", words[1]
    if words[0] == "submit" and len(words) > 1:
        words = words[1:]
    return "submit", " ".join(words)


def _emit_line(data: dict[str, Any]) -> None:
    """One JSON Lines record, flushed at once (a reader acts on each as it arrives); escaped
    like every JSON the CLI prints (``text_safety.json_text``)."""
    sys.stdout.write(json_text(data, indent=None) + "\n")
    sys.stdout.flush()


def _write_step(text: str, sanitizer: StreamSanitizer | None) -> None:
    """A step for people: inert (``sanitizer``, fed every step: they are pieces of one
    report) unless ``--raw``."""
    text = text if text.endswith("\n") else text + "\n"
    sys.stdout.write(text if sanitizer is None else sanitizer.feed(text))
    sys.stdout.flush()


async def _follow(tracker: Any, job_id: str, args: argparse.Namespace) -> int:
    count = 0
    sanitizer = None if args.raw else StreamSanitizer()  # steps are pieces of one report
    updates = tracker.follow(job_id, from_start=args.from_start)
    try:
        async with aclosing(updates):
            async for update in updates:
                if update.notice:
                    note(f"job {job_id}: {update.notice}")
                    if args.json:
                        _emit_line({"event": "notice", "job_id": job_id, "message": update.notice})
                    continue
                if count == 0 and not update.steps and not update.done:
                    note(f"job {job_id}: {update.status}; waiting for steps…")
                for step in update.steps:
                    if args.json:
                        _emit_line(
                            {
                                "event": "step",
                                "job_id": job_id,
                                "seq_id": step.seq_id,
                                "text": step.text,
                            }
                        )
                    else:
                        _write_step(step.text, sanitizer)
                    count += 1
                if update.done:
                    if args.json:
                        _emit_line(
                            {
                                "event": "done",
                                "job_id": job_id,
                                "status": update.status,
                                "report": update.report,
                                "error": update.error,
                            }
                        )
                    if update.status == "completed":
                        note(f"job {job_id} completed")
                        return 0
                    note(f"job {job_id} {update.status}: {update.error}")
                    return 1
    except asyncio.CancelledError:
        note(f"stopped following; resume with `apex-tui research status {job_id} --follow`")
        raise
    return 0


async def _submit(
    tracker: Any, prompt: str, config: Config, args: argparse.Namespace, *, local: bool
) -> int:
    job_id = await tracker.submit(prompt, model=config.defaults.model)
    job = tracker.store.get(job_id)
    if args.json:
        submitted = {
            "job_id": job_id,
            "status": job.status if job else "pending",
            "chat_id": job.chat_id if job else "",
        }
        if args.follow:
            _emit_line({"event": "submitted", **submitted})
        else:
            emit_json(submitted)
    else:
        print(one_line(job_id), flush=True)
    if not args.follow:
        if local:
            note("it runs on in the local server after this command ends")
        note(f"follow it with `apex-tui research status {job_id} --follow`")
        return 0
    return await _follow(tracker, job_id, args)


async def _status(tracker: Any, job_id: str, args: argparse.Namespace) -> int:
    if args.follow:
        return await _follow(tracker, job_id, args)
    update = await tracker.fetch(job_id)
    if args.json:
        emit_json(
            {
                "job_id": job_id,
                "status": update.status,
                "steps": [{"seq_id": s.seq_id, "text": s.text} for s in update.steps],
                "report": update.report,
                "error": update.error,
            }
        )
        return 0
    note(f"job {job_id}: {update.status} ({len(update.steps)} steps)")
    if update.error:
        note(update.error)
    text = update.report or "".join(s.text for s in update.steps)
    if text:
        print(shown(text, raw=args.raw).rstrip("\n"))
    return 0


async def _list(tracker: Any, client: Any, args: argparse.Namespace) -> int:
    from apex_tui.services.research import TERMINAL_STATUSES

    jobs = tracker.list_jobs()
    for job in jobs:
        if job.status not in TERMINAL_STATUSES:
            try:
                job.status = (await client.get_deep_researcher_job(job.job_id)).status
            except Exception as exc:  # stale local entry: say so, keep listing
                job.status = f"{job.status} (unchecked: {getattr(exc, 'message', exc)})"
    if args.json:
        emit_json([vars(j) for j in jobs])
        return 0
    if not jobs:
        note('no research jobs watched here; start one with `apex-tui research "…"`')
    for job in jobs:
        status, prompt = one_line(job.status), shorten(one_line(job.prompt), 60)
        print(f"{one_line(job.job_id)}  {status:10}  {job.submitted_at[:16]}  {prompt}")
    return 0


def run_research(args: argparse.Namespace) -> int:
    action, argument = _parse(args.words)
    if action == "submit" and not argument.strip():
        raise UsageError("the research prompt is empty")

    async def body(conn: Any, config: Config) -> int:
        from apex_tui.services.research import ResearchTracker

        tracker = ResearchTracker(conn.client, poll_interval=args.poll_interval)
        if action == "submit":
            return await _submit(tracker, argument, config, args, local=conn.local is not None)
        if action == "status":
            return await _status(tracker, argument, args)
        return await _list(tracker, conn.client, args)

    return run_connected(args, body, hold=args.follow)
