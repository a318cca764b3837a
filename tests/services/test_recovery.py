"""Kept answers (``services.recovery``): written back only where that loses nothing, kept
otherwise; file names never come from the server's text (issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from apex_tui.api.client import ApexClient
from apex_tui.services.recovery import RecoveryStore, UnsavedAnswer, restore_unsaved

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer


def test_a_hostile_completion_id_cannot_choose_the_file(tmp_path: Path) -> None:
    store = RecoveryStore(tmp_path / "recovered")
    path = store.keep(UnsavedAnswer("c", "../../etc/passwd\x00", "p", "answer"))
    assert path.parent == store.root and path.name.startswith("answer-")
    assert path.stat().st_mode & 0o077 == 0  # the user's text: private
    [kept] = store.pending()
    assert kept.completion_id == "../../etc/passwd\x00" and kept.time


async def test_restore_writes_back_only_what_loses_nothing(
    apex_server: EmbeddedServer, tmp_path: Path
) -> None:
    store = RecoveryStore(tmp_path / "recovered")
    async with ApexClient(apex_server.base_url, "k", retry_base_delay=0.01) as client:
        ids = []
        prompts = ("empty", "partial", "changed")
        for prompt in prompts:
            created = await client.create_chat_and_completion(prompt)
            assert created.parsed_chat and created.parsed_completion
            ids.append((created.parsed_chat.id, created.parsed_completion.id))
        await client.update_completion_attributes(ids[1][1], completion_text="The full")
        await client.update_completion_attributes(ids[2][1], completion_text="Edited elsewhere")
        for (chat_id, completion_id), prompt in zip(
            ids, ("empty", "partial", "changed"), strict=True
        ):
            store.keep(UnsavedAnswer(chat_id, completion_id, prompt, "The full answer"))
        store.keep(UnsavedAnswer("x", "not-on-this-server", "p", "text"))
        report = await restore_unsaved(client, store)
        assert sorted(a.prompt for a in report.restored) == ["empty", "partial"]
        reasons = {a.completion_id: why for a, why in report.kept}
        assert "not overwritten" in reasons[ids[2][1]]
        assert "no such completion" in reasons["not-on-this-server"]
        for _, completion_id in ids[:2]:
            stored = await client.get_chat_completion(completion_id)
            assert stored.completion_text == "The full answer"
        assert (await client.get_chat_completion(ids[2][1])).completion_text == "Edited elsewhere"
    assert {a.completion_id for a in store.pending()} == {ids[2][1], "not-on-this-server"}
