"""Rendering for the conversation view: Markdown blocks, line caches, layout, colours."""
