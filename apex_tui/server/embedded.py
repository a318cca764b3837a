"""Run the real server (uvicorn + the ASGI app) in-process: the app's embedded default and the
test fixtures use :class:`EmbeddedServer`; ``apex-tui serve`` uses :func:`run_forever`."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING

import uvicorn

from apex_tui.server.app import build_app
from apex_tui.server.options import ServerOptions, default_db_path
from apex_tui.server.state import ServerState

if TYPE_CHECKING:
    from apex_tui.server.grpc.front_end import GrpcFrontEnd

__all__ = [
    "ApexUvicornServer",
    "EmbeddedServer",
    "ServerOptions",
    "bind_socket",
    "bind_unix_socket",
    "default_db_path",
]


GRPC_GRACE_SECONDS = 10.0
"""How long running gRPC calls get at shutdown (as uvicorn's ``timeout_graceful_shutdown``)."""


class ApexUvicornServer(uvicorn.Server):
    """uvicorn's server, but shutdown first tells open streams to end with an end envelope.

    With ``options.grpc_port`` set it also carries the gRPC front end on the same loop:
    :meth:`bind_grpc` (on that loop, before ``serve``) binds it, startup starts it, shutdown
    stops it before the app closes storage."""

    def __init__(self, config: uvicorn.Config, state: ServerState) -> None:
        super().__init__(config)
        self.state = state
        self.grpc: GrpcFrontEnd | None = None
        state.lifetime.bind_exit(self._exit_soon)

    def bind_grpc(self) -> str | None:
        """Bind the gRPC port if the options ask for one; returns its ``host:port``. Raises
        ``GrpcUnavailable`` (what to install) or ``OSError`` (the port is busy)."""
        port = self.state.options.grpc_port
        if port is None:
            return None
        from apex_tui.server.grpc import require_grpc

        require_grpc()
        from apex_tui.server.grpc.front_end import GrpcFrontEnd

        self.grpc = GrpcFrontEnd(self.state, self.state.options.host, port)
        return self.grpc.address

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if self.grpc is not None:
            await self.grpc.start()
        await super().startup(sockets)

    def _exit_soon(self) -> None:
        """Idle, retired or asked to stop (``lifetime``): the graceful shutdown of Ctrl-C."""
        self.should_exit = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.state.begin_shutdown()
        if self.grpc is not None:
            await self.grpc.stop(GRPC_GRACE_SECONDS)
        await super().shutdown(sockets)


def make_server(options: ServerOptions) -> tuple[ApexUvicornServer, ServerState]:
    state = ServerState(options)
    config = uvicorn.Config(
        build_app(state),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        timeout_keep_alive=30,
    )
    return ApexUvicornServer(config, state), state


def bind_unix_socket(path: str) -> socket.socket:
    """A listening Unix socket at ``path``, mode 0600 (only this user may connect; its folder
    should be 0700 too). A socket file nobody listens on (a server that was killed) is
    replaced; a live one is left alone and reported."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except FileNotFoundError:
        pass
    except ConnectionRefusedError:
        os.unlink(path)  # stale: its server is gone
    else:
        raise OSError(f"another server already listens on {path}; stop it or pick another --uds")
    finally:
        probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        os.chmod(path, 0o600)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {path} ({exc.strerror})") from exc
    sock.setblocking(False)
    return sock


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port or stop the "
            "program using it"
        ) from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


class EmbeddedServer:
    """Runs the real uvicorn server in a background thread with its own event loop."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self._server: ApexUvicornServer | None = None
        self._state: ServerState | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._base_url = ""
        self.grpc_address: str | None = None
        """``host:port`` of the gRPC front end while running with ``options.grpc_port``."""

    @property
    def base_url(self) -> str:
        if not self._base_url:
            raise RuntimeError("the server is not running; call start() first")
        return self._base_url

    def start(self) -> str:
        """Start listening; blocks until ready and returns ``http://HOST:PORT``."""
        if self._thread is not None:
            return self.base_url
        sock = bind_socket(self.options.host, self.options.port)
        host, port = sock.getsockname()[:2]
        try:
            server, state = make_server(self.options)
        except BaseException:
            sock.close()
            raise
        self._server, self._state = server, state

        async def serve() -> None:
            self.grpc_address = server.bind_grpc()
            await server.serve(sockets=[sock])

        def run() -> None:
            try:
                asyncio.run(serve())
            except BaseException as exc:  # reported to start()/stop()
                self._error = exc
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="apex-embedded-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self._thread = None
                raise RuntimeError(f"the local Apex server did not start: {self._error!r}")
            time.sleep(0.01)
        shown = f"[{host}]" if ":" in host else host
        self._base_url = f"http://{shown}:{port}"
        state.address = self._base_url
        return self._base_url

    def stop(self) -> None:
        """Graceful stop: open streams end with ``unavailable``, research state is kept."""
        if self._thread is None or self._server is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=30)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout=5)
        self._thread = None
        self._base_url = ""
        self.grpc_address = None

    def inject_fault(self, spec: str, *, method: str | None = None, times: int = 1) -> None:
        """Queue a fault (header syntax) for the next ``times`` calls of ``method`` (None = any)."""
        if not self.options.faults_enabled:
            raise RuntimeError("fault injection is off; start the server with faults_enabled=True")
        if self._state is None:
            raise RuntimeError("the server is not running; call start() first")
        self._state.faults.push(spec, method, times)

    def clear_faults(self) -> None:
        if self._state is not None:
            self._state.faults.clear()

    @property
    def state(self) -> ServerState:
        """The running server's state (storage etc.), for tests and benchmarks."""
        if self._state is None:
            raise RuntimeError("the server is not running; call start() first")
        return self._state

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
