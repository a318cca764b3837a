"""A server that wants a key: no key configured and a wrong key are told apart, each with the
fix that applies (the server answers ``unauthenticated`` to both)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from apex_tui.api.client import ApexClient
from apex_tui.api.errors import NO_KEY_HINT, WRONG_KEY_HINT, ApexError
from apex_tui.cli import main
from apex_tui.server.embedded import EmbeddedServer, ServerOptions


@pytest.fixture
def keyed_server(tmp_path: Path) -> Iterator[EmbeddedServer]:
    with EmbeddedServer(ServerOptions(db_path=tmp_path / "k.db", api_keys=["right"])) as server:
        yield server


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


def test_no_key_configured_says_to_set_one(
    keyed_server: EmbeddedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # A loopback URL with no key sends a local stand-in key; it is still "no key configured".
    assert main(["chats", "list", "--base-url", keyed_server.base_url]) == 1
    err = _one_line(capsys)
    assert "needs an API key and none is configured" in err and NO_KEY_HINT in err
    assert "invalid" not in err


def test_a_wrong_key_says_to_check_it(
    keyed_server: EmbeddedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["chats", "list", "--base-url", keyed_server.base_url, "--api-key", "wrong"]) == 1
    err = _one_line(capsys)
    assert "invalid API key" in err and WRONG_KEY_HINT in err
    monkeypatch.setenv("APEX_API_KEY", "also-wrong")
    assert main(["chats", "list", "--base-url", keyed_server.base_url]) == 1
    assert WRONG_KEY_HINT in _one_line(capsys)
    monkeypatch.setenv("APEX_API_KEY", "right")
    assert main(["chats", "list", "--base-url", keyed_server.base_url]) == 0


async def test_the_client_tells_them_apart(keyed_server: EmbeddedServer) -> None:
    """No Authorization header at all (an empty key) and a wrong one, at the client."""
    for key, message, hint in (
        ("", "needs an API key and none is configured", NO_KEY_HINT),
        ("wrong", "invalid API key", WRONG_KEY_HINT),
    ):
        async with ApexClient(keyed_server.base_url, key, max_retries=0) as client:
            with pytest.raises(ApexError) as caught:
                await client.get_chat_sessions("")
            assert caught.value.code == "unauthenticated"
            assert message in caught.value.message and caught.value.hint == hint
            with pytest.raises(ApexError) as streamed:  # the stream's refusal says the same
                async for _ in client.chat_completion_stream(_request()):
                    pass
            assert message in streamed.value.message and streamed.value.hint == hint


def _request():  # type: ignore[no-untyped-def]
    from apex_tui.api.models import ChatCompletionRequest, ChatMessage

    return ChatCompletionRequest(messages=[ChatMessage(role="user", content="hi")])
