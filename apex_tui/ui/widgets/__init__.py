"""Widgets of the apex-tui app, one a module (import them from their modules)."""
