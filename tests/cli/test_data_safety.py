"""The CLI never claims a save that did not happen, keeps what the server did not take, and
writes nothing to the terminal that could act on it (issue 13). Faults come from the real
server's fault injection; hostile replies from a small loopback server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import RunCli
from hostile_servers import hostile, reply, routed, silent

from apex_tui.services.paths import config_path, state_dir

if TYPE_CHECKING:
    from apex_tui.server.embedded import EmbeddedServer

UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
HOSTILE = (
    "Explain tcp zebra \x1b]0;PWNED\x07 \x1b]52;c;ZXZpbA==\x07 \x9b31m red \u202edcba\u202c end"
)


@pytest.fixture(autouse=True)
def _fast_retries() -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[client]\nretry_base_delay = 0.01\n")


def _kept() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((state_dir() / "recovered").glob("*.json"))]


def _chat_id(err: str) -> str:
    match = re.search(r"^chat (\S+)$", err, re.MULTILINE)
    assert match, err
    return match.group(1)


def _stored_answer(cli: RunCli, chat_id: str) -> str:
    code, out, _ = cli("chats", "show", chat_id, "--json")
    assert code == 0
    answer: str = json.loads(out)["turns"][-1]["answer"]
    return answer


def test_a_failed_final_write_is_kept_reported_and_recovered(
    cli: RunCli, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("status=503", method="UpdateCompletionAttributes", times=10)
    code, out, err = cli("ask", "Explain TCP slow start")
    assert code == 1
    assert "could not be saved in chat" in err and "apex-tui chats recover" in err
    assert "is saved" not in err
    chat_id = _chat_id(err)
    [kept] = _kept()
    assert kept["chat_id"] == chat_id and kept["completion_id"]
    assert kept["prompt"] == "Explain TCP slow start"
    assert kept["answer"].strip() == out.strip() and kept["time"]
    apex_server.clear_faults()
    assert _stored_answer(cli, chat_id) == ""  # the server really has nothing
    code, _, err = cli("chats", "list")
    assert code == 0 and "1 answer could not be saved earlier" in err
    code, _, err = cli("chats", "recover")
    assert code == 0 and "restored the answer" in err
    assert _kept() == []
    assert _stored_answer(cli, chat_id) == kept["answer"]
    code, _, err = cli("chats", "list")
    assert "could not be saved" not in err


def test_the_json_result_says_stored_only_when_the_server_acknowledged_it(
    cli: RunCli, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("status=503", method="UpdateCompletionAttributes", times=2)
    code, out, _ = cli("ask", "Explain TCP", "--json")  # two failures, then the retry works
    assert code == 0 and json.loads(out)["stored"] is True and _kept() == []
    apex_server.inject_fault("status=503", method="UpdateCompletionAttributes", times=10)
    code, out, _ = cli("ask", "Explain UDP", "--json")
    result = json.loads(out)
    assert code == 1 and result["stored"] is False
    assert result["recovery_file"] and Path(result["recovery_file"]).is_file()


def test_a_stream_that_breaks_claims_a_save_only_when_it_happened(
    cli: RunCli, apex_server: EmbeddedServer
) -> None:
    apex_server.inject_fault("drop-after=3", method="ChatCompletionStream")
    apex_server.inject_fault("status=503", method="UpdateCompletionAttributes", times=10)
    code, out, err = cli("ask", "Explain TCP")
    assert code == 1 and out.strip()
    assert "the partial answer could not be saved" in err and "is saved" not in err
    assert _kept()[0]["answer"].strip() == out.strip()
    apex_server.clear_faults()
    apex_server.inject_fault("drop-after=3", method="ChatCompletionStream")
    code, out, err = cli("ask", "Explain UDP")
    assert code == 1 and "the partial answer is saved in chat" in err
    assert _stored_answer(cli, _chat_id(err)).strip() == out.strip()


def _assert_inert(text: str, where: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"{where}: {found.group()!r} in {text[:200]!r}"


def test_every_output_path_is_inert(cli: RunCli, tmp_path: Path) -> None:
    code, out, err = cli("ask", HOSTILE)  # the offline engine quotes the prompt
    # the title write is gone (the offline writer may still name its payload's words, inert)
    assert code == 0 and "zebra" in out and "]0;PWNED" not in out
    _assert_inert(out, "ask")
    chat_id = _chat_id(err)
    raw_code, raw, _ = cli("ask", HOSTILE, "--no-store", "--raw")
    assert raw_code == 0 and "\x1b]0;PWNED\x07" in raw  # only when asked for
    target = tmp_path / "chat.md"
    for argv in (
        ["ask", HOSTILE, "--no-store"],
        ["ask", HOSTILE, "--json"],
        ["chats", "show", chat_id],
        ["chats", "show", chat_id, "--markdown"],
        ["chats", "show", chat_id, "--json"],
        ["chats", "export", chat_id],
        ["chats", "export", chat_id, "--format", "json"],
        ["chats", "export", chat_id, "-o", str(target)],
        ["chats", "list"],
        ["chats", "list", "--json"],
        ["chats", "search", "tcp"],
        ["chats", "search", "tcp", "--json"],
        ["research", HOSTILE, "--follow"],
    ):
        code, out, err = cli(*argv)
        assert code == 0, (argv, err)
        assert "zebra" in out or argv[-2:] == ["-o", str(target)], argv
        _assert_inert(out, " ".join(argv[:3]))
        _assert_inert(err, " ".join(argv[:3]) + " (stderr)")
    _assert_inert(target.read_text(), "export -o")
    assert "zebra" in target.read_text()
    code, out, _ = cli("chats", "show", chat_id, "--json")
    assert json.loads(out)["turns"][0]["prompt"] == HOSTILE  # JSON escapes, loses nothing


def test_search_results_and_server_errors_are_inert(cli: RunCli) -> None:
    results = {"results": [{"url": "https://x.test/\x1b]0;PWNED\x07", "relevant": HOSTILE}]}
    error = {"code": "not_found", "message": "no chat \x1b]52;c;ZXZpbA==\x07 \u202ehere"}
    replies = {
        "WebRetrieval": reply(json.dumps(results).encode()),
        "GetChatSessions": reply(json.dumps(error).encode()).replace(b"200 OK", b"404 No"),
    }
    with hostile(routed(replies)) as server:
        endpoint = ["--base-url", server.base_url, "--api-key", "k"]
        code, out, err = cli("search", "tcp", *endpoint, endpoint=False)
        assert code == 0 and "zebra" in out and "x.test" in out
        _assert_inert(out, "search")
        code, out, err = cli("search", "tcp", "--json", *endpoint, endpoint=False)
        _assert_inert(out, "search --json")
        code, out, err = cli("chats", "list", *endpoint, endpoint=False)
        assert code == 1 and "no chat" in err
        _assert_inert(err, "error line")


def test_export_to_a_missing_folder_or_a_folder_is_a_usage_error(
    cli: RunCli, tmp_path: Path
) -> None:
    _, _, err = cli("ask", "hello there")
    chat_id = _chat_id(err)
    missing = tmp_path / "missing-dir" / "x.md"
    code, _, err = cli("chats", "export", chat_id, "-o", str(missing))
    assert code == 2 and str(missing.parent) in err and "Traceback" not in err
    code, _, err = cli("chats", "export", chat_id, "-o", str(tmp_path))
    assert code == 2 and "is a directory" in err


def test_client_limits_in_the_config_reach_the_commands(cli: RunCli) -> None:
    config_path().write_text("[client]\ncall_timeout = 0.3\nretry_base_delay = 0.01\n")
    with hostile(silent) as server:
        argv = ["chats", "list", "--base-url", server.base_url, "--api-key", "k"]
        code, _, err = cli(*argv, endpoint=False)
    assert code == 1 and "within 0.3 s" in err and "client.call_timeout" in err


def test_a_config_that_is_not_utf8_is_one_clear_line(cli: RunCli) -> None:
    config_path().write_bytes(b'theme = "caf\xe9"\n')
    code, _, err = cli("chats", "list")
    assert code == 2 and "not UTF-8" in err and "Traceback" not in err
