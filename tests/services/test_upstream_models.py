"""Listing a model server's models and finding local ones (real HTTP on loopback)."""

from __future__ import annotations

import socket

import pytest
from fakes.model_server import ModelServer, ollama_tags_app
from fakes.serve import serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from apex_tui.services.upstream_models import (
    FoundServer,
    ModelListError,
    api_base,
    discover_local,
    list_models,
)


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_base_urls_are_read_in_every_spelling() -> None:
    for url in (
        "127.0.0.1:8080",
        "http://127.0.0.1:8080/v1",
        "http://127.0.0.1:8080/v1/chat/completions/",
    ):
        assert api_base(url) == "http://127.0.0.1:8080"


async def test_openai_and_ollama_listings() -> None:
    fake = ModelServer(models=["tiny", "reasoner", "tiny"])
    with serving(fake.app()) as url, serving(ollama_tags_app(["llama3.1:8b", "qwen3"])) as ollama:
        assert await list_models(url + "/v1", "up-key") == ["tiny", "reasoner"]
        assert await list_models(ollama) == ["llama3.1:8b", "qwen3"]


async def test_failures_say_what_to_check() -> None:
    with pytest.raises(ModelListError, match="is the model server running"):
        await list_models(f"http://127.0.0.1:{free_port()}")

    async def refuse(request: Request) -> PlainTextResponse:
        return PlainTextResponse("who?", status_code=401)

    guarded = Starlette(routes=[Route("/v1/models", refuse)])
    with serving(guarded) as url, pytest.raises(ModelListError, match="refused the key"):
        await list_models(url, "bad")
    with serving(Starlette()) as url, pytest.raises(ModelListError, match="lists no models"):
        await list_models(url)


async def test_discovery_finds_an_ollama_shaped_server_on_loopback() -> None:
    with serving(ollama_tags_app(["llama3.2"])) as ollama:
        servers = (("Ollama", port_of(ollama)), ("vLLM", free_port()))
        found = await discover_local(servers, timeout=2.0)
    assert found == [FoundServer("Ollama", f"{ollama}/v1", ("llama3.2",))]
