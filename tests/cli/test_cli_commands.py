"""Every CLI command and flag, in-process, against the real local server on loopback."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from apex_tui.cli import COMPLETION_TYPE_CHOICES, build_parser, main
from apex_tui.services.completion_types import COMPLETION_TYPES

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer

RunCli = Callable[..., tuple[int, str, str]]


def _chat_id(err: str) -> str:
    return next(line.split()[1] for line in err.splitlines() if line.startswith("chat "))


def test_completion_type_choices_match_the_mapping() -> None:
    assert set(COMPLETION_TYPE_CHOICES) == set(COMPLETION_TYPES)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["ask"],
        ["search"],
        ["research"],
        ["chats"],
        ["chats", "list"],
        ["chats", "show"],
        ["chats", "search"],
        ["chats", "rename"],
        ["chats", "delete"],
        ["chats", "export"],
        ["chats", "recover"],
        ["config"],
        ["config", "path"],
        ["config", "show"],
        ["config", "set"],
        ["config", "unset"],
        ["models"],
    ],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args([*argv, "--help"])
    assert caught.value.code == 0
    assert "usage: apex-tui" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["ask", "hi", "--type", "nonsense"])
    assert caught.value.code == 2
    assert main(["ask", "  "]) == 2
    assert "prompt is empty" in capsys.readouterr().err


def test_ask_streams_stores_and_continues_over_three_turns(cli: RunCli) -> None:
    code, out, err = cli("ask", "What is BM25?")
    assert code == 0 and out.strip()
    chat_id = _chat_id(err)
    code, _, err2 = cli("ask", "How does it rank?", "--chat", chat_id, "--type", "reasoning")
    assert code == 0 and _chat_id(err2) == chat_id
    code, out3, _ = cli("ask", "Summarise", "--chat", chat_id)
    assert code == 0
    assert "conversation of 4 earlier messages" in out3
    code, shown, _ = cli("chats", "show", chat_id, "--json")
    data = json.loads(shown)
    prompts = [t["prompt"] for t in data["turns"]]
    assert prompts == ["What is BM25?", "How does it rank?", "Summarise"]
    assert data["turns"][0]["answer"].strip() == out.strip()
    assert data["turns"][1]["completion_type"] == "reasoning"


def test_ask_flags_stdin_json_and_no_store(cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Compare TCP and UDP\n"))
    code, out, _ = cli("ask", "-", "--no-store", "--seed", "7", "--json")
    first = json.loads(out)
    assert code == 0 and first["stored"] is False and first["answer"]
    monkeypatch.setattr("sys.stdin", io.StringIO("Compare TCP and UDP\n"))
    code, out, _ = cli("ask", "-", "--no-store", "--seed", "7", "--json")
    assert json.loads(out)["answer"] == first["answer"]  # same seed, same answer
    code, short, _ = cli(
        "ask",
        "Write a long detailed essay on caching",
        "--no-store",
        "--max-tokens",
        "20",
        "--temperature",
        "0.1",
        "--top-p",
        "0.5",
        "--model",
        "Default",
        "--system",
        "Be terse.",
    )
    assert code == 0 and 0 < len(short.split()) <= 40
    code, out, _ = cli("chats", "list", "--json")
    assert json.loads(out) == []  # --no-store stored nothing
    code, out, err = cli("ask", "hello", "--type", "web-search", "--json")
    reply = json.loads(out)
    assert code == 0 and reply["chat_id"] == _chat_id(err) and reply["finish_reason"]


def test_search_prints_ranked_results(cli: RunCli) -> None:
    code, out, _ = cli(
        "search", "rate limiting", "--miners", "1", "--results", "3", "--max-time", "5"
    )
    assert code == 0 and out.startswith("1. ")
    code, out, _ = cli("search", "rate limiting", "--miners", "1", "--results", "2", "--json")
    results = json.loads(out)
    assert len(results) == 2 and all(r["url"] and r["relevant"] for r in results)


def test_chats_commands(cli: RunCli, tmp_path: Path) -> None:
    _, _, err = cli("ask", "Tell me about zebras")
    zebra = _chat_id(err)
    _, _, err = cli("ask", "Tell me about owls")
    owl = _chat_id(err)
    code, out, _ = cli("chats", "list")
    assert code == 0 and out.index(owl) < out.index(zebra)  # newest first
    code, out, _ = cli("chats", "list", "--type", "gravity", "--json")
    assert json.loads(out) == []
    code, out, _ = cli("chats", "search", "ZEBRAS")
    assert zebra in out and owl not in out
    assert cli("chats", "rename", zebra, "Stripes")[0] == 0
    code, out, _ = cli("chats", "show", zebra)
    assert out.startswith("Stripes") and "> Tell me about zebras" in out
    code, out, _ = cli("chats", "show", zebra, "--markdown")
    assert out.startswith("# Stripes") and "## You" in out
    target = tmp_path / "zebra.json"
    assert cli("chats", "export", zebra, "--format", "json", "-o", str(target))[0] == 0
    assert json.loads(target.read_text())["chat"]["title"] == "Stripes"
    code, out, _ = cli("chats", "export", zebra)
    assert out.startswith("# Stripes")
    code, _, err = cli("chats", "delete", zebra)  # stdin is not a terminal here
    assert code == 2 and "--yes" in err
    assert cli("chats", "delete", zebra, owl, "--yes")[0] == 0
    assert json.loads(cli("chats", "list", "--json")[1]) == []
    code, _, err = cli("chats", "show", "no-such-chat")
    assert code == 1 and "apex-tui chats list" in err


def test_config_commands(cli: RunCli) -> None:
    code, out, _ = cli("config", "path", endpoint=False)
    path = Path(out.strip())
    assert code == 0 and path.name == "config.toml"
    assert cli("config", "set", "api_key", "sk-very-secret-9876", endpoint=False)[0] == 0
    assert cli("config", "set", "defaults.temperature", "0.3", endpoint=False)[0] == 0
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    code, out, _ = cli("config", "show", endpoint=False)
    assert "sk-very-secret" not in out and "****9876" in out and "temperature = 0.3" in out
    data = json.loads(cli("config", "show", "--json", endpoint=False)[1])
    assert data["api_key"] == "****9876"
    assert cli("config", "unset", "api_key", endpoint=False)[0] == 0
    assert "api_key" not in path.read_text()
    code, _, err = cli("config", "set", "defaults.nope", "1", endpoint=False)
    assert code == 2 and "unknown config key" in err
    broken = "api_key = 'unterminated\n"
    path.write_text(broken)
    code, _, err = cli("config", "set", "theme", "x", endpoint=False)
    assert code == 2 and "line 1" in err
    assert path.read_text() == broken  # never overwritten silently
    assert cli("chats", "list")[0] == 2  # every command refuses a broken config


def test_401_prints_the_hint_and_exits_1(cli: RunCli, apex_server: EmbeddedServer) -> None:
    apex_server.inject_fault("status=401", method="GetChatSessions")
    code, _, err = cli("chats", "list")
    assert code == 1
    assert err.count("\n") == 1 and "APEX_API_KEY" in err and "config set api_key" in err


def test_wrong_key_on_a_keyed_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from apex_tui.server.embedded import EmbeddedServer, ServerOptions

    with EmbeddedServer(ServerOptions(db_path=tmp_path / "k.db", api_keys=["right"])) as server:
        assert main(["chats", "list", "--base-url", server.base_url, "--api-key", "wrong"]) == 1
        assert "APEX_API_KEY" in capsys.readouterr().err
        assert main(["chats", "list", "--base-url", server.base_url, "--api-key", "right"]) == 0


def test_server_gone_exits_1_with_a_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = main(["chats", "list", "--base-url", f"http://127.0.0.1:{port}", "--api-key", "k"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert f"cannot reach http://127.0.0.1:{port}" in err and "base URL" in err


def test_429_retried_for_a_read_not_for_a_create(cli: RunCli, apex_server: EmbeddedServer) -> None:
    apex_server.inject_fault("status=429;retry-after=0", method="GetChatSessions", times=2)
    assert cli("chats", "list")[0] == 0
    apex_server.inject_fault("status=429;retry-after=0", method="CreateChatAndCompletion")
    code, out, err = cli("ask", "hello")
    assert code == 1 and "retry later" in err and out == ""
    assert json.loads(cli("chats", "list", "--json")[1]) == []


def test_research_commands(cli: RunCli) -> None:
    code, out, err = cli(
        "research", "How do rate limits work?", "--follow", "--poll-interval", "0.02"
    )
    assert code == 0 and "completed" in err
    job_id = out.splitlines()[0]
    assert "Final" in out
    code, out, _ = cli("research", "status", job_id, "--json")
    status = json.loads(out)
    assert status["status"] == "completed" and status["report"]
    seqs = [s["seq_id"] for s in status["steps"]]
    assert seqs == sorted(set(seqs))
    code, out, err = cli("research", "status", job_id)
    assert code == 0 and "completed" in err and status["report"].strip() in out
    code, out, _ = cli("research", "list")
    assert job_id in out and "completed" in out
    assert json.loads(cli("research", "list", "--json")[1])[0]["job_id"] == job_id
    code, out, err = cli("research", "submit", "Second question")
    assert code == 0 and "research status" in err
    assert cli("research", "status", "no-such-job")[0] == 1
