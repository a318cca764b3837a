"""The local Apex-compatible server; shares only the wire models and protocol helpers."""
