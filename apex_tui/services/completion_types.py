"""Completion type → ChatCompletionRequest: the one place that says what each Apex completion
type sends (shared/apex-api.md §3.2, §5.3, §7, §8.2).

* ``basic``: task ``InferenceTask``, no inference mode.
* ``web-search``: task ``WebRetrievalTask``; a ``WebRetrieval`` runs first (client side, so the
  sources are known and shown) and its results go into a system message as numbered sources;
  the answer is asked to cite them as ``[n]``.
* ``chain-of-thought``: inference_mode ``Chain-of-Thought``, test_time_inference ``true``.
* ``reasoning``: inference_mode ``Reasoning-Fast``, task ``MultiStepReasoningTask``.
* ``combined``: task ``WebRetrievalTask`` and the chain-of-thought fields, plus the
  search-and-cite step of web-search.

This matches the server's reading of a request (``apex_tui/server/modes.py``: ``task`` =
``WebRetrievalTask`` marks a search type, ``Chain-of-Thought``/``test_time_inference`` and
``Reasoning-Fast``/``MultiStepReasoningTask`` mark the step types).

Sampling parameters follow the Python SDK (``do_sample`` true, temperature/top_p/max tokens
from the settings); a seed is sent only when one is set, so unseeded answers vary.
"""

from __future__ import annotations

from dataclasses import dataclass

from apex_tui.api.models import (
    ChatCompletionRequest,
    ChatMessage,
    SamplingParameters,
    WebSearchResult,
)

__all__ = [
    "COMPLETION_TYPES",
    "CompletionPlan",
    "build_chat_request",
    "plan_for",
    "sources_message",
]


@dataclass(frozen=True)
class CompletionPlan:
    """What a completion type adds to the request, and whether it needs a search first."""

    task: str = "InferenceTask"
    inference_mode: str | None = None
    test_time_inference: bool | None = None
    needs_web_search: bool = False


COMPLETION_TYPES: dict[str, CompletionPlan] = {
    "basic": CompletionPlan(),
    "web-search": CompletionPlan(task="WebRetrievalTask", needs_web_search=True),
    "chain-of-thought": CompletionPlan(inference_mode="Chain-of-Thought", test_time_inference=True),
    "reasoning": CompletionPlan(task="MultiStepReasoningTask", inference_mode="Reasoning-Fast"),
    "combined": CompletionPlan(
        task="WebRetrievalTask",
        inference_mode="Chain-of-Thought",
        test_time_inference=True,
        needs_web_search=True,
    ),
}


def plan_for(completion_type: str) -> CompletionPlan:
    """The plan of a known type; ValueError names the known ones otherwise."""
    try:
        return COMPLETION_TYPES[completion_type]
    except KeyError:
        known = ", ".join(COMPLETION_TYPES)
        raise ValueError(
            f"unknown completion type {completion_type!r}; use one of {known}"
        ) from None


def sources_message(results: list[WebSearchResult]) -> ChatMessage:
    """Search results as a system message of numbered sources the answer cites as ``[n]``."""
    lines = ["Answer using these web search results. Cite them by number, like [1]."]
    for number, result in enumerate(results, start=1):
        passage = (result.relevant or result.content).strip().replace("\n", " ")
        lines.append(f"[{number}] {result.url}\n{passage[:1200]}")
    return ChatMessage(role="system", content="\n\n".join(lines))


def build_chat_request(
    completion_type: str,
    messages: list[ChatMessage],
    *,
    model: str | None = None,
    temperature: float = 0.7,
    top_p: float = 0.95,
    max_new_tokens: int = 4096,
    seed: int | None = None,
    system_prompt: str = "",
    sources: list[WebSearchResult] | None = None,
) -> ChatCompletionRequest:
    """The request for ``messages`` (oldest first, the new prompt last) of a completion type."""
    plan = plan_for(completion_type)
    head: list[ChatMessage] = []
    if system_prompt.strip():
        head.append(ChatMessage(role="system", content=system_prompt.strip()))
    if sources:
        head.append(sources_message(sources))
    return ChatCompletionRequest(
        messages=[*head, *messages],
        seed=seed,
        task=plan.task,
        model=model or None,
        test_time_inference=plan.test_time_inference,
        mixture=False,
        sampling_parameters=SamplingParameters(
            temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, do_sample=True
        ),
        inference_mode=plan.inference_mode,
        stream=True,
    )
