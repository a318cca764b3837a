"""What a failed call means, in words: a non-200 reply as its Connect error (or the status
table when the body holds none), and a request that got no reply at all (refused, reset,
timed out) with its real cause, never an empty one."""

from __future__ import annotations

import email.utils
import json
import time

from apex_tui.api.errors import ApexError
from apex_tui.api.protocol import ConnectError, code_from_http_status
from apex_tui.import_guards import skip_httpx_cli

skip_httpx_cli()
import httpx  # noqa: E402

__all__ = ["error_from_reply", "transport_cause", "transport_error"]


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_from_reply(status: int, body: bytes, headers: httpx.Headers) -> ApexError:
    """A non-200 reply: the Connect error object if the body holds one, else the status table."""
    retry_after = _parse_retry_after(headers.get("retry-after"))
    connect: ConnectError | None = None
    try:
        connect = ConnectError.from_json(json.loads(body)) if body else None
    except (ValueError, UnicodeDecodeError):
        connect = None
    if connect is not None:
        message = connect.message or f"the server answered {connect.code} (HTTP {status})"
        return ApexError(connect.code, message, http_status=status, retry_after=retry_after)
    code = code_from_http_status(status)
    snippet = body[:120].decode("utf-8", "replace").strip().replace("\n", " ")
    message = f"the server answered HTTP {status}" + (f": {snippet}" if snippet else "")
    return ApexError(code, message, http_status=status, retry_after=retry_after)


_OS_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionResetError, "connection reset by the server"),
    (ConnectionRefusedError, "connection refused (is the server running?)"),
    (ConnectionAbortedError, "connection aborted"),
    (BrokenPipeError, "the server closed the connection while the request was sent"),
)
_HTTPX_CAUSES: tuple[tuple[type[httpx.HTTPError], str], ...] = (
    (httpx.ConnectError, "could not connect"),
    (httpx.ReadError, "the connection broke while reading the reply"),
    (httpx.WriteError, "the connection broke while sending the request"),
    (httpx.RemoteProtocolError, "the server closed the connection without a valid reply"),
)


def transport_cause(exc: httpx.HTTPError) -> str:
    """Why a request got no reply, in words: httpx's message, or (when that is empty, as for
    a reset) the OS error underneath, or what kind of failure it was."""
    text = str(exc).strip()
    if text:
        return text
    seen: BaseException | None = exc
    while seen is not None:
        for kind, words in _OS_CAUSES:
            if isinstance(seen, kind):
                return words
        seen = seen.__cause__ or seen.__context__
    return next((words for kind, words in _HTTPX_CAUSES if isinstance(exc, kind)), "") or (
        type(exc).__name__
    )


def transport_error(exc: httpx.HTTPError, where: str, *, hint: str | None = None) -> ApexError:
    """``where``: the base URL, or the name of the server (the per-user local server's socket
    is not a URL a person can check); ``hint`` replaces the base-URL advice."""
    if isinstance(exc, httpx.TimeoutException):
        return ApexError(
            "deadline_exceeded",
            f"no reply from {where} in time ({type(exc).__name__})",
            transport=True,
        )
    return ApexError(
        "unavailable",
        f"cannot reach {where}: {transport_cause(exc)}",
        hint=hint
        or "Check the base URL and the network, or run without a base URL to use your local server",
        transport=True,
    )
