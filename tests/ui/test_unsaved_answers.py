"""The app never shows an answer as stored when the server did not take it: the toast says
so and where the answer is kept, and the next start writes it back (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from apex_pilot import KEY, SIZE, AppFactory, main_of, notices, send, settle

from apex_tui.api.client import ApexClient


def _kept(tmp_path: Path) -> list[dict[str, Any]]:
    folder = tmp_path / "state" / "recovered"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


async def test_a_failed_final_write_is_reported_kept_and_restored_at_the_next_start(
    make_app: AppFactory, apex_server: Any, tmp_path: Path
) -> None:
    apex_server.inject_fault("status=503", method="UpdateCompletionAttributes", times=5)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await send(pilot, "Explain TCP slow start")
        await settle(pilot)
        [turn] = main.view.turns
        assert turn.status == "error" and "not saved" in turn.error
        [toast] = [n for n in notices(app) if "was not saved" in n]
        assert "kept in" in toast and "apex-tui chats recover" in toast
        answer = turn.answer
    [kept] = _kept(tmp_path)
    assert kept["answer"] == answer and kept["prompt"] == "Explain TCP slow start"
    async with ApexClient(apex_server.base_url, KEY) as client:
        [stored] = await client.get_stored_chat_completions(kept["chat_id"])
        assert stored.completion_text == ""

    apex_server.clear_faults()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("Unsaved answers restored" in n for n in notices(app))
    assert _kept(tmp_path) == []
    async with ApexClient(apex_server.base_url, KEY) as client:
        [stored] = await client.get_stored_chat_completions(kept["chat_id"])
        assert stored.completion_text == answer


async def test_a_kept_answer_the_server_cannot_take_yet_stays_kept(
    make_app: AppFactory, apex_server: Any, tmp_path: Path
) -> None:
    apex_server.inject_fault("status=503", method="UpdateCompletionAttributes", times=5)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await send(pilot, "Explain UDP")
        await settle(pilot)
    assert len(_kept(tmp_path)) == 1
    apex_server.inject_fault("status=503", method="GetChatCompletion", times=5)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("Unsaved answers kept" in n for n in notices(app))
    assert len(_kept(tmp_path)) == 1
