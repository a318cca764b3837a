"""Configuration: a TOML file in the platform's config dir, read with ``tomllib`` and written
with ``tomli-w``. A malformed file is reported with its line and never overwritten silently;
a file that holds a key is written with mode 0600.

The models are the one set of rules for a setting, wherever it comes from: the file,
``config set``, a command-line flag (:func:`check_setting` is argparse's ``type``) and the
settings screens (:func:`describe_errors`). Each constrained field says its rule in words in
its ``description``, so every refusal reads "<setting> must be <rule> (got <value>)"."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from apex_tui.api.limits import ClientLimits
from apex_tui.services.atomic_file import write_atomically
from apex_tui.services.keymap import keymap_problem
from apex_tui.services.paths import APP_DIR, config_dir, config_path, data_dir, state_dir
from apex_tui.services.theme_names import known_theme_names

__all__ = [
    "APP_DIR",
    "COMPLETION_TYPE_NAMES",
    "ClientSection",
    "Config",
    "ConfigError",
    "Defaults",
    "SearchDefaults",
    "ServerSection",
    "check_setting",
    "config_dir",
    "config_path",
    "data_dir",
    "describe_errors",
    "get_value",
    "load_config",
    "save_config",
    "set_value",
    "state_dir",
    "unset_value",
]

SECRET_KEYS = frozenset({"api_key", "server.upstream_key"})


class ConfigError(Exception):
    """The configuration cannot be used; the message says where and what to do."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


CompletionTypeName = Literal["basic", "web-search", "chain-of-thought", "reasoning", "combined"]
COMPLETION_TYPE_NAMES: tuple[str, ...] = get_args(CompletionTypeName)
"""The keys of ``services.completion_types.COMPLETION_TYPES`` (a test keeps them equal)."""


def _one_of(values: tuple[str, ...]) -> str:
    return "one of " + ", ".join(values)


_HTTP_URL_RULE = "an http:// or https:// URL, or empty"


def _http_url_or_none(value: str | None) -> str | None:
    """A URL a server is asked at: http(s) with a host; empty is none."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    scheme, found, rest = text.partition("://")
    if not found or scheme.lower() not in ("http", "https"):
        raise ValueError("the scheme must be http or https")
    if any(c.isspace() for c in text) or not rest.strip("/"):
        raise ValueError("not a URL")
    return text


class ServerSection(_Section):
    """How the embedded local server runs (issue 2's engines)."""

    engine: Literal["offline", "openai"] = Field(
        "offline", description=_one_of(("offline", "openai"))
    )
    upstream_url: str | None = Field(None, description=_HTTP_URL_RULE)
    upstream_key: str | None = None
    upstream_model: str | None = None
    tokens_per_second: float = Field(
        60.0, ge=0, description="a number, 0 (as fast as possible) or more"
    )
    searxng_url: str | None = Field(None, description=_HTTP_URL_RULE)
    """Live web search through this SearXNG instance (its JSON format enabled)."""
    fetch_private_pages: bool = Field(False, description="true or false")
    """Live search may read pages on loopback/private addresses (intranets, testing)."""
    grpc_port: int | None = Field(
        None, ge=1, le=65535, description="a port number from 1 to 65535, or empty for none"
    )
    """Also serve gRPC (for the macrocosmos SDK) on this loopback port; needs the grpc extra."""
    research_step_seconds: float = Field(3.0, ge=0, description="a number of seconds, 0 or more")
    """Pause between the offline writer's deep-research steps."""
    idle_minutes: float = Field(
        10.0, ge=0, description="a number of minutes, 0 (exit as soon as unused) or more"
    )
    """The per-user local server exits after this long with no window, command or job."""

    @field_validator("upstream_url", "searxng_url")
    @classmethod
    def _server_http_url(cls, value: str | None) -> str | None:
        return _http_url_or_none(value)


class Defaults(_Section):
    """What a new question is sent with unless a flag or the UI says otherwise."""

    completion_type: CompletionTypeName = Field("basic", description=_one_of(COMPLETION_TYPE_NAMES))
    chat_type: Literal["apex", "gravity"] = Field("apex", description=_one_of(("apex", "gravity")))
    model: str | None = None
    temperature: float = Field(0.7, ge=0, le=2, description="a number from 0 to 2")
    top_p: float = Field(0.95, gt=0, le=1, description="a number above 0 and at most 1")
    max_new_tokens: int = Field(4096, ge=1, description="a whole number, at least 1")
    seed: int | None = Field(None, description="a whole number, or empty for a random seed")
    system_prompt: str = ""


class SearchDefaults(_Section):
    n_miners: int = Field(5, ge=1, description="a whole number, at least 1")
    n_results: int = Field(5, ge=1, description="a whole number, at least 1")
    max_response_time: int = Field(30, ge=1, description="a whole number of seconds, at least 1")


_LIMITS = ClientLimits()
_SECONDS_RULE = "a number of seconds above 0"
_BYTES_RULE = "a whole number of bytes, at least 1"


class ClientSection(_Section):
    """How long the client waits and how much it reads (``api.limits`` says why these
    defaults), and how it retries reads and the final write of an answer."""

    connect_timeout: float = Field(_LIMITS.connect_timeout, gt=0, description=_SECONDS_RULE)
    call_timeout: float = Field(_LIMITS.call_timeout, gt=0, description=_SECONDS_RULE)
    stream_first_message_timeout: float = Field(
        _LIMITS.stream_first_message_timeout, gt=0, description=_SECONDS_RULE
    )
    stream_idle_timeout: float = Field(_LIMITS.stream_idle_timeout, gt=0, description=_SECONDS_RULE)
    stream_timeout: float = Field(_LIMITS.stream_timeout, gt=0, description=_SECONDS_RULE)
    max_reply_bytes: int = Field(_LIMITS.max_reply_bytes, ge=1, description=_BYTES_RULE)
    max_stream_bytes: int = Field(_LIMITS.max_stream_bytes, ge=1, description=_BYTES_RULE)
    max_retries: int = Field(3, ge=0, description="a whole number, 0 or more")
    retry_base_delay: float = Field(0.5, ge=0, description="a number of seconds, 0 or more")

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``ApexClient``."""
        limits = ClientLimits(**{name: getattr(self, name) for name in ClientLimits.names()})
        return {
            "limits": limits,
            "max_retries": self.max_retries,
            "retry_base_delay": self.retry_base_delay,
        }


class Config(_Section):
    api_key: str | None = None
    base_url: str | None = Field(None, description="a host, host:port or http(s):// URL, or empty")
    use_https: bool | None = None
    server: ServerSection = ServerSection()
    defaults: Defaults = Defaults()
    search: SearchDefaults = SearchDefaults()
    client: ClientSection = ClientSection()
    theme: str = "apex-dark"
    keymap: dict[str, str] = {}

    @field_validator("base_url")
    @classmethod
    def _host_or_http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        text = value.strip()
        scheme, found, rest = text.partition("://")
        if found and scheme.lower() not in ("http", "https"):
            raise ValueError("the scheme must be http or https")
        if any(c.isspace() for c in text) or not (rest if found else text).strip("/"):
            raise ValueError("not a host or URL")
        return text

    def holds_secret(self) -> bool:
        return bool(self.api_key or self.server.upstream_key)


def _field_rule(model: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """The rule in words of the field at ``loc`` (its ``description``), if it states one."""
    target: Any = model
    info = None
    for part in loc:
        fields = getattr(target, "model_fields", None)
        if not isinstance(part, str) or fields is None or part not in fields:
            return None
        info = fields[part]
        target = info.annotation
    return info.description if info is not None else None


def describe_errors(
    model: type[BaseModel], exc: ValidationError, labels: Mapping[str, str] | None = None
) -> list[str]:
    """One readable line per problem: "<label>: must be <rule> (got <value>)". ``labels`` name
    dotted keys as a screen shows them; the dotted key itself is the default."""
    problems = []
    for error in exc.errors():
        dotted = ".".join(str(p) for p in error["loc"])
        label = (labels or {}).get(dotted, dotted)
        rule = _field_rule(model, error["loc"])
        if rule is None or error["type"] in ("extra_forbidden", "missing"):
            problems.append(f"{label}: {error['msg']}")
        else:
            problems.append(f"{label}: must be {rule} (got {error['input']!r})")
    return problems


def _describe_toml_error(exc: tomllib.TOMLDecodeError, text: str) -> str:
    """The parser's message, always naming a line (it says "end of document" for some)."""
    message = str(exc)
    if "line " in message:
        return message
    line = max(1, len(text.rstrip("\n").splitlines()))
    return f"{message.replace(' (at end of document)', '')} at line {line} (end of file)"


def load_config(path: Path | None = None) -> Config:
    """Read the config; a missing file means defaults. Raises :class:`ConfigError`."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {exc.object[exc.start]:#04x} on line {line}); "
            "save it as UTF-8, or remove the file"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid TOML: {_describe_toml_error(exc, text)}; fix that line or "
            "remove the file"
        ) from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(describe_errors(Config, exc)[:3])
        raise ConfigError(f"{path}: {problems}; fix or remove those keys") from None


def save_config(config: Config, path: Path | None = None) -> None:
    """Write atomically; mode 0600 when the file holds a key."""
    path = path or config_path()
    data = config.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    payload = tomli_w.dumps(data).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o600 if config.holds_secret() else 0o644
    write_atomically(path, payload, mode=mode)
    if hasattr(os, "chmod"):
        os.chmod(path, mode)


# --- dotted keys for `apex-tui config set/unset` -------------------------------------------


def _locate(config: Config, key: str) -> tuple[BaseModel, str]:
    """``defaults.temperature`` → (config.defaults, "temperature"); ConfigError if unknown."""
    parts = key.strip().split(".")
    target: BaseModel = config
    for part in parts[:-1]:
        value = getattr(target, part, None) if part in type(target).model_fields else None
        if not isinstance(value, BaseModel):
            raise ConfigError(f"unknown config key {key!r}; see `apex-tui config show`")
        target = value
    name = parts[-1]
    if name == "keymap" and target is config:
        raise ConfigError("set keymap entries as keymap.<action>, e.g. keymap.quit")
    if name not in type(target).model_fields or isinstance(getattr(target, name), BaseModel):
        raise ConfigError(f"unknown config key {key!r}; see `apex-tui config show`")
    return target, name


def get_value(config: Config, key: str) -> Any:
    if key.startswith("keymap."):
        return config.keymap.get(key.split(".", 1)[1])
    target, name = _locate(config, key)
    return getattr(target, name)


def set_value(config: Config, key: str, raw: str, *, config_file: Path | None = None) -> None:
    """Set a dotted key from command-line text, validated by the field's rule. A theme must be
    installed: Textual's, the shipped ones, or a file in the themes folder beside
    ``config_file`` (the default config file when None)."""
    if key.startswith("keymap."):
        binding_id = key.split(".", 1)[1]
        problem = keymap_problem(binding_id, raw)
        if problem:
            raise ConfigError(problem)
        config.keymap = {**config.keymap, binding_id: raw.strip()}
        return
    target, name = _locate(config, key)
    value: Any = raw
    annotation = str(type(target).model_fields[name].annotation)
    if raw.strip().lower() in ("none", "null", "") and "None" in annotation:
        value = None
    if target is config and name == "theme":
        installed = known_theme_names(config_file or config_path())
        if raw not in installed:
            raise ConfigError(
                f"theme {raw!r} is not installed; choose one of {', '.join(sorted(installed))}"
            )
    try:
        setattr(target, name, value)
    except ValidationError as exc:
        problem = describe_errors(type(target), exc)[0]
        raise ConfigError(problem.replace(f"{name}: ", f"{key}: ", 1)) from None


def check_setting(key: str, raw: str) -> Any:
    """``raw`` as the value of the dotted setting ``key``, by the same rule as the config file
    (``--temperature 9`` is refused like ``config set defaults.temperature 9``); raises
    :class:`ConfigError` saying the rule."""
    scratch = Config()
    set_value(scratch, key, raw)
    return get_value(scratch, key)


def unset_value(config: Config, key: str) -> None:
    """Reset a dotted key to its default."""
    if key.startswith("keymap."):
        config.keymap = {k: v for k, v in config.keymap.items() if k != key.split(".", 1)[1]}
        return
    target, name = _locate(config, key)
    field = type(target).model_fields[name]
    setattr(target, name, field.get_default(call_default_factory=True))
