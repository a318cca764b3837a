"""The optional gRPC front end of the local server: ``apex.v1.ApexService`` over HTTP/2 and
protobuf, for the macrocosmos SDK and any other gRPC client (issue 16).

It runs beside the Connect app in the same process and event loop and calls the same handlers
(``server.handlers``), so both front ends share storage, keys and research jobs. grpcio and
protobuf come from the ``grpc`` extra; nothing here imports them until a front end is built,
so a server without ``--grpc-port`` (and the app's start-up) never loads them.

* ``proto/apex/v1/apex.proto`` — the service, written from shared/apex-api.md;
* ``generated/`` — what ``python -m apex_tui.server.grpc.regenerate`` makes of it;
* ``convert`` — protobuf messages to and from the wire models (the one place);
* ``service`` — the servicer: auth, deadlines, errors as gRPC status codes;
* ``front_end`` — the ``grpc.aio`` server: bind, start, graceful stop.
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'apex-tui[grpc]'"


class GrpcUnavailable(RuntimeError):
    """gRPC was asked for but grpcio/protobuf are missing or unusable; says what to install."""


def require_grpc() -> None:
    """Import the gRPC stack once, turning a missing or too old one into :class:`GrpcUnavailable`
    with the command that fixes it."""
    try:
        import grpc  # noqa: F401
        from google.protobuf import json_format  # noqa: F401
    except ImportError as exc:
        raise GrpcUnavailable(
            f"gRPC needs the optional packages grpcio and protobuf ({exc.name or exc} is "
            f"missing): {INSTALL_HINT}"
        ) from None
    try:
        from apex_tui.server.grpc.generated import apex_pb2, apex_pb2_grpc  # noqa: F401
    except Exception as exc:  # protobuf's VersionError, grpcio's "too old" RuntimeError
        raise GrpcUnavailable(
            f"the installed grpcio/protobuf cannot load the generated gRPC code ({exc}): "
            f"{INSTALL_HINT}"
        ) from None
