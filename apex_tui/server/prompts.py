"""Every instruction apex-tui's server gives a model, in one place to read and tune.

Completion types (see :mod:`apex_tui.server.modes`) add a system message to the chat; deep
research (:mod:`apex_tui.server.research_agent`) runs its own calls: a plan, one summary per
sub-question, the final report. Small models follow short, concrete instructions best, so
each prompt says exactly what shape the answer must have.
"""

from __future__ import annotations

# --- completion types ------------------------------------------------------------------------

CHAIN_OF_THOUGHT = (
    "Think step by step. First write a section '### Steps' with short numbered reasoning "
    "steps, then a section '### Answer' with the answer in Markdown."
)
REASONING = (
    "Reason carefully before you answer. Put your private reasoning between <think> and "
    "</think>, then give the final answer in Markdown after </think>. Keep the answer itself "
    "free of the reasoning."
)
COMBINED = (
    "Use the search results above. Think step by step: first a section '### Steps' with short "
    "numbered steps that cite the results by number like [1], then a section '### Answer'."
)
CITE_RESULTS = (
    "Answer using these web search results. Cite the results you use by number in square "
    "brackets, like [1] or [2][3]. Do not invent sources."
)


def search_context(listing: str) -> str:
    """The system message of a web-search answer: the numbered results and how to cite them."""
    return f"{CITE_RESULTS}\n\n{listing or '(the search found nothing)'}"


# --- deep research ---------------------------------------------------------------------------

RESEARCH_SYSTEM = (
    "You are a careful research assistant. You answer in plain English and Markdown, you stay "
    "on the question, and you never invent facts or sources."
)


def research_plan(question: str, context: str, max_steps: int) -> str:
    """Ask for the sub-questions that answer ``question`` (a numbered list, nothing else)."""
    earlier = f"Conversation so far:\n{context}\n\n" if context else ""
    # A worked example: small models copy a shape far better than they follow a description.
    return (
        f"{earlier}Write a research plan for a question: at most {max_steps} short "
        "sub-questions that a web search can answer and that, answered together, answer the "
        "question. Reply with a numbered list only, one sub-question per line.\n\n"
        f"Example. Question: {PLAN_EXAMPLE[0]}\n"
        + "".join(f"{i}. {q}\n" for i, q in enumerate(PLAN_EXAMPLE[1:], start=1))
        + f"\nQuestion: {question}\n"
    )


PLAN_EXAMPLE = (
    "How do bees make honey?",
    "What do bees collect from flowers?",
    "How do bees turn nectar into honey?",
    "How do bees store honey in the hive?",
)


def research_step(question: str, sub_question: str, sources: str) -> str:
    """Ask for a short summary of what the step's search results say, citing them."""
    return (
        f"Research question: {question}\n"
        f"Current sub-question: {sub_question}\n\n"
        f"Search results:\n{sources}\n\n"
        "Write a short summary (3 to 5 sentences) of what these results say about the "
        "sub-question. Cite the results you use by their number in square brackets, like [1]. "
        "If the results do not answer it, say so in one sentence."
    )


def research_report(question: str, findings: str, sources: str) -> str:
    """Ask for the final report from the step summaries, citing the numbered sources."""
    return (
        f"Research question: {question}\n\n"
        f"Findings so far, step by step:\n{findings}\n\n"
        f"Sources:\n{sources}\n\n"
        "Write the final research report in Markdown: a short introduction, one section per "
        "finding with '##' headings, and a conclusion. Cite the sources by their number in "
        "square brackets, like [1], wherever you use them. Do not write a list of sources; it "
        "is added for you."
    )
