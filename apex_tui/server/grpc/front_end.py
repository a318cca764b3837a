"""The ``grpc.aio`` server that carries :class:`~apex_tui.server.grpc.service.ApexServicer`.

Built and bound on the event loop that will serve it (the Connect server's), started and
stopped with it (``embedded.ApexUvicornServer``). Bounds as on the Connect side: the request
size limit is ``max_body_bytes`` (after gzip is undone: grpc checks the decompressed size),
and the port is never shared with another process (``SO_REUSEPORT`` off, so a second server on
the same port fails to start instead of silently splitting the calls).
"""

from __future__ import annotations

import grpc

from apex_tui.server.grpc.generated import apex_pb2_grpc
from apex_tui.server.grpc.service import ApexServicer
from apex_tui.server.state import ServerState

MAX_CONCURRENT_RPCS = 256
"""Calls beyond this many at once are refused with ``RESOURCE_EXHAUSTED`` by grpc itself."""


def grpc_target(host: str, port: int) -> str:
    """``host:port`` as gRPC (and the SDK's ``MACROCOSMOS_BASE_URL``) spell it."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class GrpcFrontEnd:
    """Binds at construction (so a busy port is reported before anything starts)."""

    def __init__(self, state: ServerState, host: str, port: int) -> None:
        limit = state.options.max_body_bytes
        self._server = grpc.aio.server(
            options=[
                ("grpc.so_reuseport", 0),
                ("grpc.max_receive_message_length", limit),
            ],
            maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS,
        )
        apex_pb2_grpc.add_ApexServiceServicer_to_server(ApexServicer(state), self._server)
        target = grpc_target(host, port)
        try:
            bound = self._server.add_insecure_port(target)
        except RuntimeError as exc:
            bound, reason = 0, str(exc)
        else:
            reason = "the address is in use or not available"
        if not bound:
            raise OSError(
                f"cannot listen for gRPC on {target} ({reason}); pick another --grpc-port "
                "(server.grpc_port in the config) or stop the program using it"
            )
        self.port: int = bound
        self.address = grpc_target(host, bound)

    async def start(self) -> None:
        await self._server.start()

    async def stop(self, grace: float) -> None:
        """Refuse new calls at once; give running ones ``grace`` seconds, then cancel them."""
        await self._server.stop(grace)
