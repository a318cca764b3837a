"""The offline search corpus: 128 documents generated deterministically from
:mod:`apex_tui.server.corpus_data` (each topic × each document kind), plus the topics
themselves (:func:`topics`) for the writer and research, which summarise facts rather than
documents. Nothing is downloaded.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from apex_tui.server.corpus_data import ALIASES, KINDS, TOPICS

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


@dataclass(frozen=True)
class Topic:
    """One subject of the corpus: its facts (each a plain sentence), the question it answers,
    the words that name it in a question, and the documents made from it."""

    slug: str
    name: str
    question: str
    facts: tuple[str, ...]
    aliases: tuple[str, ...]
    urls: tuple[str, ...]


def _name(topic: dict[str, object]) -> str:
    return str(topic["name"])


def _facts(topic: dict[str, object]) -> list[str]:
    facts = topic["facts"]
    assert isinstance(facts, list)
    return [str(f) for f in facts]


def _body(kind: str, topic: dict[str, object], rng: random.Random) -> str:
    """A document's paragraphs: the topic's facts, arranged as its kind says. Nothing but the
    facts and their topic's own question, so a passage never reads as template or filler."""
    name, facts = _name(topic), _facts(topic)
    if kind == "faq":
        return (
            f"{topic['question']}\n{' '.join(facts[:3])}\n\n"
            f"What else is worth knowing about {name}?\n{' '.join(facts[3:])}"
        )
    if kind == "key-facts":  # one fact a paragraph: a search shows the one that matches
        return "\n\n".join(facts)
    ordered = facts[:]
    if kind != "overview":  # the overview keeps the natural order: definition first
        rng.shuffle(ordered)
    return f"{' '.join(ordered[:3])}\n\n{' '.join(ordered[3:])}"


@lru_cache(maxsize=1)
def load_corpus() -> tuple[Document, ...]:
    """Every corpus document, in a fixed order (same content on every run)."""
    docs: list[Document] = []
    for topic in TOPICS:
        for kind, title_pattern in KINDS:
            rng = random.Random(f"{topic['slug']}/{kind}")
            title = title_pattern.format(name=_name(topic), question=topic["question"])
            text = f"{title}\n\n{_body(kind, topic, rng)}"
            url = f"{CORPUS_HOST}/{topic['slug']}/{kind}"
            docs.append(Document(url, title, str(topic["slug"]), kind, text))
    return tuple(docs)


@lru_cache(maxsize=1)
def topics() -> tuple[Topic, ...]:
    """Every topic, in corpus order."""
    urls: dict[str, list[str]] = {}
    for doc in load_corpus():
        urls.setdefault(doc.topic, []).append(doc.url)
    return tuple(
        Topic(
            slug=str(t["slug"]),
            name=_name(t),
            question=str(t["question"]),
            facts=tuple(_facts(t)),
            aliases=ALIASES[str(t["slug"])],
            urls=tuple(urls[str(t["slug"])]),
        )
        for t in TOPICS
    )
