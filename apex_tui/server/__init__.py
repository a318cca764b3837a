"""The local Apex-compatible server; shares only the wire models and protocol helpers.

Start it in-process with :class:`~apex_tui.server.embedded.EmbeddedServer` or from the command
line with ``apex-tui serve`` (:func:`apex_tui.server.cli.serve_main`).
"""
