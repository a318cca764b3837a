"""The CLI refuses a setting the config would refuse, by the same rule, as a usage error
(exit 2) before anything reaches the server; the config file is left as it was."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from apex_tui.cli import main

RunCli = Callable[..., tuple[int, str, str]]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["config", "set", "defaults.temperature", "5"], "must be a number from 0 to 2"),
        (["config", "set", "defaults.top_p", "0"], "must be a number above 0 and at most 1"),
        (["config", "set", "theme", "nosuchtheme"], "theme 'nosuchtheme' is not installed"),
        (["config", "set", "defaults.completion_type", "bogus"], "must be one of basic"),
        (["config", "set", "defaults.max_new_tokens", "-5"], "must be a whole number"),
    ],
)
def test_config_set_refuses_values_outside_the_rules(
    argv: list[str], message: str, cli: RunCli
) -> None:
    assert cli("config", "set", "defaults.temperature", "0.3", endpoint=False)[0] == 0
    code, out, err = cli(*argv, endpoint=False)
    assert code == 2 and out == ""
    assert err.startswith("apex-tui: config: ") and message in err and err.count("\n") == 1
    shown = json.loads(cli("config", "show", "--json", endpoint=False)[1])
    assert shown["defaults"]["temperature"] == 0.3 and shown["theme"] == "apex-dark"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ask", "hi", "--temperature", "9"], "argument --temperature: must be a number from 0"),
        (["ask", "hi", "--top-p", "0"], "argument --top-p: must be a number above 0"),
        (["ask", "hi", "--max-tokens", "-5"], "argument --max-tokens: must be a whole number"),
        (["ask", "hi", "--seed", "many"], "argument --seed: must be a whole number"),
        (["search", "x", "--miners", "0"], "argument --miners: must be a whole number"),
        (["chats", "rename", "some-id", ""], "argument TITLE: the title is empty"),
        (["chats", "rename", "some-id", "  "], "argument TITLE: the title is empty"),
    ],
)
def test_flags_outside_the_rules_are_usage_errors(
    argv: list[str], message: str, cli: RunCli, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err
    assert json.loads(cli("chats", "list", "--json")[1]) == []  # nothing reached the server


def test_flags_inside_the_rules_are_sent(cli: RunCli) -> None:
    code, out, _ = cli(
        "ask", "hello", "--no-store", "--temperature", "2", "--top-p", "1", "--max-tokens", "5"
    )
    assert code == 0 and len(out.split()) == 5
