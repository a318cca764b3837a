"""What one running server shares between requests: :class:`ServerState` (options, the
database lock, storage, engine, research runner, handlers, lifetime, fault queue, shutdown
signal) and how the caller of a request is authenticated. The app (``app``) and the streaming
path (``streaming``) both take it from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib

from apex_tui.api.protocol import ConnectError
from apex_tui.server.asgi import Scope, bearer_key, header, key_allowed
from apex_tui.server.db_lock import DatabaseLock
from apex_tui.server.engines.base import CompletionEngine
from apex_tui.server.engines.offline import OfflineEngine
from apex_tui.server.faults import FAULT_HEADER, Fault, FaultQueue, parse_fault
from apex_tui.server.handlers import ApexHandlers, Caller
from apex_tui.server.lifetime import Lifetime
from apex_tui.server.options import ServerOptions
from apex_tui.server.research import ResearchRunner
from apex_tui.server.research_agent import ResearchAgent
from apex_tui.server.storage import Storage
from apex_tui.server.websearch import WebSearcher

__all__ = ["ServerState", "make_engine"]


def caller_for(key: str) -> Caller:
    """Data is partitioned by the SHA-256 of the API key: the caller a key makes."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return Caller(owner=digest, user_id=f"user-{digest[:16]}")


def make_engine(options: ServerOptions, searcher: WebSearcher) -> CompletionEngine:
    """The engine the options name: an OpenAI-compatible upstream, else the offline one."""
    if options.engine == "openai":
        from apex_tui.server.engines.openai import OpenAIEngine

        return OpenAIEngine(
            searcher,
            url=options.upstream_url or "",
            key=options.upstream_key,
            model=options.upstream_model,
            timeout=options.upstream_timeout,
        )
    return OfflineEngine(searcher, options.tokens_per_second)


def research_agent(options: ServerOptions, engine: CompletionEngine) -> ResearchAgent | None:
    """The model-driven research of the openai engine; None for the offline writer's."""
    if options.engine != "openai":
        return None  # (and httpx stays unimported)
    from apex_tui.server.engines.openai import OpenAIEngine

    if not isinstance(engine, OpenAIEngine):
        return None
    return ResearchAgent(
        engine.upstream,
        engine.searcher,
        max_steps=options.research_max_steps,
        retries=options.upstream_retries,
        retry_seconds=options.upstream_retry_seconds,
    )


class ServerState:
    """Everything one running server shares between requests."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.db_lock = DatabaseLock(str(options.db_path))
        self.db_lock.acquire(options.db_wait)  # DatabaseBusyError: another server has it
        try:
            self.storage = Storage(options.db_path)
        except BaseException:
            self.db_lock.release()
            raise
        self.searcher = WebSearcher(options.searxng_url, fetch_private=options.fetch_private_pages)
        self.engine = make_engine(options, self.searcher)
        self.research = ResearchRunner(
            self.storage, options.research_step_seconds, research_agent(options, self.engine)
        )
        self.handlers = ApexHandlers(self.storage, self.engine, self.searcher, self.research)
        self.lifetime = Lifetime(options, self.research)
        self.faults = FaultQueue()
        self.shutting_down = asyncio.Event()
        self.active_streams = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.address = ""
        """Where it listens (``unix:/path`` or ``http://host:port``), set by whoever binds."""

    def close(self) -> None:
        """After the last request: stop the search threads, close the database, then let
        another server have it."""
        self.searcher.close()
        self.storage.close()
        self.db_lock.release()

    def begin_shutdown(self) -> None:
        """Ask open streams to end with ``unavailable`` (called on the server's loop)."""
        self.shutting_down.set()

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake at once when the server starts shutting down."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.shutting_down.wait(), seconds)

    def authenticate(self, scope: Scope) -> Caller:
        key = bearer_key(scope)
        if key is None:
            raise ConnectError(
                "unauthenticated",
                "missing API key: send the header 'Authorization: Bearer <your key>'",
            )
        if not key_allowed(key, self.options.api_keys):
            raise ConnectError(
                "unauthenticated", "invalid API key: this server does not accept the key sent"
            )
        return caller_for(key)

    def take_fault(self, scope: Scope, method: str) -> Fault | None:
        if not self.options.faults_enabled:
            return None
        spec = header(scope, FAULT_HEADER)
        if spec:
            try:
                return parse_fault(spec)
            except ValueError as exc:
                raise ConnectError("invalid_argument", f"bad X-Apex-Fault header: {exc}") from None
        return self.faults.take(method)
