"""What the offline corpus holds on a prompt: the topics that fit it, their facts (most to the
point first) and the prompt's words that nothing covers. The offline writer and the offline
research plan both summarise from here, so both say "nothing on this" for the same prompts.

A topic fits a prompt when the prompt names it (one of its aliases, as whole words: "rate
limits" names rate limiting, "exchange rate" does not), or when the prompt's words it covers
carry at least half their weight, each word weighted by how few topics use it (a word no topic
uses weighs most). Raw BM25 is no test: its score is positive as soon as one word matches, so
"What is gravity mode?" would be answered from SQLite's WAL *mode*. A named topic gives all its
facts; a topic that only fits gives the facts that mention the prompt's words.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from apex_tui.server.corpus import Topic, topics
from apex_tui.server.search import tokenize
from apex_tui.shorten import shorten

MAX_SUBJECT_WORDS = 5
"""Missing words named as the subject of "nothing on …"; more read as a keyword list."""

__all__ = [
    "FILLER",
    "Fact",
    "Findings",
    "TopicFit",
    "content_terms",
    "find",
    "stem",
    "text_share",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FILLER = _words(
    "write give tell explain show please long detailed essay depth comprehensive thorough "
    "extensive answer question function code example compare comparison difference "
    "between versus using use used make create need want know help could would should "
    "some table work works mean means thing things like way ways about summarise "
    "summarize describe talk list also more much many pros cons"
)
"""Words that say what kind of answer is wanted, not what it is about."""
FIT = 0.5
"""Share of the prompt's weight a topic must cover to fit without being named."""
_SLASH_NUMBER = re.compile(r"(?<=[a-z])/(?=\d)")  # "http/2" is one word: "http2"


def stem(word: str) -> str:
    """A light English stem so "subnets", "ranking" and "retries" meet "subnet", "rank" and
    "retry" (prompts and facts go through the same rule, so it need not be a real stemmer)."""
    if len(word) > 4:
        if word.endswith("ies"):
            return word[:-3] + "y"
        if word.endswith("ing") and len(word) > 5:
            return word[:-3]
        if word.endswith("es") and word[-3] in "sxz":
            return word[:-2]
        if word.endswith("s") and not word.endswith("ss"):
            return word[:-1]
    return word


def _stems(text: str) -> list[str]:
    return [stem(w) for w in tokenize(_SLASH_NUMBER.sub("", text.lower()))]


def content_terms(prompt: str) -> list[str]:
    """The stems of what the prompt is about: no stop words, filler or two-letter words."""
    terms: list[str] = []
    for word in tokenize(_SLASH_NUMBER.sub("", prompt.lower())):
        term = stem(word)
        if len(word) > 2 and word not in FILLER and term not in FILLER and term not in terms:
            terms.append(term)
    return terms


@dataclass(frozen=True)
class Fact:
    topic: Topic
    index: int
    """Its place among the topic's facts (0 is the definition)."""
    text: str

    @property
    def url(self) -> str:
        """The topic's overview, where the fact can be read."""
        return self.topic.urls[0]


@dataclass(frozen=True)
class TopicFit:
    topic: Topic
    named: bool
    """The prompt names the topic (one of its aliases)."""
    covered: tuple[str, ...]
    """The prompt's terms the topic's text holds."""
    share: float
    """The covered terms' share of the prompt's weight."""


@dataclass
class Findings:
    terms: list[str]
    fits: list[TopicFit] = field(default_factory=list)
    """Best first: named topics, then by share."""
    facts: list[Fact] = field(default_factory=list)
    """Unique, most to the point first."""
    missing: list[str] = field(default_factory=list)
    """The prompt's terms no fitting topic holds, as the prompt wrote them, each once."""
    question: str = ""
    """The prompt, for :attr:`subject`."""

    @property
    def named(self) -> list[Topic]:
        return [f.topic for f in self.fits if f.named]

    @property
    def empty(self) -> bool:
        return not self.facts

    @property
    def subject(self) -> str:
        """What the corpus lacks, in Markdown: the missing words in bold when they are few
        ("**gravity mode**"), else the question itself, quoted and shortened on a word
        boundary, since a long list of keywords reads as noise, not as a subject."""
        if self.missing and len(self.missing) <= MAX_SUBJECT_WORDS:
            return f"**{' '.join(self.missing)}**"
        if self.question.strip():
            return f"“{shorten(' '.join(self.question.split()), 80)}”"
        return "this question"


@dataclass(frozen=True)
class _TopicIndex:
    vocabulary: dict[str, frozenset[str]]
    aliases: dict[str, tuple[tuple[str, ...], ...]]
    fact_stems: dict[tuple[str, int], frozenset[str]]
    weight: dict[str, float]
    unknown_weight: float


@lru_cache(maxsize=1)
def _index() -> _TopicIndex:
    vocabulary, aliases, fact_stems = {}, {}, {}
    for topic in topics():
        text = " ".join((topic.name, topic.slug.replace("-", " "), topic.question, *topic.facts))
        vocabulary[topic.slug] = frozenset(_stems(text))
        aliases[topic.slug] = tuple(tuple(_stems(a)) for a in topic.aliases)
        for i, fact in enumerate(topic.facts):
            fact_stems[(topic.slug, i)] = frozenset(_stems(fact))
    n = len(vocabulary)
    counts: dict[str, int] = {}
    for words in vocabulary.values():
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    weight = {w: math.log((n + 1) / (c + 0.5)) for w, c in counts.items()}
    return _TopicIndex(vocabulary, aliases, fact_stems, weight, math.log((n + 1) / 0.5))


def _names(sequence: list[str], alias: tuple[str, ...]) -> bool:
    size = len(alias)
    return size > 0 and any(
        tuple(sequence[i : i + size]) == alias for i in range(len(sequence) - size + 1)
    )


def _original_words(prompt: str, terms: list[str]) -> list[str]:
    """The prompt's own spelling of each term ("Postgres" for "postgre")."""
    spelled: dict[str, str] = {}
    for word in re.findall(r"[\w/-]+", prompt):
        for term in content_terms(word):
            spelled.setdefault(term, word.strip("-/"))
    return [spelled.get(t, t) for t in terms]


def find(prompt: str, *, limit: int = 12) -> Findings:
    """What the corpus holds on ``prompt``: fitting topics and up to ``limit`` facts."""
    index = _index()
    terms = content_terms(prompt)
    findings = Findings(terms, question=prompt)
    if not terms:
        return findings
    weight = {t: index.weight.get(t, index.unknown_weight) for t in terms}
    total = sum(weight.values())
    sequence = _stems(prompt)
    for topic in topics():
        said = [a for a in index.aliases[topic.slug] if _names(sequence, a)]
        named = bool(said)
        vocabulary = index.vocabulary[topic.slug].union(*said)  # "golang" names Go's topic
        covered = tuple(t for t in terms if t in vocabulary)
        share = sum(weight[t] for t in covered) / total
        if named or (covered and share >= FIT):
            findings.fits.append(TopicFit(topic, named, covered, share))
    findings.fits.sort(key=lambda f: (not f.named, -f.share))
    findings.facts = _facts(findings.fits, weight, index)[:limit]
    held = {t for f in findings.fits for t in f.covered}
    missing = [t for t in terms if t not in held]
    findings.missing = list(
        dict.fromkeys(
            w for t, w in zip(terms, _original_words(prompt, terms), strict=True) if t in missing
        )
    )  # "human-defined" is two terms, one word
    return findings


def _facts(fits: list[TopicFit], weight: dict[str, float], index: _TopicIndex) -> list[Fact]:
    """Named topics' facts, then the facts of the others that hold most of the prompt's
    weight themselves (half of it, three quarters beside a named topic: "rate limits" wants
    the 429 status, not TCP's sending *rate*). Within a topic the facts sharing the most
    weight with the prompt come first, after a named topic's definition."""
    chosen: list[Fact] = []
    seen: set[str] = set()
    total = sum(weight.values())
    bar = 0.75 if any(f.named for f in fits) else FIT
    for fit in fits:
        scored = []
        for i, text in enumerate(fit.topic.facts):
            stems = index.fact_stems[(fit.topic.slug, i)]
            overlap = sum(w for t, w in weight.items() if t in stems)
            if fit.named or overlap >= bar * total:
                lead = fit.named and i == 0  # a named topic opens with its definition
                scored.append((not lead, -overlap, i, text))
        for _, _, i, text in sorted(scored):
            if text not in seen:
                seen.add(text)
                chosen.append(Fact(fit.topic, i, text))
    return chosen


def text_share(prompt: str, text: str) -> float:
    """The share of the prompt's weight a text (a web result) covers, by the same weights as
    the topics; a text holding a topic's alias the prompt names covers all of it."""
    index = _index()
    terms = content_terms(prompt)
    if not terms:
        return 0.0
    words = set(_stems(text))
    sequence, found = _stems(prompt), _stems(text)
    for aliases in index.aliases.values():
        for alias in aliases:
            if _names(sequence, alias) and _names(found, alias):
                return 1.0
    weight = {t: index.weight.get(t, index.unknown_weight) for t in terms}
    return sum(w for t, w in weight.items() if t in words) / sum(weight.values())
