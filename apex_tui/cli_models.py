"""``apex-tui models``: the models the configured upstream offers, or the model servers found
running on 127.0.0.1. Model names are the upstream's text: printed inert (``one_line``), and
escaped in JSON."""

from __future__ import annotations

import argparse
import asyncio

from apex_tui.cli_runtime import config_of, emit_json, note, one_line

__all__ = ["run_models"]


def run_models(args: argparse.Namespace) -> int:
    """The upstream's models (one a line), or the local model servers found on 127.0.0.1."""
    from apex_tui.services.upstream_models import ModelListError, discover_local, list_models

    config = config_of(args)
    url = args.url or config.server.upstream_url
    key = config.server.upstream_key if not args.url else None
    if url:
        try:
            models = asyncio.run(list_models(url, key))
        except ModelListError as exc:
            note(f"apex-tui: {exc}")
            return 1
        if args.json:
            emit_json({"url": url, "models": models})
        else:
            if not models:
                note(f"{url} lists no models")
            for name in models:
                print(one_line(name))
        return 0
    found = asyncio.run(discover_local())
    if args.json:
        emit_json([{"name": f.name, "url": f.url, "models": list(f.models)} for f in found])
        return 0
    if not found:
        note(
            "no model server is configured ([server] upstream_url) and none answers on "
            "127.0.0.1 (Ollama 11434, llama.cpp 8080, LM Studio 1234, vLLM 8000)"
        )
        return 1
    for server in found:
        print(f"{server.name} at {one_line(server.url)}:")
        for name in server.models:
            print(f"  {one_line(name)}")
    first = found[0]
    note(
        f"use one: apex-tui config set server.engine openai && apex-tui config set "
        f"server.upstream_url {first.url} && apex-tui config set server.upstream_model "
        f"{first.models[0] if first.models else 'NAME'}"
    )
    return 0
