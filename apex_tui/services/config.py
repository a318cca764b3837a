"""Configuration: a TOML file in the platform's config dir, read with ``tomllib`` and written
with ``tomli-w``. A malformed file is reported with its line and never overwritten silently;
a file that holds a key is written with mode 0600."""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
)

from apex_tui.api.limits import ClientLimits
from apex_tui.services.paths import APP_DIR, config_dir, config_path, data_dir, state_dir

__all__ = [
    "APP_DIR",
    "ClientSection",
    "Config",
    "ConfigError",
    "Defaults",
    "SearchDefaults",
    "ServerSection",
    "config_dir",
    "config_path",
    "data_dir",
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


class ServerSection(_Section):
    """How the embedded local server runs (issue 2's engines)."""

    engine: str = "offline"
    upstream_url: str | None = None
    upstream_key: str | None = None
    upstream_model: str | None = None
    tokens_per_second: float = 60.0
    searxng_url: str | None = None
    """Live web search through this SearXNG instance (its JSON format enabled)."""
    fetch_private_pages: bool = False
    """Live search may read pages on loopback/private addresses (intranets, testing)."""
    grpc_port: int | None = Field(default=None, ge=1, le=65535)
    """Also serve gRPC (for the macrocosmos SDK) on this loopback port; needs the grpc extra."""
    research_step_seconds: float = 3.0
    """Pause between the offline writer's deep-research steps."""
    idle_minutes: float = 10.0
    """The per-user local server exits after this long with no window, command or job."""


class Defaults(_Section):
    """What a new question is sent with unless a flag or the UI says otherwise."""

    completion_type: str = "basic"
    chat_type: str = "apex"
    model: str | None = None
    temperature: float = 0.7
    top_p: float = 0.95
    max_new_tokens: int = 4096
    seed: int | None = None
    system_prompt: str = ""


class SearchDefaults(_Section):
    n_miners: int = 5
    n_results: int = 5
    max_response_time: int = 30


_LIMITS = ClientLimits()


class ClientSection(_Section):
    """How long the client waits and how much it reads (``api.limits`` says why these
    defaults), and how it retries reads and the final write of an answer."""

    connect_timeout: PositiveFloat = _LIMITS.connect_timeout
    call_timeout: PositiveFloat = _LIMITS.call_timeout
    stream_first_message_timeout: PositiveFloat = _LIMITS.stream_first_message_timeout
    stream_idle_timeout: PositiveFloat = _LIMITS.stream_idle_timeout
    stream_timeout: PositiveFloat = _LIMITS.stream_timeout
    max_reply_bytes: PositiveInt = _LIMITS.max_reply_bytes
    max_stream_bytes: PositiveInt = _LIMITS.max_stream_bytes
    max_retries: NonNegativeInt = 3
    retry_base_delay: NonNegativeFloat = 0.5

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
    base_url: str | None = None
    use_https: bool | None = None
    server: ServerSection = ServerSection()
    defaults: Defaults = Defaults()
    search: SearchDefaults = SearchDefaults()
    client: ClientSection = ClientSection()
    theme: str = "apex-dark"
    keymap: dict[str, str] = {}

    def holds_secret(self) -> bool:
        return bool(self.api_key or self.server.upstream_key)


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
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:3]
        )
        raise ConfigError(f"{path}: {problems}; fix or remove those keys") from None


def save_config(config: Config, path: Path | None = None) -> None:
    """Write atomically; mode 0600 when the file holds a key."""
    path = path or config_path()
    data = config.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    payload = tomli_w.dumps(data).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o600 if config.holds_secret() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=".config-", suffix=".toml", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
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


def set_value(config: Config, key: str, raw: str) -> None:
    """Set a dotted key from command-line text, validated against the field's type."""
    if key.startswith("keymap."):
        config.keymap = {**config.keymap, key.split(".", 1)[1]: raw}
        return
    target, name = _locate(config, key)
    value: Any = raw
    annotation = str(type(target).model_fields[name].annotation)
    if raw.lower() in ("none", "null", "") and "None" in annotation:
        value = None
    try:
        setattr(target, name, value)
    except ValidationError as exc:
        raise ConfigError(f"{key}: {exc.errors()[0]['msg']} (got {raw!r})") from None


def unset_value(config: Config, key: str) -> None:
    """Reset a dotted key to its default."""
    if key.startswith("keymap."):
        config.keymap = {k: v for k, v in config.keymap.items() if k != key.split(".", 1)[1]}
        return
    target, name = _locate(config, key)
    field = type(target).model_fields[name]
    setattr(target, name, field.get_default(call_default_factory=True))
