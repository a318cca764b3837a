"""The Connect codec on httpx (shared/apex-api.md §1): unary JSON calls, the enveloped server
stream, error mapping and the retry policy for reads that are safe to repeat.

One ``httpx.AsyncClient`` is shared by every call so connections are reused.
"""

from __future__ import annotations

import asyncio
import email.utils
import gc
import json
import random
import time
from collections.abc import AsyncGenerator
from typing import Any, TypeVar

from pydantic import ValidationError

from apex_tui import __version__
from apex_tui.api.errors import (
    ApexError,
    ApexProtocolError,
    ApexStreamError,
    ApexStreamProtocolError,
    refused_key,
)
from apex_tui.api.models import SERVICE_NAME, WireModel
from apex_tui.api.protocol import (
    PROTOCOL_VERSION,
    STREAM_CONTENT_TYPE,
    UNARY_CONTENT_TYPE,
    ConnectError,
    EnvelopeDecoder,
    EnvelopeError,
    code_from_http_status,
    dumps,
    encode_envelope,
)
from apex_tui.import_guards import skip_httpx_cli

skip_httpx_cli()  # before the first import of httpx, which would load its CLI: see import_guards
import httpx  # noqa: E402

__all__ = ["CLIENT_ID", "ConnectTransport", "RetryPolicy", "normalize_base_url"]

CLIENT_ID = "apex-tui"
M = TypeVar("M", bound=WireModel)


def normalize_base_url(value: str, *, use_https: bool = True) -> str:
    """``host``, ``host:port`` or a full URL → ``scheme://host[:port][/prefix]`` without a
    trailing slash (the SDK takes a bare host; people paste URLs)."""
    text = value.strip().rstrip("/")
    if "://" not in text:
        text = f"{'https' if use_https else 'http'}://{text}"
    return text


class RetryPolicy:
    """Exponential backoff with full jitter, honouring Retry-After up to a cap."""

    def __init__(
        self,
        max_retries: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 8.0,
        retry_after_cap: float = 10.0,
    ) -> None:
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.retry_after_cap = retry_after_cap

    def delay(self, attempt: int, error: ApexError) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        backoff = min(self.max_delay, self.base_delay * (2**attempt))
        wait = backoff * random.uniform(0.5, 1.0)
        if error.retry_after is not None:
            wait = max(wait, min(error.retry_after, self.retry_after_cap))
        return wait


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


def _error_from_reply(status: int, body: bytes, headers: httpx.Headers) -> ApexError:
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


def _transport_error(exc: httpx.HTTPError, url: str) -> ApexError:
    if isinstance(exc, httpx.TimeoutException):
        return ApexError(
            "deadline_exceeded",
            f"no reply from {url} in time ({type(exc).__name__})",
            transport=True,
        )
    return ApexError(
        "unavailable",
        f"cannot reach {url}: {exc or type(exc).__name__}",
        hint="Check the base URL and the network, or run without a key and base URL to use "
        "the local server",
        transport=True,
    )


def _parse(model: type[M], data: Any, method: str) -> M:
    if not isinstance(data, dict):
        raise ApexProtocolError(f"{method}: expected a JSON object, got {type(data).__name__}")
    try:
        return model.from_wire(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        raise ApexProtocolError(
            f"{method}: reply does not fit {model.__name__} ({where}: {first.get('msg')})"
        ) from None


def _parse_reply(model: type[M], body: bytes, method: str) -> M:
    """Straight from the bytes when they can be (``WireModel.from_wire_json``: a 10,000-chat
    list in ~35 instead of ~100 ms); a reply that does not fit goes through the two-step path,
    which says what is wrong (not JSON, not an object, which field)."""
    try:
        return model.from_wire_json(body)
    except ValueError:
        return _parse(model, _unary_json(body, method), method)


LARGE_REPLY = 256 * 1024
"""Unary replies from this size are parsed with the cyclic GC paused."""


def _unary_json(body: bytes, method: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApexProtocolError(f"{method}: reply is not JSON", http_status=200) from None


class ConnectTransport:
    """Connect-over-HTTP calls to ``{base_url}/apex.v1.ApexService/{Method}``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        extra_headers: dict[str, str] | None = None,
        max_message_bytes: int = 8 * 1024 * 1024,
        key_configured: bool = True,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        self.key_sent = bool(api_key) and key_configured
        """Whether requests carry a key the user configured (a refusal then means that key)."""
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.max_message_bytes = max_message_bytes
        headers = {
            "Connect-Protocol-Version": PROTOCOL_VERSION,
            "x-client-id": CLIENT_ID,
            "x-client-version": __version__,
            "User-Agent": f"apex-tui/{__version__}",
        }
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        headers.update(extra_headers or {})
        # Loading the CA bundle for certificate checks costs 100-170 ms at start-up. A plain
        # http:// base URL (the embedded local server) never opens a TLS connection: every
        # request goes to base_url and redirects are not followed, so it needs no context.
        plain_http = self.base_url.lower().startswith("http://")
        self._http = httpx.AsyncClient(
            headers=headers, follow_redirects=False, verify=not plain_http
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def _url(self, method: str) -> str:
        return f"{self.base_url}/{SERVICE_NAME}/{method}"

    @staticmethod
    def _timeouts(timeout: float) -> tuple[dict[str, str], httpx.Timeout]:
        """Connect-Timeout-Ms for the server, and an httpx timeout a little longer."""
        header = {"Connect-Timeout-Ms": str(max(1, int(timeout * 1000)))}
        return header, httpx.Timeout(timeout + 5.0, connect=min(10.0, timeout + 5.0))

    async def unary(
        self,
        method: str,
        request: WireModel,
        response_model: type[M],
        *,
        retry: bool = False,
        timeout: float | None = None,
    ) -> M:
        """One unary call; ``retry`` only for reads that are safe to repeat."""
        attempt = 0
        while True:
            try:
                return await self._unary_once(method, request, response_model, timeout)
            except ApexError as exc:
                if not (retry and exc.retryable and attempt < self.retry.max_retries):
                    raise
                await asyncio.sleep(self.retry.delay(attempt, exc))
                attempt += 1

    async def _unary_once(
        self, method: str, request: WireModel, response_model: type[M], timeout: float | None
    ) -> M:
        url = self._url(method)
        headers, http_timeout = self._timeouts(timeout or self.timeout)
        headers["Content-Type"] = UNARY_CONTENT_TYPE
        try:
            reply = await self._http.post(
                url, content=dumps(request.to_wire()), headers=headers, timeout=http_timeout
            )
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self.base_url) from None
        body = reply.content
        if reply.status_code != 200:
            error = _error_from_reply(reply.status_code, body, reply.headers)
            raise refused_key(error, key_sent=self.key_sent)
        if len(body) > self.max_message_bytes:
            raise ApexProtocolError(
                f"{method}: reply of {len(body)} bytes exceeds the "
                f"{self.max_message_bytes}-byte limit"
            )
        if len(body) < LARGE_REPLY:
            return _parse_reply(response_model, body, method)
        # A large reply (10,000 chats: ~2 MB, ~60k objects) would trigger a full GC pass that
        # walks every live object (~40-80 ms) and frees nothing: parsing makes no cycles.
        collecting = gc.isenabled()
        gc.disable()
        try:
            return _parse_reply(response_model, body, method)
        finally:
            if collecting:
                gc.enable()

    async def stream(
        self,
        method: str,
        request: WireModel,
        response_model: type[M],
        *,
        timeout: float | None = None,
        text_of: Any = None,
    ) -> AsyncGenerator[M, None]:
        """Server stream: one request envelope out, data envelopes in until the end envelope.

        Closing the generator (``aclose`` or task cancel) closes the HTTP response at once.
        A stream that breaks raises :class:`ApexStreamError` carrying the text so far
        (``text_of(message)`` says what text each message adds).
        """
        url = self._url(method)
        headers, http_timeout = self._timeouts(timeout or self.timeout)
        headers["Content-Type"] = STREAM_CONTENT_TYPE
        body = encode_envelope(dumps(request.to_wire()))
        http_request = self._http.build_request(
            "POST", url, content=body, headers=headers, timeout=http_timeout
        )
        try:
            reply = await self._http.send(http_request, stream=True)
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self.base_url) from None
        parts: list[str] = []
        try:
            if reply.status_code != 200:
                error = _error_from_reply(reply.status_code, await reply.aread(), reply.headers)
                raise refused_key(error, key_sent=self.key_sent)
            ctype = reply.headers.get("content-type", "")
            if not ctype.startswith("application/connect+"):
                raise ApexProtocolError(
                    f"{method}: expected a Connect stream, got content type {ctype or 'none'!r}"
                )
            decoder = EnvelopeDecoder(self.max_message_bytes)
            async for data in reply.aiter_bytes():
                for envelope in decoder.feed(data):
                    if envelope.is_end_stream:
                        self._check_end(envelope.payload, method, "".join(parts))
                        return
                    message = self._stream_message(response_model, envelope.payload, method)
                    if text_of is not None:
                        parts.append(text_of(message))
                    yield message
            raise ApexStreamError(
                "unavailable",
                "the answer stream ended before the server finished it",
                partial_text="".join(parts),
                hint="Retry; what arrived so far is kept",
            )
        except EnvelopeError as exc:
            raise ApexStreamProtocolError(
                f"{method}: invalid stream framing ({exc})", partial_text="".join(parts)
            ) from None
        except ApexProtocolError as exc:
            if isinstance(exc, ApexStreamError) or not parts:
                raise
            raise ApexStreamProtocolError(exc.message, partial_text="".join(parts)) from None
        except httpx.HTTPError as exc:
            err = _transport_error(exc, self.base_url)
            raise ApexStreamError(
                err.code,
                f"the answer stream broke: {exc or type(exc).__name__}",
                partial_text="".join(parts),
                hint="Retry; what arrived so far is kept",
                transport=True,
            ) from None
        finally:
            await reply.aclose()

    @staticmethod
    def _stream_message(model: type[M], payload: bytes, method: str) -> M:
        """One data envelope as ``model``: pydantic-core reads the JSON and validates in one
        pass (no Python ``json``; ~10 vs ~15 us a chunk, 10,000 chunks in a long answer).

        Whatever it refuses goes through the two-step path, which says what is wrong (not
        JSON, not an object, which field) in the same words as before.
        """
        try:
            return model.from_wire_json(payload)
        except ValueError:
            return _parse(model, ConnectTransport._json(payload, method), method)

    @staticmethod
    def _json(payload: bytes, method: str) -> Any:
        try:
            return json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise ApexProtocolError(f"{method}: stream message is not JSON") from None

    def _check_end(self, payload: bytes, method: str, partial: str) -> None:
        """The end envelope: ``{}`` on success, ``{"error": …}`` on failure."""
        try:
            end = json.loads(payload) if payload else {}
        except (ValueError, UnicodeDecodeError):
            raise ApexStreamProtocolError(
                f"{method}: end of stream is not JSON", partial_text=partial
            ) from None
        if not isinstance(end, dict):
            raise ApexStreamProtocolError(
                f"{method}: end of stream is not an object", partial_text=partial
            )
        if end.get("error") is None:
            return
        connect = ConnectError.from_json(end["error"])
        if connect is None:
            raise ApexStreamProtocolError(
                f"{method}: stream ended with an invalid error object", partial_text=partial
            )
        error = ApexStreamError(
            connect.code,
            connect.message or f"the stream ended with {connect.code}",
            partial_text=partial,
        )
        raise refused_key(error, key_sent=self.key_sent)
