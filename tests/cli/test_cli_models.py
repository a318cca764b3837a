"""``apex-tui ask`` on a model: reasoning hidden or shown, the token-limit note, ``--no-stream``
through the unary ChatCompletion, stored like a streamed answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.model_server import ModelServer, ollama_tags_app
from fakes.serve import serving
from fakes.stack import ModelStack, model_stack

from apex_tui.cli import main


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[ModelStack]:
    with model_stack(tmp_path, model="reasoner", faults_enabled=True) as running:
        yield running


def ask(stack: ModelStack, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    endpoint = ["--base-url", stack.server.base_url, "--api-key", "cli-key"]
    code = main(["ask", *argv, *endpoint])
    out, err = capsys.readouterr()
    return code, out, err


def test_reasoning_is_hidden_unless_asked_for(
    stack: ModelStack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = ask(stack, capsys, "why is water wet", "--type", "reasoning")
    assert code == 0 and out == "why is water wet\n"
    assert "reasoning was hidden; --show-reasoning shows it" in err
    code, out, err = ask(stack, capsys, "why is water wet", "--show-reasoning", "--no-store")
    assert code == 0 and out == "why is water wet\n"
    assert "Let me think about it." in err and "hidden" not in err


def test_the_token_limit_is_named(stack: ModelStack, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = ask(stack, capsys, "a b c d e f", "--max-tokens", "2")
    assert code == 0 and out == "a b\n"
    assert "stopped at the token limit — raise max tokens" in err


def test_no_stream_uses_the_unary_call_and_stores_the_chat(
    stack: ModelStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every streaming call fails: the answer can only come through ChatCompletion.
    stack.server.inject_fault("status=503", method="ChatCompletionStream", times=100)
    code, out, err = ask(stack, capsys, "unary answers arrive whole", "--no-stream", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["answer"] == "unary answers arrive whole"
    assert result["reasoning"] == "Let me think about it."
    assert result["finish_reason"] == "stop" and result["usage"]["prompt_tokens"] == 11
    code, shown, _ = ask_chat_show(stack, capsys, result["chat_id"])
    assert code == 0 and "unary answers arrive whole" in shown and "Let me think" not in shown
    code, out, err = ask(stack, capsys, "plain text too", "--no-stream")
    assert code == 0 and out == "plain text too\n"


def ask_chat_show(
    stack: ModelStack, capsys: pytest.CaptureFixture[str], chat_id: str
) -> tuple[int, str, str]:
    capsys.readouterr()
    endpoint = ["--base-url", stack.server.base_url, "--api-key", "cli-key"]
    code = main(["chats", "show", chat_id, "--markdown", *endpoint])
    out, err = capsys.readouterr()
    return code, out, err


def test_models_lists_the_configured_upstream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = ModelServer()
    with serving(fake.app()) as url:
        config = tmp_path / "config.toml"
        config.write_text(f'[server]\nupstream_url = "{url}/v1"\nupstream_key = "up-key"\n')
        assert main(["models", "--config", str(config)]) == 0
        assert capsys.readouterr().out == "tiny\nreasoner\n"
        assert main(["models", "--json", "--url", url]) == 0
        assert json.loads(capsys.readouterr().out) == {
            "url": url,
            "models": ["tiny", "reasoner"],
        }


def test_models_finds_local_servers_when_none_is_configured(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["models"]) == 1
    assert "none answers on 127.0.0.1" in capsys.readouterr().err
    with serving(ollama_tags_app(["qwen3:0.6b"])) as url:
        port = int(url.rsplit(":", 1)[1])
        monkeypatch.setattr(
            "apex_tui.services.upstream_models.KNOWN_LOCAL_SERVERS", (("Ollama", port),)
        )
        assert main(["models"]) == 0
        out, err = capsys.readouterr()
    assert out == f"Ollama at {url}/v1:\n  qwen3:0.6b\n"
    assert f"server.upstream_url {url}/v1" in err and "upstream_model qwen3:0.6b" in err


def test_shown_reasoning_is_inert_unless_raw(
    stack: ModelStack, capsys: pytest.CaptureFixture[str]
) -> None:
    """The model's reasoning reaches the terminal too (stderr): made inert like the answer."""
    hostile = "<think>steps \x1b]0;PWNED\x07here \x1b[2Jdone</think>the answer"
    code, out, err = ask(stack, capsys, hostile, "--show-reasoning", "--no-store")
    assert code == 0 and out == "the answer\n"
    assert "steps" in err and "done" in err
    assert "\x1b" not in err and "PWNED" not in err
    code, out, err = ask(stack, capsys, hostile, "--show-reasoning", "--no-store", "--raw")
    assert code == 0 and "\x1b]0;PWNED\x07" in err  # only when asked for


def test_model_names_are_printed_inert(capsys: pytest.CaptureFixture[str]) -> None:
    fake = ModelServer(key=None, models=["tiny", "\x1b]0;PWNED\x07evil\u202e"])
    with serving(fake.app()) as url:
        assert main(["models", "--url", url]) == 0
        out = capsys.readouterr().out
        assert main(["models", "--url", url, "--json"]) == 0
        shown = capsys.readouterr().out
    assert out.splitlines()[0] == "tiny" and "evil" in out
    assert "\x1b" not in out and "\u202e" not in out and "PWNED" not in out
    assert "\x1b" not in shown and "\\u001b" in shown  # JSON keeps it, escaped
