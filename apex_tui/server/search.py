"""Ranked search over the offline corpus with BM25 (k1=1.5, b=0.75); titles count twice.

Each hit carries the whole document and its best passage (the paragraph with the highest
BM25 score for the query), matching WebSearchResult's ``content`` and ``relevant``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from apex_tui.server.corpus import Document, load_corpus
from apex_tui.shorten import shorten

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
        "me",
        "my",
        "we",
        "our",
        "about",
        "into",
    ]
)
K1 = 1.5
B = 0.75
MAX_QUERY_CHARS = 4000
"""Only this much of a query is searched for: the cost grows with the query's terms (a 1 MB
query took seconds of CPU per search); a long prompt's opening says what it is about."""


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens without stop words (the same rule for documents and queries)."""
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


@dataclass(frozen=True)
class Hit:
    document: Document
    score: float
    passage: str


class Bm25Index:
    """An in-memory BM25 index over a fixed list of documents."""

    def __init__(self, documents: Sequence[Document]) -> None:
        self.documents = list(documents)
        self._tfs: list[Counter[str]] = []
        self._lengths: list[int] = []
        df: Counter[str] = Counter()
        for doc in self.documents:
            terms = tokenize(doc.text) + tokenize(doc.title)  # the title counts twice
            tf = Counter(terms)
            self._tfs.append(tf)
            self._lengths.append(len(terms))
            df.update(tf.keys())
        n = len(self.documents)
        self._avg = sum(self._lengths) / n if n else 0.0
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def _score(self, terms: list[str], tf: Counter[str], length: int) -> float:
        score = 0.0
        norm = K1 * (1 - B + B * length / self._avg) if self._avg else K1
        for term in terms:
            freq = tf.get(term, 0)
            if freq:
                score += self._idf.get(term, 0.0) * freq * (K1 + 1) / (freq + norm)
        return score

    def best_passage(self, doc: Document, terms: list[str]) -> str:
        """The paragraph (after the title) that matches the query best; the first on a tie."""
        paragraphs = doc.paragraphs[1:] or doc.paragraphs
        scored = [
            (self._score(terms, Counter(tokenize(p)), len(tokenize(p)) or 1), -i, p)
            for i, p in enumerate(paragraphs)
        ]
        return max(scored)[2]

    def search(self, query: str, limit: int) -> list[Hit]:
        """Up to ``limit`` documents with a positive score, best first (ties by corpus order)."""
        terms = tokenize(query[:MAX_QUERY_CHARS])
        if not terms or limit <= 0:
            return []
        scored = [
            (self._score(terms, tf, length), i)
            for i, (tf, length) in enumerate(zip(self._tfs, self._lengths, strict=True))
        ]
        ranked = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))[:limit]
        return [
            Hit(self.documents[i], score, self.best_passage(self.documents[i], terms))
            for score, i in ranked
        ]


@lru_cache(maxsize=1)
def corpus_index() -> Bm25Index:
    """The shared index over the shipped corpus (built once, about 300 documents)."""
    return Bm25Index(load_corpus())


def best_passage(query: str, text: str, limit: int = 600) -> str:
    """The paragraph of a page's ``text`` that matches ``query`` best (BM25 over the page's
    paragraphs, one per line or blank-line block); the first one when none matches."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\n", text)]
    paragraphs = [p for p in paragraphs if len(p) >= 40] or [" ".join(text.split())]
    documents = [Document(url="", title="", topic="", kind="", text=p) for p in paragraphs]
    hits = Bm25Index(documents).search(query, 1)
    passage = hits[0].document.text if hits else paragraphs[0]
    return shorten(passage, limit)
