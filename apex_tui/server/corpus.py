"""The offline search corpus: a few hundred documents generated deterministically from
:mod:`apex_tui.server.corpus_data` (each topic × each document kind). Nothing is downloaded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from apex_tui.server.corpus_data import KINDS, TOPICS

CORPUS_HOST = "https://corpus.apex-tui.local"


@dataclass(frozen=True)
class Document:
    url: str
    title: str
    topic: str
    kind: str
    text: str
    """The whole document: title line, then paragraphs separated by blank lines."""

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p.strip()]


_FRAMES: dict[str, list[str]] = {
    "overview": [
        "This overview collects the essentials of {name} in one place.",
        "In short, {name} matters because it shapes how modern systems are built.",
    ],
    "history": [
        "{name} grew out of practical needs and was refined by years of use.",
        "Early adopters of {name} learned most of these lessons the hard way.",
    ],
    "best-practices": [
        "Teams that use {name} well tend to agree on a few habits.",
        "The practices below come up again and again when {name} is reviewed.",
    ],
    "troubleshooting": [
        "When something goes wrong with {name}, start from the basics below.",
        "Most problems with {name} trace back to one of these facts being overlooked.",
    ],
    "reference": [
        "These reference notes summarise {name} for quick lookup.",
        "Keep these notes about {name} at hand while working.",
    ],
    "case-study": [
        "A terminal chat client for Apex relies on {name} in several places.",
        "While building the client, the team wrote down what {name} taught them.",
    ],
}


def _name(topic: dict[str, object]) -> str:
    return str(topic["name"])


def _facts(topic: dict[str, object]) -> list[str]:
    facts = topic["facts"]
    assert isinstance(facts, list)
    return [str(f) for f in facts]


def _body(kind: str, topic: dict[str, object], other: dict[str, object], rng: random.Random) -> str:
    name, facts = _name(topic), _facts(topic)
    if kind == "faq":
        parts = [f"Q: {topic['question']}\nA: {facts[0]} {facts[1]}"]
        for i, fact in enumerate(facts[2:], start=2):
            parts.append(f"Q: What is point {i} to know about {name}?\nA: {fact}")
        return "\n\n".join(parts)
    if kind == "tutorial":
        steps = [f"Step {i}. {fact}" for i, fact in enumerate(facts, start=1)]
        return f"This tutorial walks through {name} one idea at a time.\n\n" + "\n\n".join(steps)
    if kind == "glossary":
        lines = []
        for fact in facts:
            term = " ".join(fact.split()[:3]).rstrip(",.")
            lines.append(f"{term}: {fact}")
        return f"Terms used when discussing {name}.\n\n" + "\n\n".join(lines)
    if kind == "comparison":
        other_facts = _facts(other)
        return (
            f"{name} and {_name(other)} are often mentioned together, but they solve different "
            f"problems.\n\n{name}: {facts[0]} {facts[2]}\n\n{_name(other)}: {other_facts[0]} "
            f"{other_facts[2]}\n\nWhere they differ: {facts[4]} By contrast, {other_facts[4]}"
        )
    frames = [f.format(name=name) for f in _FRAMES.get(kind, _FRAMES["overview"])]
    shuffled = facts[:]
    rng.shuffle(shuffled)
    if kind == "overview":
        shuffled = facts[:]  # the overview keeps the natural order: definition first
    return (
        f"{frames[0]} {topic['question']}\n\n"
        f"{shuffled[0]} {shuffled[1]} {shuffled[2]}\n\n"
        f"{frames[1]}\n\n{shuffled[3]} {shuffled[4]} {shuffled[5]}"
    )


@lru_cache(maxsize=1)
def load_corpus() -> tuple[Document, ...]:
    """Every corpus document, in a fixed order (same content on every run)."""
    docs: list[Document] = []
    for index, topic in enumerate(TOPICS):
        other = TOPICS[(index + 1) % len(TOPICS)]
        for kind, title_pattern in KINDS:
            rng = random.Random(f"{topic['slug']}/{kind}")
            title = title_pattern.format(
                name=_name(topic), question=topic["question"], other=_name(other)
            )
            text = f"{title}\n\n{_body(kind, topic, other, rng)}"
            url = f"{CORPUS_HOST}/{topic['slug']}/{kind}"
            docs.append(Document(url, title, str(topic["slug"]), kind, text))
    return tuple(docs)
