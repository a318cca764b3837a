"""Configuration: file location, round trip, 0600 with a key, malformed files, precedence."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from apex_tui.services.config import (
    Config,
    ConfigError,
    config_path,
    load_config,
    save_config,
    set_value,
    unset_value,
)
from apex_tui.services.connection import resolve_endpoint


def test_config_path_follows_xdg(tmp_path: Path) -> None:
    assert config_path() == tmp_path / "xdg_config_home" / "apex-tui" / "config.toml"


def test_missing_file_gives_defaults() -> None:
    config = load_config()
    assert config == Config()
    assert config.defaults.temperature == 0.7 and config.server.engine == "offline"


def test_round_trip_and_mode_0600_with_a_key() -> None:
    config = Config()
    set_value(config, "defaults.temperature", "0.2")
    save_config(config)
    assert stat.S_IMODE(config_path().stat().st_mode) == 0o644
    set_value(config, "api_key", "sk-secret-123456")
    save_config(config)
    assert stat.S_IMODE(config_path().stat().st_mode) == 0o600
    loaded = load_config()
    assert loaded.api_key == "sk-secret-123456"
    assert loaded.defaults.temperature == 0.2
    unset_value(loaded, "api_key")
    save_config(loaded)
    assert load_config().api_key is None


def test_malformed_toml_names_the_line_and_is_kept() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    text = 'theme = "apex-dark"\napi_key = "unterminated\n'
    path.write_text(text)
    with pytest.raises(ConfigError, match="line 2"):
        load_config()
    assert path.read_text() == text


def test_a_config_that_is_not_utf8_is_a_clear_error_and_is_kept() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    raw = b'theme = "apex-dark"\nbase_url = "caf\xe9"\n'  # Latin-1, not UTF-8
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert str(path) in str(caught.value) and "line 2" in str(caught.value)
    assert "UTF-8" in str(caught.value)
    assert path.read_bytes() == raw


def test_client_limits_come_from_the_client_section() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[client]\ncall_timeout = 5\nmax_stream_bytes = 1000\nmax_retries = 0\n")
    options = load_config().client.client_options()
    assert options["limits"].call_timeout == 5 and options["limits"].max_stream_bytes == 1000
    assert options["limits"].stream_idle_timeout == 120  # the rest keep their defaults
    assert options["max_retries"] == 0
    path.write_text("[client]\nstream_idle_timeout = 0\n")
    with pytest.raises(ConfigError, match=r"client\.stream_idle_timeout"):
        load_config()


def test_wrong_types_and_unknown_keys_are_config_errors() -> None:
    path = config_path()
    path.parent.mkdir(parents=True)
    path.write_text("[defaults]\ntemperature = 'hot'\n")
    with pytest.raises(ConfigError, match=r"defaults\.temperature"):
        load_config()
    config = Config()
    with pytest.raises(ConfigError, match="unknown config key"):
        set_value(config, "defaults.nope", "1")
    with pytest.raises(ConfigError, match=r"defaults\.max_new_tokens"):
        set_value(config, "defaults.max_new_tokens", "many")


def test_key_precedence_flag_then_env_then_config() -> None:
    config = Config(api_key="from-config")
    env = {"APEX_API_KEY": "from-apex", "MACROCOSMOS_API_KEY": "from-macro"}
    assert resolve_endpoint(None, "from-flag", env, config)[1] == "from-flag"
    assert resolve_endpoint(None, None, env, config)[1] == "from-apex"
    assert resolve_endpoint(None, None, {"MACROCOSMOS_API_KEY": " from-macro "}, config)[1] == (
        "from-macro"
    )
    assert resolve_endpoint(None, None, {}, config)[1] == "from-config"
    assert resolve_endpoint(None, None, {}, Config()) == (None, None)


def test_base_url_precedence_and_https_rule() -> None:
    config = Config(base_url="config.example:8443")
    env = {"MACROCOSMOS_BASE_URL": "env.example"}
    assert resolve_endpoint("http://flag.example:1/", None, env, config)[0] == (
        "http://flag.example:1"
    )
    assert resolve_endpoint(None, None, env, config)[0] == "https://env.example"
    insecure = {**env, "MACROCOSMOS_USE_HTTPS": "false"}
    assert resolve_endpoint(None, None, insecure, config)[0] == "http://env.example"
    assert resolve_endpoint(None, None, {"MACROCOSMOS_USE_HTTPS": "yes"}, config)[0] == (
        "https://config.example:8443"
    )
    assert resolve_endpoint(None, None, {}, Config(base_url="localhost:8080"))[0] == (
        "http://localhost:8080"
    )
    assert resolve_endpoint(None, None, {"APEX_API_KEY": "k"}, Config()) == (None, "k")
