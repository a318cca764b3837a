"""The local server with the openai engine in front of the scripted model server and the
SearXNG-compatible search server: what a person running apex-tui on their own model has."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apex_tui.server.embedded import EmbeddedServer, ServerOptions
from fakes.model_server import ModelServer
from fakes.searxng import SearchLog, make_searxng
from fakes.serve import serving


@dataclass
class ModelStack:
    server: EmbeddedServer
    model: ModelServer
    model_url: str
    search: SearchLog
    searxng_url: str


@contextmanager
def model_stack(tmp_path: Path, *, model: str = "tiny", **options: Any) -> Iterator[ModelStack]:
    fake, log = ModelServer(), SearchLog()
    with ExitStack() as stack:
        model_url = stack.enter_context(serving(fake.app()))
        searx_url = stack.enter_context(serving(make_searxng(log)))
        values: dict[str, Any] = {
            "db_path": tmp_path / "model-apex.db",
            "tokens_per_second": 0,
            "research_step_seconds": 0.02,
            "engine": "openai",
            "upstream_url": model_url + "/v1",
            "upstream_key": "up-key",
            "upstream_model": model,
            "searxng_url": searx_url,
            "fetch_private_pages": True,
            "upstream_retry_seconds": 0.01,
        }
        values.update(options)
        server = stack.enter_context(EmbeddedServer(ServerOptions(**values)))
        yield ModelStack(server, fake, model_url, log, searx_url)
