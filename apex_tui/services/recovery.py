"""Answers the server did not acknowledge are kept on this machine until they are written back.

When the final ``UpdateCompletionAttributes`` of a turn still fails after its retries, the
answer would exist only on the screen. :class:`RecoveryStore` keeps it as one JSON file per
completion in ``$XDG_STATE_HOME/apex-tui/recovered/`` (mode 0600: it is the user's text);
:func:`restore_unsaved` writes those back when the server is reachable again (the app tries at
start, ``apex-tui chats recover`` on demand) and drops each file once the server has it.

A kept answer carries its metadata (the model's reasoning included), written back with it.
A restore never overwrites text it did not write: when the stored completion holds something
other than a prefix of the kept answer (someone wrote to it since), the file stays and the
conflict is reported.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apex_tui.api.errors import ApexError
from apex_tui.services.atomic_file import read_json_file, write_atomically
from apex_tui.services.paths import state_dir

if TYPE_CHECKING:
    from apex_tui.api.client import ApexClient

__all__ = ["RecoveryStore", "RestoreReport", "UnsavedAnswer", "restore_unsaved"]


@dataclass
class UnsavedAnswer:
    chat_id: str
    completion_id: str
    prompt: str
    answer: str
    metadata: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    """Why the write failed."""
    server: str = ""
    """Where it was to be stored (for people: the same chat may live on another server)."""
    time: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnsavedAnswer | None:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if not all(isinstance(values.get(k), str) for k in ("completion_id", "answer")):
            return None
        values.setdefault("chat_id", "")
        values.setdefault("prompt", "")
        if not isinstance(values.get("metadata", {}), dict):
            values["metadata"] = {}
        return cls(**values)


class RecoveryStore:
    """The kept answers, one file each; every write is atomic."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or state_dir() / "recovered"

    def path_for(self, completion_id: str) -> Path:
        """A file name from the id's hash: an id is the server's text, not a safe path."""
        digest = hashlib.sha256(completion_id.encode("utf-8", "surrogatepass")).hexdigest()
        return self.root / f"answer-{digest[:32]}.json"

    def keep(self, answer: UnsavedAnswer) -> Path:
        """Write ``answer`` (replacing an older copy of the same completion); raises OSError."""
        if not answer.time:
            answer.time = datetime.now(UTC).isoformat(timespec="seconds")
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path_for(answer.completion_id)
        payload = json.dumps(asdict(answer), indent=1, ensure_ascii=False)
        write_atomically(path, payload, mode=0o600, errors="surrogatepass")
        return path

    def pending(self) -> list[UnsavedAnswer]:
        """Every kept answer, oldest first (files that cannot be read are left alone)."""
        found: list[UnsavedAnswer] = []
        try:
            paths = sorted(self.root.glob("answer-*.json"))
        except OSError:
            return []
        for path in paths:
            data, _ = read_json_file(path, errors="surrogatepass")  # unreadable: left alone
            answer = UnsavedAnswer.from_json(data) if isinstance(data, dict) else None
            if answer is not None:
                found.append(answer)
        return sorted(found, key=lambda a: a.time)

    def drop(self, completion_id: str) -> None:
        self.path_for(completion_id).unlink(missing_ok=True)


@dataclass
class RestoreReport:
    restored: list[UnsavedAnswer] = field(default_factory=list)
    kept: list[tuple[UnsavedAnswer, str]] = field(default_factory=list)
    """Answers still kept, each with the reason."""
    unreachable: ApexError | None = None
    """Set when the server could not be asked at all (everything stays kept)."""


async def restore_unsaved(
    client: ApexClient, store: RecoveryStore, pending: list[UnsavedAnswer] | None = None
) -> RestoreReport:
    """Write every kept answer back to its completion (see the module docstring); ``pending``:
    ``store.pending()`` when the caller has just read it."""
    report = RestoreReport()
    pending = store.pending() if pending is None else pending
    for index, answer in enumerate(pending):
        try:
            stored = await client.get_chat_completion(answer.completion_id)
        except ApexError as exc:
            if exc.code != "not_found":
                report.unreachable = exc
                report.kept += [(a, exc.message) for a in pending[index:]]
                return report
            report.kept.append(
                (
                    answer,
                    "this server has no such completion: connect to the server it was asked on,"
                    " or copy the answer from its file and delete the file",
                )
            )
            continue
        current = stored.completion_text
        # An equal non-empty text: the write went through (text and metadata are one call).
        # Both empty (only reasoning arrived): the metadata may not have; write it again.
        if current != answer.answer or not current:
            if current and not answer.answer.startswith(current):
                report.kept.append(
                    (
                        answer,
                        "the stored answer changed since, so it was not overwritten: copy what"
                        " you need from its file, then delete the file",
                    )
                )
                continue
            try:
                await client.update_completion_attributes(
                    answer.completion_id,
                    completion_text=answer.answer,
                    metadata=answer.metadata or None,
                    retry=True,
                )
            except ApexError as exc:
                report.kept.append((answer, exc.message))
                continue
        store.drop(answer.completion_id)
        report.restored.append(answer)
    return report
