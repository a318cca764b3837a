"""The one place that maps ChatCompletionRequest fields to an Apex completion type.

``ChatCompletionRequest`` has no ``completion_type`` field, so the type travels in the fields the
SN1 validator used (shared/apex-api.md §5, §7, §8.2). Clients (the apex-tui helper included)
send these fields for each completion type:

==================  ==========================================================================
completion type     request fields
==================  ==========================================================================
``basic``           none of the below
``web-search``      ``task = "WebRetrievalTask"``
``chain-of-thought`` ``inference_mode = "Chain-of-Thought"`` (or ``test_time_inference = true``)
``reasoning``       ``inference_mode = "Reasoning-Fast"`` (or ``task = "MultiStepReasoningTask"``)
``combined``        ``task = "WebRetrievalTask"`` and ``inference_mode = "Chain-of-Thought"``
==================  ==========================================================================

Sources given by the client: a ``system`` message whose paragraphs read ``[n] URL`` followed by
the passage (what ``apex_tui.services.completion_types.sources_message`` sends, e.g. for results a
person attached) is taken as the answer's sources, numbered as given; the server then does not
search again, so the ``[n]`` the answer cites are the ones the client shows.

``mixture = true`` / ``inference_mode = "Mixture-of-Agents"`` is accepted and ignored by the
offline engine beyond a note (there is one local writer, not a mixture of miners).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apex_tui.api.models import ChatCompletionRequest, WebSearchResult

WEB_TASK = "WebRetrievalTask"
REASONING_TASK = "MultiStepReasoningTask"
CHAIN_OF_THOUGHT = "Chain-of-Thought"
REASONING_FAST = "Reasoning-Fast"
MIXTURE = "Mixture-of-Agents"

COMPLETION_TYPES = ("basic", "web-search", "chain-of-thought", "reasoning", "combined")


@dataclass(frozen=True)
class CompletionMode:
    """What the engine should do for one request."""

    web_search: bool = False
    steps: str = ""
    """``""`` (answer directly), ``"chain-of-thought"`` or ``"reasoning"``."""
    mixture: bool = False

    @property
    def completion_type(self) -> str:
        if self.web_search and self.steps:
            return "combined"
        if self.web_search:
            return "web-search"
        return self.steps or "basic"


def mode_of(request: ChatCompletionRequest) -> CompletionMode:
    """Read the completion type out of a request's fields (see the module table)."""
    web = request.task == WEB_TASK
    steps = ""
    if request.inference_mode == CHAIN_OF_THOUGHT or request.test_time_inference:
        steps = "chain-of-thought"
    elif request.inference_mode == REASONING_FAST or request.task == REASONING_TASK:
        steps = "reasoning"
    mixture = bool(request.mixture) or request.inference_mode == MIXTURE
    return CompletionMode(web_search=web, steps=steps, mixture=mixture)


def request_fields_for(completion_type: str) -> dict[str, str]:
    """The request fields a client sets for a completion type (inverse of :func:`mode_of`)."""
    table = {
        "basic": {},
        "web-search": {"task": WEB_TASK},
        "chain-of-thought": {"inference_mode": CHAIN_OF_THOUGHT},
        "reasoning": {"inference_mode": REASONING_FAST},
        "combined": {"task": WEB_TASK, "inference_mode": CHAIN_OF_THOUGHT},
    }
    if completion_type not in table:
        raise ValueError(
            f"unknown completion type {completion_type!r}; use one of {COMPLETION_TYPES}"
        )
    return dict(table[completion_type])


_SOURCE_ENTRY = re.compile(r"^\[(\d+)\] (\S+)\n?(.*)\Z", re.DOTALL)


def given_sources(request: ChatCompletionRequest) -> list[WebSearchResult] | None:
    """Numbered sources the client sent in a system message (see the module docstring).

    ``None`` when no system message carries any; the entries keep the client's order.
    """
    for message in request.messages:
        if message.role != "system":
            continue
        found: list[WebSearchResult] = []
        for paragraph in message.content.split("\n\n"):
            match = _SOURCE_ENTRY.match(paragraph.strip())
            if match and match.group(1) == str(len(found) + 1):
                passage = match.group(3).strip()
                found.append(WebSearchResult(url=match.group(2), content=passage, relevant=passage))
        if found:
            return found
    return None
