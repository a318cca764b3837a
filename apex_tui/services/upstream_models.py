"""Your models: what an OpenAI-compatible server lists, and which local model servers run here.

:func:`list_models` asks the configured upstream (``[server] upstream_url``/``upstream_key``)
for ``/v1/models``, or Ollama's ``/api/tags`` when that is all it offers; replies are parsed
through pydantic models, timeouts are short and every failure is a :class:`ModelListError`
that says what to check. :func:`discover_local` looks for Ollama (11434), llama.cpp's server
(8080), LM Studio (1234) and vLLM (8000) on 127.0.0.1 only, with listing requests and nothing
else: no prompt goes to a server the user has not chosen.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "KNOWN_LOCAL_SERVERS",
    "FoundServer",
    "ModelListError",
    "api_base",
    "discover_local",
    "list_models",
]

LIST_TIMEOUT = 5.0
PROBE_TIMEOUT = 0.5
MAX_MODELS = 500

KNOWN_LOCAL_SERVERS: tuple[tuple[str, int], ...] = (
    ("Ollama", 11434),
    ("llama.cpp server", 8080),
    ("LM Studio", 1234),
    ("vLLM", 8000),
)


DISCOVERY_ENV = "APEX_TUI_DISCOVERY"
"""``off`` turns the look for local model servers off (a test suite, a shared machine whose
loopback ports belong to others)."""


class ModelListError(Exception):
    """The models could not be listed; the message says why and what to check."""


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _OpenAIModel(_Lenient):
    id: str


class _OpenAIModels(_Lenient):
    data: list[_OpenAIModel]


class _OllamaTag(_Lenient):
    name: str


class _OllamaTags(_Lenient):
    models: list[_OllamaTag]


def api_base(url: str) -> str:
    """``http://host:port`` of an upstream given as host, ``…/v1`` or ``…/v1/chat/completions``."""
    base = url.strip().rstrip("/")
    if "://" not in base:
        base = "http://" + base
    for tail in ("/chat/completions", "/v1"):
        if base.endswith(tail):
            base = base[: -len(tail)]
    return base


def _names(reply: httpx.Response, shape: type[_OpenAIModels] | type[_OllamaTags]) -> list[str]:
    parsed = shape.model_validate_json(reply.content)
    if isinstance(parsed, _OpenAIModels):
        names = [m.id for m in parsed.data]
    else:
        names = [m.name for m in parsed.models]
    return list(dict.fromkeys(n.strip() for n in names if n.strip()))[:MAX_MODELS]


async def _ask(
    client: httpx.AsyncClient, base: str, key: str | None
) -> tuple[list[str], str] | None:
    """(models, kind) from the first listing the server answers; None when it has neither."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    reply = await client.get(f"{base}/v1/models", headers=headers)
    if reply.status_code in (401, 403):
        raise ModelListError(
            f"{base} refused the key (HTTP {reply.status_code}): check server.upstream_key"
        )
    if reply.status_code == 200:
        try:
            return _names(reply, _OpenAIModels), "openai"
        except ValidationError:
            pass
    tags = await client.get(f"{base}/api/tags")
    if tags.status_code == 200:
        try:
            return _names(tags, _OllamaTags), "ollama"
        except ValidationError:
            return None
    return None


async def list_models(
    url: str, key: str | None = None, *, timeout: float = LIST_TIMEOUT
) -> list[str]:
    """The model names the upstream at ``url`` lists (its order kept)."""
    base = api_base(url)
    try:
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            found = await _ask(client, base, key)
    except httpx.TimeoutException:
        raise ModelListError(
            f"{base} did not answer within {timeout:g} s; is it running?"
        ) from None
    except httpx.HTTPError as exc:
        raise ModelListError(
            f"cannot reach {base} ({type(exc).__name__}); is the model server running?"
        ) from None
    if found is None:
        raise ModelListError(
            f"{base} lists no models at /v1/models or /api/tags; is it an OpenAI-compatible "
            "server (Ollama, llama.cpp, LM Studio, vLLM)?"
        )
    return found[0]


@dataclass(frozen=True)
class FoundServer:
    """A model server answering on loopback."""

    name: str
    url: str
    """Its OpenAI-compatible base, ``http://127.0.0.1:PORT/v1``."""
    models: tuple[str, ...]


async def discover_local(
    servers: tuple[tuple[str, int], ...] | None = None,
    *,
    timeout: float = PROBE_TIMEOUT,
    host: str = "127.0.0.1",
) -> list[FoundServer]:
    """The known model servers that answer a model listing on ``host`` (loopback), in the order
    of ``servers`` (default :data:`KNOWN_LOCAL_SERVERS`, read at call time so tests can point
    it at their own ports); silent about the ports where nothing answers."""
    if servers is None:
        if os.environ.get(DISCOVERY_ENV, "").strip().lower() in ("off", "0", "no", "false"):
            return []
        servers = KNOWN_LOCAL_SERVERS

    async def probe(client: httpx.AsyncClient, name: str, port: int) -> FoundServer | None:
        base = f"http://{host}:{port}"
        try:
            found = await _ask(client, base, None)
        except (httpx.HTTPError, ModelListError):
            return None
        if found is None:
            return None
        return FoundServer(name, f"{base}/v1", tuple(found[0]))

    # Plain http:// on loopback only, no redirects: no TLS context, so no CA bundle to load
    # (~30 ms of a first run's start, spent while the first frame was being built).
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, verify=False) as client:
        found = await asyncio.gather(*(probe(client, n, p) for n, p in servers))
    return [f for f in found if f is not None]
