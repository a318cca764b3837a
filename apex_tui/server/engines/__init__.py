"""Completion engines: ``offline`` (deterministic local writer) and ``openai`` (upstream bridge)."""
