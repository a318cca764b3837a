"""One sanitizer for every piece of untrusted text that reaches a terminal (CLI and TUI).

Model answers, prompts, chat titles, web results and server messages can carry terminal
control sequences (colours, cursor moves, OSC 0 title and OSC 52 clipboard writes, DCS
payloads) and Unicode bidi controls that make text read differently from what it is
("Trojan Source"). Shown raw they act on the user's terminal; here they become inert:

- escape sequences (CSI, OSC, DCS, SOS, PM, APC, two-byte ESC x, and their 8-bit C1 forms)
  are removed whole, so their parameters do not linger as noise;
- every other C0/C1 control and DEL is removed; TAB and LF stay (Markdown needs them);
  CR LF and a lone CR become LF; U+2028/U+2029 become LF;
- bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069) and the interlinear
  annotation controls (U+FFF9-FFFB) are removed; lone surrogates become U+FFFD.

:func:`inert` cleans a whole text; :class:`StreamSanitizer` cleans a stream chunk by chunk
with a little carry-over, so a sequence split across two chunks is still caught and the cost
stays linear. :func:`json_text` writes JSON whose strings escape all of these (lossless).
Pure standard library: the API layer, services, the CLI and the UI can all use it.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["StreamSanitizer", "inert", "json_text"]

_STRING_OPENERS = "\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f]"
_STRING_BODY = "[^\x07\x1b\x9c]*"
_CSI_OPENER = "(?:\x1b\\[|\x9b)"
_CSI_BODY = "[\x30-\x3f]*[\x20-\x2f]*"

# Order matters: escape sequences first (an unfinished one at the very end of the text is
# marked by a named group, so the stream sanitizer knows what to carry over), then single
# characters. A sequence cut short mid-text is dropped as far as it got, as a terminal would.
_TOKEN = re.compile(
    rf"""
    {_CSI_OPENER}{_CSI_BODY}(?:[\x40-\x7e]|(?P<csi_tail>\Z))?          # CSI
    | (?:{_STRING_OPENERS}){_STRING_BODY}                              # OSC, DCS, SOS, PM, APC
      (?:\x07|\x1b\\|\x9c|(?P<string_esc>\x1b)\Z|(?P<string_tail>)\Z)?
    | \x1b[\x20-\x7e]                                                  # two-byte escapes
    | \r\n
    | (?P<esc_tail>\x1b\Z)                                             # ESC, rest unknown
    | (?P<cr_tail>\r\Z)                                                # CR, maybe of a CR LF
    | (?P<newline>[\r\u2028\u2029])
    | (?P<surrogate>[\ud800-\udfff])
    | [\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufff9-\ufffb]
    """,
    re.VERBOSE,
)
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufff9-\ufffb\ud800-\udfff]"
)
"""Any character that needs work; text without one is returned as it is (the common case)."""

_STRING_STOP = re.compile("[\x07\x1b\x9c]")
_CARRY_LIMIT = 256
"""Longest unfinished CSI held back between chunks; a longer one is dropped (its parameter
bytes are harmless digits if they then show)."""


def _replacement(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind in ("newline", "cr_tail") or match.group() == "\r\n":
        return "\n"
    if kind == "surrogate":
        return "\ufffd"
    return ""


def inert(text: str) -> str:
    """``text`` with every control sequence and dangerous format character made inert (see
    the module docstring). Returns the same object when there is nothing to do."""
    if not _UNSAFE.search(text):
        return text
    return _TOKEN.sub(_replacement, text)


class StreamSanitizer:
    """:func:`inert` for text that arrives in pieces (a streamed answer).

    ``feed`` returns the safe text of a chunk; an escape sequence (or CR) cut at the end of
    a chunk is held back and finished with the next one; the payload of an OSC/DCS string
    still arriving is dropped as it comes (it never grows a buffer). ``finish`` returns
    what an unfinished tail leaves (nothing but a lone CR's newline). Fed the pieces of a
    text, it gives what ``inert`` gives for the whole (tests check this).
    """

    def __init__(self) -> None:
        self._carry = ""
        self._in_string = False

    def feed(self, chunk: str) -> str:
        if self._in_string:
            chunk = self._skip_string(chunk)
            if self._in_string:
                return ""
        text = self._carry + chunk if self._carry else chunk
        self._carry = ""
        if not _UNSAFE.search(text):
            return text

        def replace(match: re.Match[str]) -> str:
            if match.start("string_tail") != -1 or match.start("string_esc") != -1:
                self._in_string = True
                if match.start("string_esc") != -1:  # maybe the ESC of ESC \
                    self._carry = "\x1b"
            elif match.lastgroup in ("esc_tail", "cr_tail") or match.start("csi_tail") != -1:
                if len(match.group()) <= _CARRY_LIMIT:
                    self._carry = match.group()
            else:
                return _replacement(match)
            return ""

        return _TOKEN.sub(replace, text)

    def _skip_string(self, chunk: str) -> str:
        """Drop an OSC/DCS payload up to where it ends; what follows is returned."""
        text = self._carry + chunk if self._carry else chunk
        self._carry = ""
        stop = _STRING_STOP.search(text)
        if stop is None:
            return ""
        at = stop.start()
        if text[at] != "\x1b":  # BEL or ST ends it
            self._in_string = False
            return text[at + 1 :]
        if at == len(text) - 1:  # maybe the start of ESC \
            self._carry = "\x1b"
            return ""
        self._in_string = False
        # ESC \ ends it; any other ESC ends it too and starts what comes next (as inert reads)
        return text[at + 2 :] if text[at + 1] == "\\" else text[at:]

    def finish(self) -> str:
        """The end of the stream: a held CR is a line break; anything else held is dropped."""
        carry, self._carry, self._in_string = self._carry, "", False
        return "\n" if carry == "\r" else ""


_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb"
    "\ud800-\udfff]"
)


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """JSON for a terminal or a pipe: readable UTF-8, but every non-printing or direction
    changing character (C1 controls, DEL, bidi controls, separators, lone surrogates) is
    written as a ``\\uXXXX`` escape, which ``json.dumps(ensure_ascii=False)`` writes raw.
    Lossless: a JSON reader gets the same strings back."""
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
