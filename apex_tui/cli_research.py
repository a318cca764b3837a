"""``apex-tui research …``: submit a deep-research job, show or follow one, list watched jobs.
Following can be interrupted (Ctrl-C) and resumed later where it stopped."""

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


async def _follow(tracker: Any, job_id: str, args: argparse.Namespace) -> int:
    count = 0
    sanitizer = None if args.raw else StreamSanitizer()  # steps are pieces of one report
    updates = tracker.follow(job_id, from_start=args.from_start)
    try:
        async with aclosing(updates):
            async for update in updates:
                if update.notice:
                    note(f"job {job_id}: {update.notice}")
                    continue
                if count == 0 and not update.steps and not update.done:
                    note(f"job {job_id}: {update.status}; waiting for steps…")
                for step in update.steps:
                    text = step.text if step.text.endswith("\n") else step.text + "\n"
                    sys.stdout.write(text if sanitizer is None else sanitizer.feed(text))
                    sys.stdout.flush()
                    count += 1
                if update.done:
                    if update.status == "completed":
                        note(f"job {job_id} completed")
                        return 0
                    note(f"job {job_id} {update.status}: {update.error}")
                    return 1
    except asyncio.CancelledError:
        note(f"stopped following; resume with `apex-tui research status {job_id} --follow`")
        raise
    return 0


def run_research(args: argparse.Namespace) -> int:
    action, argument = _parse(args.words)
    if action == "submit" and not argument.strip():
        raise UsageError("the research prompt is empty")

    async def body(conn: Any, config: Config) -> int:
        from apex_tui.services.research import TERMINAL_STATUSES, ResearchTracker

        tracker = ResearchTracker(conn.client, poll_interval=args.poll_interval)
        if action == "submit":
            job_id = await tracker.submit(argument, model=config.defaults.model)
            print(one_line(job_id), flush=True)
            if not args.follow:
                if conn.local is not None:
                    note("it runs on in the local server after this command ends")
                note(f"follow it with `apex-tui research status {job_id} --follow`")
                return 0
            return await _follow(tracker, job_id, args)
        if action == "status":
            if args.follow:
                return await _follow(tracker, argument, args)
            update = await tracker.fetch(argument)
            if args.json:
                emit_json(
                    {
                        "job_id": argument,
                        "status": update.status,
                        "steps": [{"seq_id": s.seq_id, "text": s.text} for s in update.steps],
                        "report": update.report,
                        "error": update.error,
                    }
                )
                return 0
            note(f"job {argument}: {update.status} ({len(update.steps)} steps)")
            if update.error:
                note(update.error)
            text = update.report or "".join(s.text for s in update.steps)
            if text:
                print(shown(text, raw=args.raw).rstrip("\n"))
            return 0
        jobs = tracker.list_jobs()
        for job in jobs:
            if job.status not in TERMINAL_STATUSES:
                try:
                    job.status = (await conn.client.get_deep_researcher_job(job.job_id)).status
                except Exception as exc:  # stale local entry: say so, keep listing
                    job.status = f"{job.status} (unchecked: {getattr(exc, 'message', exc)})"
        if args.json:
            emit_json([vars(j) for j in jobs])
            return 0
        if not jobs:
            note('no research jobs watched here; start one with `apex-tui research "…"`')
        for job in jobs:
            status, prompt = one_line(job.status), one_line(job.prompt)[:60]
            print(f"{one_line(job.job_id)}  {status:10}  {job.submitted_at[:16]}  {prompt}")
        return 0

    return run_connected(args, body, hold=args.follow)
