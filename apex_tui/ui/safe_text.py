"""Make untrusted text inert before it reaches the terminal.

Model answers, prompts and web sources can carry terminal control sequences (colour changes,
cursor moves, OSC 52 clipboard writes, title changes). Shown raw they would act on the user's
terminal; here they vanish. Newlines and tabs are kept because Markdown needs them.
"""

from __future__ import annotations

import re

# Whole escape sequences first, so their parameters do not linger as visible noise:
#   CSI  ESC [ ... final byte        (colours, cursor moves)
#   OSC  ESC ] ... BEL | ESC \       (titles, clipboard, hyperlinks)
#   DCS/SOS/PM/APC  ESC P|X|^|_ ... ESC \
#   two-byte escapes  ESC <char>
# The 8-bit C1 forms (CSI = 0x9b, OSC = 0x9d, ...) are handled the same way.
_ESCAPE_SEQUENCE = re.compile(
    r"""
    (?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?        # CSI
    | (?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?        # OSC
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?  # DCS, SOS, PM, APC
    | \x1b[\x20-\x7e]?                                         # other ESC + one char
    """,
    re.VERBOSE,
)
# Every remaining C0 control except TAB and LF, DEL, and the C1 range.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def make_inert(text: str) -> str:
    """Return `text` with every terminal control sequence removed (newlines and tabs kept).

    CR LF and lone CR become LF, so text written for a terminal still breaks where its author meant.
    The common case (no control characters at all) costs one regex scan and returns the same string.
    """
    if not _CONTROL.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _ESCAPE_SEQUENCE.sub("", text)
    return _CONTROL.sub("", text)
