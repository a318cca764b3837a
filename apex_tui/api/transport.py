"""The Connect codec on httpx (shared/apex-api.md §1): unary JSON calls, the enveloped server
stream, the retry policy for reads that are safe to repeat (error mapping: ``failures``).

One ``httpx.AsyncClient`` is shared by every call so connections are reused. Every call runs
under the time and size limits of ``api.limits``: a unary call's deadline covers its retries,
and bodies are read with a cap, never whole before checking.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from apex_tui import __version__
from apex_tui.api.errors import (
    ApexError,
    ApexLimitError,
    ApexProtocolError,
    ApexStreamError,
    ApexStreamProtocolError,
    refused_key,
)
from apex_tui.api.failures import error_from_reply, transport_cause, transport_error
from apex_tui.api.limits import (
    ClientLimits,
    StreamGuard,
    call_deadline_error,
    read_capped,
    timeout_header,
)
from apex_tui.api.models import SERVICE_NAME, WireModel
from apex_tui.api.protocol import (
    PROTOCOL_VERSION,
    STREAM_CONTENT_TYPE,
    UNARY_CONTENT_TYPE,
    ConnectError,
    EnvelopeDecoder,
    EnvelopeError,
    dumps,
    encode_envelope,
)
from apex_tui.import_guards import skip_httpx_cli

skip_httpx_cli()  # before the first import of httpx, which would load its CLI: see import_guards
import httpx  # noqa: E402

__all__ = ["CLIENT_ID", "ConnectTransport", "RetryPolicy", "Route", "normalize_base_url"]

CLIENT_ID = "apex-tui"
M = TypeVar("M", bound=WireModel)


def normalize_base_url(value: str, *, use_https: bool = True) -> str:
    """``host``, ``host:port`` or a full URL → ``scheme://host[:port][/prefix]`` without a
    trailing slash (the SDK takes a bare host; people paste URLs)."""
    text = value.strip().rstrip("/")
    if "://" not in text:
        text = f"{'https' if use_https else 'http'}://{text}"
    return text


@dataclass(frozen=True)
class Route:
    """How to reach a server beyond its base URL: apex-tui's per-user local server listens on
    a Unix socket (``uds``; the URL's host is then only a name), and its errors name it
    (``label``) and say what to do (``hint``) instead of pointing at a base URL."""

    uds: str | None = None
    label: str | None = None
    hint: str | None = None


def _http_client(headers: dict[str, str], base_url: str, route: Route) -> httpx.AsyncClient:
    """The one httpx client of a transport: over the Unix socket when the route has one."""
    # Loading the CA bundle for certificate checks costs 100-170 ms at start-up. A plain
    # http:// base URL (the embedded local server) never opens a TLS connection: every
    # request goes to base_url and redirects are not followed, so it needs no context.
    plain_http = base_url.lower().startswith("http://")
    transport = httpx.AsyncHTTPTransport(uds=route.uds, verify=False) if route.uds else None
    return httpx.AsyncClient(
        headers=headers, follow_redirects=False, verify=not plain_http, transport=transport
    )


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
        retry: RetryPolicy | None = None,
        extra_headers: dict[str, str] | None = None,
        limits: ClientLimits | None = None,
        route: Route | None = None,
        key_configured: bool = True,
    ) -> None:
        """``limits``: the deadlines and size caps (``ApexClient`` applies its overrides)."""
        self.base_url = normalize_base_url(base_url)
        self.key_sent = bool(api_key) and key_configured
        """Whether requests carry a key the user configured (a refusal then means that key)."""
        self.route = route or Route()
        self.limits = limits or ClientLimits()
        self.retry = retry or RetryPolicy()
        headers = {
            "Connect-Protocol-Version": PROTOCOL_VERSION,
            "x-client-id": CLIENT_ID,
            "x-client-version": __version__,
            "User-Agent": f"apex-tui/{__version__}",
        }
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        headers.update(extra_headers or {})
        self._http = _http_client(headers, self.base_url, self.route)

    async def aclose(self) -> None:
        await self._http.aclose()

    def _transport_error(self, exc: httpx.HTTPError) -> ApexError:
        """A failure to talk to the server, named as the route names it."""
        return transport_error(exc, self.route.label or self.base_url, hint=self.route.hint)

    def _url(self, method: str) -> str:
        return f"{self.base_url}/{SERVICE_NAME}/{method}"

    def _http_timeout(self, read: float) -> httpx.Timeout:
        """httpx's own per-operation timeouts: the connect timeout, and a read timeout a little
        past ours (ours, enforced around the call, say which limit passed)."""
        connect = min(self.limits.connect_timeout, read)
        return httpx.Timeout(read + 1.0, connect=connect)

    async def unary(
        self,
        method: str,
        request: WireModel,
        response_model: type[M],
        *,
        retry: bool = False,
        timeout: float | None = None,
    ) -> M:
        """One unary call; ``retry`` only for reads that are safe to repeat. The whole call,
        retries and their waits included, ends within ``timeout`` (``limits.call_timeout``)."""
        budget = timeout or self.limits.call_timeout
        loop = asyncio.get_running_loop()
        end = loop.time() + budget
        attempt = 0
        try:
            async with asyncio.timeout_at(end):
                while True:
                    try:
                        left = end - loop.time()
                        return await self._unary_once(method, request, response_model, left)
                    except ApexError as exc:
                        if not (retry and exc.retryable and attempt < self.retry.max_retries):
                            raise
                        delay = self.retry.delay(attempt, exc)
                        if loop.time() + delay >= end:
                            raise  # no time left to try again: say what failed
                        await asyncio.sleep(delay)
                        attempt += 1
        except TimeoutError:
            raise call_deadline_error(method, budget) from None

    async def _unary_once(
        self, method: str, request: WireModel, response_model: type[M], budget: float
    ) -> M:
        headers = timeout_header(budget)
        headers["Content-Type"] = UNARY_CONTENT_TYPE
        http_request = self._http.build_request(
            "POST",
            self._url(method),
            content=dumps(request.to_wire()),
            headers=headers,
            timeout=self._http_timeout(budget),
        )
        limit = self.limits.max_reply_bytes
        try:
            reply = await self._http.send(http_request, stream=True)
            try:
                body = await read_capped(reply, limit, method)  # never read whole, then checked
            finally:
                await reply.aclose()
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        if reply.status_code != 200:
            error = error_from_reply(reply.status_code, body, reply.headers)
            raise refused_key(error, key_sent=self.key_sent)
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
        A stream that breaks, or passes a limit (:class:`StreamGuard`; ``timeout`` is its
        overall deadline, ``limits.stream_timeout`` by default), raises
        :class:`ApexStreamError` carrying the text so far (``text_of(message)`` says what text
        each message adds).
        """
        guard = StreamGuard(self.limits, timeout)
        headers = timeout_header(guard.total)
        headers["Content-Type"] = STREAM_CONTENT_TYPE
        body = encode_envelope(dumps(request.to_wire()))
        slowest_read = max(
            self.limits.stream_first_message_timeout, self.limits.stream_idle_timeout
        )
        http_request = self._http.build_request(
            "POST",
            self._url(method),
            content=body,
            headers=headers,
            timeout=self._http_timeout(slowest_read),
        )
        try:
            async with asyncio.timeout(guard.first_message_in()):
                reply = await self._http.send(http_request, stream=True)
        except TimeoutError:
            limit = guard.timed_out()
            raise ApexStreamError(limit.code, limit.message, hint=limit.hint) from None
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        parts: list[str] = []
        try:
            if reply.status_code != 200:
                error_body = await read_capped(reply, self.limits.max_reply_bytes, method)
                error = error_from_reply(reply.status_code, error_body, reply.headers)
                raise refused_key(error, key_sent=self.key_sent)
            ctype = reply.headers.get("content-type", "")
            if not ctype.startswith("application/connect+"):
                raise ApexProtocolError(
                    f"{method}: expected a Connect stream, got content type {ctype or 'none'!r}"
                )
            decoder = EnvelopeDecoder(self.limits.max_reply_bytes)
            async with aclosing(guard.chunks(reply.aiter_bytes())) as received:
                async for data in received:
                    for envelope in decoder.feed(data):
                        if envelope.is_end_stream:
                            self._check_end(envelope.payload, method, "".join(parts))
                            return
                        message = self._stream_message(response_model, envelope.payload, method)
                        guard.message_arrived()
                        if text_of is not None:
                            parts.append(text_of(message))
                        yield message
            raise ApexStreamError(
                "unavailable",
                "the answer stream ended before the server finished it",
                partial_text="".join(parts),
                hint="Retry; what arrived so far is kept",
            )
        except ApexLimitError as exc:
            raise ApexStreamError(
                exc.code, exc.message, partial_text="".join(parts), hint=exc.hint
            ) from None
        except EnvelopeError as exc:
            raise ApexStreamProtocolError(
                f"{method}: invalid stream framing ({exc})", partial_text="".join(parts)
            ) from None
        except ApexProtocolError as exc:
            if isinstance(exc, ApexStreamError) or not parts:
                raise
            raise ApexStreamProtocolError(exc.message, partial_text="".join(parts)) from None
        except httpx.HTTPError as exc:
            err = self._transport_error(exc)
            raise ApexStreamError(
                err.code,
                f"the answer stream broke: {transport_cause(exc)}",
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
