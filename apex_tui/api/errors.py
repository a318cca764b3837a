"""Errors the Apex client raises: each carries the Connect code, the HTTP status and a one-line
hint for people, so the CLI and the UI can show "what happened — what to do" without guessing."""

from __future__ import annotations

from typing import TypeVar

__all__ = [
    "NO_KEY_HINT",
    "WRONG_KEY_HINT",
    "ApexError",
    "ApexLimitError",
    "ApexProtocolError",
    "ApexStreamError",
    "ApexStreamProtocolError",
    "hint_for",
    "refused_key",
]

_HINTS: dict[str, str] = {
    "unauthenticated": (
        "Set APEX_API_KEY (or MACROCOSMOS_API_KEY), pass --api-key, "
        "or run `apex-tui config set api_key …`"
    ),
    "permission_denied": "This API key is not allowed to do that; check the key or use another one",
    "unimplemented": (
        "This server no longer offers Apex; use `apex-tui serve` or another base URL (--base-url)"
    ),
    "unavailable": "The server is unavailable or busy; retry later",
    "resource_exhausted": "Rate limit or quota reached; retry later",
    "deadline_exceeded": "The server took too long; retry later",
    "not_found": "Check the id (`apex-tui chats list` or `apex-tui research list` show valid ones)",
    "invalid_argument": "The server rejected the request's values; check the options you passed",
    "failed_precondition": "The server refused in its current state; retry later",
    "canceled": "The request was cancelled",
}
E = TypeVar("E", bound="ApexError")
_DEFAULT_HINT = "Retry later; if it keeps happening, check the server's logs or the base URL"
NO_KEY_HINT = (
    "Set one: APEX_API_KEY (or MACROCOSMOS_API_KEY), --api-key, or `apex-tui config set api_key …`"
)
WRONG_KEY_HINT = (
    "Check the key (`apex-tui config show` shows the configured one), or give the right one "
    "with --api-key, APEX_API_KEY or `apex-tui config set api_key …`"
)


def hint_for(code: str, http_status: int | None = None) -> str:
    """The one-line advice for a Connect code. A bare 404 already reads as ``unimplemented``
    (a retired endpoint); a Connect ``not_found`` is an unknown id, not a missing service."""
    del http_status  # kept in the signature for callers that know it
    return _HINTS.get(code, _DEFAULT_HINT)


class ApexError(Exception):
    """An Apex call failed. ``str(err)`` is "message — hint", ready for one line on stderr."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        http_status: int | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
        transport: bool = False,
    ) -> None:
        self.code = code
        self.message = message or code.replace("_", " ")
        self.http_status = http_status
        self.hint = hint if hint is not None else hint_for(code, http_status)
        self.retry_after = retry_after
        """Seconds the server asked us to wait (Retry-After), when it said so."""
        self.transport = transport
        """True when the request never got an HTTP reply (connection refused, reset, timeout)."""
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message

    @property
    def retryable(self) -> bool:
        """Safe to repeat for an idempotent read: the failure was transient."""
        return self.transport or self.code in ("unavailable", "resource_exhausted")


class ApexLimitError(ApexError):
    """The client stopped waiting or reading: a reply or stream passed one of its own time or
    size limits (``api.limits``). Repeating the call would meet the same limit."""

    @property
    def retryable(self) -> bool:
        return False


class ApexProtocolError(ApexError):
    """The reply does not fit the protocol: bad JSON, a shape the models reject, bad framing."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(
            "internal",
            message,
            http_status=http_status,
            hint="The server's reply is not valid Apex; check that the base URL points at an "
            "Apex server",
        )


class ApexStreamError(ApexError):
    """A stream broke (or ended with an error) after some text may already have arrived."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        partial_text: str = "",
        http_status: int | None = None,
        hint: str | None = None,
        transport: bool = False,
    ) -> None:
        self.partial_text = partial_text
        # Called explicitly: with ApexStreamProtocolError's MRO, super() would be
        # ApexProtocolError, whose signature differs.
        ApexError.__init__(
            self, code, message, http_status=http_status, hint=hint, transport=transport
        )


class ApexStreamProtocolError(ApexStreamError, ApexProtocolError):
    """A stream whose framing or messages became invalid part-way through."""

    def __init__(self, message: str, *, partial_text: str = "") -> None:
        ApexStreamError.__init__(
            self,
            "internal",
            message,
            partial_text=partial_text,
            hint="The server's stream is not valid Apex; retry, or check the base URL",
        )


def refused_key(error: E, *, key_sent: bool) -> E:
    """An ``unauthenticated`` refusal said for what the client did: it sent no key of the
    user's (none is configured; a local stand-in does not count) or it sent one that was
    refused. Servers answer both with the same code. Rewords the (just made) error in place,
    so its type and a stream's partial text stay; other errors pass through."""
    if error.code != "unauthenticated":
        return error
    if key_sent:
        if "key" not in error.message.lower():
            error.message = "the API key was refused"
        error.hint = WRONG_KEY_HINT
    else:
        error.message = "this server needs an API key and none is configured"
        error.hint = NO_KEY_HINT
    error.args = (str(error),)
    return error
