"""One set of rules for a setting, wherever it is set: the config file, ``config set``, a flag
(``check_setting``) and the settings screens (``describe_errors``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from apex_tui.services.completion_types import COMPLETION_TYPES
from apex_tui.services.config import (
    COMPLETION_TYPE_NAMES,
    Config,
    ConfigError,
    Defaults,
    check_setting,
    config_path,
    describe_errors,
    load_config,
    set_value,
)
from apex_tui.services.theme_names import known_theme_names


@pytest.mark.parametrize(
    ("key", "raw", "rule"),
    [
        ("defaults.temperature", "5", "a number from 0 to 2"),
        ("defaults.temperature", "-0.1", "a number from 0 to 2"),
        ("defaults.temperature", "hot", "a number from 0 to 2"),
        ("defaults.top_p", "0", "a number above 0 and at most 1"),
        ("defaults.top_p", "1.5", "a number above 0 and at most 1"),
        ("defaults.max_new_tokens", "-5", "a whole number, at least 1"),
        ("defaults.max_new_tokens", "0", "a whole number, at least 1"),
        ("defaults.completion_type", "bogus", "one of basic, web-search, chain-of-thought"),
        ("defaults.chat_type", "other", "one of apex, gravity"),
        ("server.engine", "magic", "one of offline, openai"),
        ("server.tokens_per_second", "-1", "0 (as fast as possible) or more"),
        ("search.n_miners", "0", "a whole number, at least 1"),
        ("base_url", "ftp://example.com", "a host, host:port or http(s):// URL"),
        ("base_url", "http://", "a host, host:port or http(s):// URL"),
        ("server.searxng_url", "localhost:8888", "an http:// or https:// URL, or empty"),
        ("server.upstream_url", "ftp://models.example", "an http:// or https:// URL"),
        ("server.grpc_port", "0", "a port number from 1 to 65535"),
        ("server.grpc_port", "70000", "a port number from 1 to 65535"),
        ("server.research_step_seconds", "-1", "a number of seconds, 0 or more"),
        ("server.idle_minutes", "-5", "a number of minutes, 0 (exit as soon as unused)"),
        ("server.fetch_private_pages", "perhaps", "true or false"),
        ("client.call_timeout", "0", "a number of seconds above 0"),
        ("client.max_reply_bytes", "0", "a whole number of bytes, at least 1"),
        ("client.max_retries", "-1", "a whole number, 0 or more"),
        ("client.retry_base_delay", "-0.5", "a number of seconds, 0 or more"),
    ],
)
def test_out_of_range_values_are_refused_with_the_rule(key: str, raw: str, rule: str) -> None:
    config = Config()
    with pytest.raises(ConfigError) as caught:
        set_value(config, key, raw)
    message = str(caught.value)
    assert message.startswith(f"{key}: must be ") and rule in message and repr(raw) in message
    assert config == Config()  # nothing changed
    with pytest.raises(ConfigError):
        check_setting(key, raw)


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("defaults.temperature", "0", 0.0),
        ("defaults.temperature", "2", 2.0),
        ("defaults.top_p", "1", 1.0),
        ("defaults.max_new_tokens", "1", 1),
        ("defaults.seed", "none", None),
        ("defaults.completion_type", "web-search", "web-search"),
        ("base_url", "localhost:8080", "localhost:8080"),
        ("base_url", "https://apex.example/v1", "https://apex.example/v1"),
        ("server.searxng_url", "http://127.0.0.1:8888", "http://127.0.0.1:8888"),
        ("server.searxng_url", "", None),
        ("server.upstream_url", "https://models.example/v1", "https://models.example/v1"),
        ("server.grpc_port", "50051", 50051),
        ("server.grpc_port", "none", None),
        ("server.idle_minutes", "0", 0.0),
        ("server.fetch_private_pages", "true", True),
        ("client.max_retries", "0", 0),
        ("client.stream_timeout", "1.5", 1.5),
    ],
)
def test_values_inside_the_rules_are_taken(key: str, raw: str, value: object) -> None:
    assert check_setting(key, raw) == value


def test_a_config_file_breaking_a_rule_is_refused_by_name() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text('[defaults]\ntemperature = 5\ncompletion_type = "bogus"\n')
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert "defaults.temperature: must be a number from 0 to 2 (got 5)" in message
    assert "defaults.completion_type: must be one of basic" in message


def test_completion_type_names_match_the_mapping() -> None:
    assert set(COMPLETION_TYPE_NAMES) == set(COMPLETION_TYPES)


def test_themes_must_be_installed(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config = Config()
    with pytest.raises(ConfigError, match=r"theme .nosuchtheme. is not installed.*apex-light"):
        set_value(config, "theme", "nosuchtheme", config_file=config_file)
    for name in ("apex-light", "nord", "textual-dark"):
        set_value(config, "theme", name, config_file=config_file)
        assert config.theme == name
    themes = tmp_path / "themes"
    themes.mkdir()
    (themes / "mine.toml").write_text('primary = "#ff0000"\n')
    (themes / "named.toml").write_text('name = "sunset"\nprimary = "#ff8800"\n')
    (themes / "nocolour.toml").write_text('name = "nocolour"\n')
    (themes / "broken.toml").write_text("primary = \n")
    assert {"mine", "sunset"} <= known_theme_names(config_file)
    assert not {"nocolour", "broken", "named"} & known_theme_names(config_file)
    set_value(config, "theme", "sunset", config_file=config_file)
    assert config.theme == "sunset"


def test_describe_errors_uses_screen_labels() -> None:
    with pytest.raises(ValidationError) as caught:
        Defaults.model_validate({"temperature": "9", "top_p": "0", "max_new_tokens": "many"})
    problems = describe_errors(Defaults, caught.value, {"temperature": "Temperature"})
    assert problems == [
        "Temperature: must be a number from 0 to 2 (got '9')",
        "top_p: must be a number above 0 and at most 1 (got '0')",
        "max_new_tokens: must be a whole number, at least 1 (got 'many')",
    ]
