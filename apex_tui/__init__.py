"""apex-tui: a terminal client (and a compatible local server) for Macrocosmos Apex."""

__version__ = "0.1.0"
