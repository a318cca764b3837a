"""The offline writer: composes a Markdown answer from the prompt, the conversation and the corpus.

It is deterministic for a given seed, prompt and conversation, and says plainly that it is an
offline writer, not a model. Rules (the client and the benchmarks rely on them):

* every answer opens with an italic label line naming the offline engine;
* the prompt is quoted back and earlier messages are summarised when there are any;
* corpus passages relevant to the prompt (BM25) become the body and a "Key points" list;
* a fenced code block is added when the prompt asks for code (language from the prompt,
  Python by default), a table when it asks for a comparison;
* **long answers**: when the prompt contains "long", "detailed", "in depth", "comprehensive",
  "thorough", "extensive" or "essay", the writer keeps adding sections (prose, lists, tables and
  code blocks in turn, drawn from the corpus) until the next one would pass the token budget
  (``max_new_tokens``, default 1024) — so ``max_new_tokens=20000`` gives ≈20,000 tokens;
* web-search answers cite their numbered sources as ``[n]``; chain-of-thought and reasoning
  answers show their steps before the answer.

A token is one whitespace-separated word with the whitespace before it (see :func:`tokens`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from apex_tui.api.models import ChatMessage, WebSearchResult
from apex_tui.server.corpus import Document, load_corpus
from apex_tui.server.engines.snippets import (
    code_block,
    comparison_table,
    detect_language,
    wants_code,
    wants_table,
)
from apex_tui.server.modes import CompletionMode
from apex_tui.server.search import corpus_index, tokenize

LABEL = "*Offline engine: a deterministic local writer in apex-tui's server, not a language model.*"
LONG_WORDS = (
    "long",
    "detailed",
    "in depth",
    "in-depth",
    "comprehensive",
    "thorough",
    "extensive",
    "essay",
)
DEFAULT_BUDGET = 1024
_TOKEN = re.compile(r"\s*\S+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def tokens(text: str) -> list[str]:
    """Split text into tokens: each word with the whitespace before it; joins back losslessly."""
    pieces = _TOKEN.findall(text)
    tail = text[sum(len(p) for p in pieces) :]
    if tail and pieces:
        pieces[-1] += tail
    return pieces


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class Draft:
    """An answer before streaming: the text and whether it was cut at the budget."""

    text: str
    truncated: bool


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _title(prompt: str) -> str:
    words = prompt.strip().split()
    head = " ".join(words[:9]).rstrip("?.!,:;")
    return (head[:1].upper() + head[1:]) if head else "Your question"


_FILLER = frozenset(
    [
        "write",
        "give",
        "tell",
        "explain",
        "show",
        "please",
        "long",
        "detailed",
        "essay",
        "depth",
        "comprehensive",
        "thorough",
        "extensive",
        "answer",
        "question",
        "function",
        "code",
        "example",
        "compare",
        "comparison",
        "difference",
        "between",
        "versus",
        "using",
        "use",
        "make",
        "create",
        "need",
        "want",
        "know",
        "help",
        "could",
        "would",
        "should",
        "some",
    ]
)


def _keywords(prompt: str) -> list[str]:
    seen: list[str] = []
    for word in tokenize(prompt):
        if len(word) > 2 and word not in seen and word not in _FILLER:
            seen.append(word)
    return seen[:6]


def wants_long(prompt: str) -> bool:
    text = prompt.lower()
    return any(word in text for word in LONG_WORDS)


class OfflineWriter:
    """Writes one answer; construct per request with the request's seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def write(
        self,
        messages: list[ChatMessage],
        mode: CompletionMode,
        budget: int,
        sources: list[WebSearchResult] | None = None,
    ) -> Draft:
        prompt = next((m.content for m in reversed(messages) if m.role == "user"), "")
        if not prompt and messages:
            prompt = messages[-1].content
        history = messages[:-1] if messages and messages[-1].content == prompt else messages
        rng = random.Random(f"{self.seed}\x00{prompt}\x00{len(history)}")
        hits = corpus_index().search(prompt, 4)
        keywords = _keywords(prompt)
        parts = [LABEL, f"## {_title(prompt)}"]
        if mode.steps:
            parts.append(self._steps(mode.steps, prompt, keywords, hits, sources, rng))
            parts.append("### Answer")
        parts.append(self._intro(prompt, history, keywords, mode, rng))
        parts.append(self._body(hits, sources, rng))
        points = self._key_points(hits, keywords)
        if points:
            parts.append("### Key points\n" + "\n".join(f"- {p}" for p in points))
        if wants_code(prompt):
            language = detect_language(prompt)
            parts.append(f"### Example in {language}\n{code_block(language, keywords, rng)}")
        if wants_table(prompt):
            parts.append("### Comparison\n" + self._table(prompt, hits))
        closing = self._closing(sources)
        if wants_long(prompt):
            used = count_tokens("\n\n".join([*parts, closing]))
            parts.extend(self._long_sections(prompt, keywords, budget - used, rng))
        parts.append(closing)
        text = "\n\n".join(p for p in parts if p)
        pieces = tokens(text)
        if len(pieces) > budget:
            return Draft("".join(pieces[:budget]), True)
        return Draft(text, False)

    # --- sections -------------------------------------------------------------------------

    def _steps(
        self,
        kind: str,
        prompt: str,
        keywords: list[str],
        hits: list,
        sources: list | None,
        rng: random.Random,
    ) -> str:
        found = len(sources) if sources is not None else len(hits)
        where = "web results" if sources is not None else "offline corpus documents"
        topics = ", ".join(f"**{k}**" for k in keywords[:3]) or "the wording of the question"
        steps = [
            f"Read the question and pick out what it is about: {topics}.",
            f"Look for material: {found} {where} match these terms.",
            "Decide the shape of the answer: "
            + ("a code example, " if wants_code(prompt) else "")
            + ("a comparison table, " if wants_table(prompt) else "")
            + "a short explanation and the key points.",
            rng.choice(
                (
                    "Check that every claim comes from a retrieved passage.",
                    "Keep only passages that mention the question's own terms.",
                )
            ),
        ]
        if kind == "chain-of-thought":
            return "### Thinking it through\n" + "\n".join(
                f"{i}. {s}" for i, s in enumerate(steps, start=1)
            )
        return "### Reasoning\n" + "\n".join(
            f"> **Step {i}.** {s}\n>" for i, s in enumerate(steps, start=1)
        ).rstrip(">\n")

    def _intro(
        self,
        prompt: str,
        history: list[ChatMessage],
        keywords: list[str],
        mode: CompletionMode,
        rng: random.Random,
    ) -> str:
        lines = [f"You asked: “{_clip(prompt, 240)}”."]
        earlier = [m for m in history if m.role in ("user", "assistant") and m.content.strip()]
        if earlier:
            first_user = next((m.content for m in earlier if m.role == "user"), "")
            last = earlier[-1]
            lines.append(
                f"This continues a conversation of {len(earlier)} earlier message"
                f"{'s' if len(earlier) != 1 else ''}"
                + (f", which began with “{_clip(first_user, 80)}”" if first_user else "")
                + f"; the last {last.role} message said “{_clip(last.content, 80)}”."
            )
        if keywords:
            lines.append(
                rng.choice(("The terms I focused on are", "The answer is built around"))
                + " "
                + ", ".join(f"**{k}**" for k in keywords[:4])
                + "."
            )
        if mode.mixture:
            lines.append("(Mixture-of-agents was requested; offline there is only one writer.)")
        return " ".join(lines)

    def _body(self, hits: list, sources: list[WebSearchResult] | None, rng: random.Random) -> str:
        if sources is not None:
            if not sources:
                return "The search returned no results, so this answer cannot cite sources."
            sentences = [
                f"{_first_sentences(s.relevant, 2)} [{i}]" for i, s in enumerate(sources, 1)
            ]
            return " ".join(sentences)
        if not hits:
            return (
                "The offline corpus has nothing on this topic, so this answer stays general: "
                "break the question into parts, check each against a trusted source, and "
                "ask again with more specific terms for a fuller offline answer."
            )
        chosen = [" ".join(clean_sentences(h.document)[:2]) for h in hits[:2]]
        opener = rng.choice(("From the offline corpus:", "Here is what the local corpus says."))
        return f"{opener} " + " ".join(chosen)

    @staticmethod
    def _key_points(hits: list, keywords: list[str]) -> list[str]:
        points: list[str] = []
        for hit in hits:
            for clean in clean_sentences(hit.document):
                if any(k in clean.lower() for k in keywords) and clean not in points:
                    points.append(clean)
                if len(points) >= 5:
                    return points
        return points

    @staticmethod
    def _table(prompt: str, hits: list) -> str:
        docs = load_corpus()
        split = re.split(r"\s+(?:vs\.?|versus|and|or)\s+", prompt.strip().rstrip("?."), maxsplit=1)
        if len(split) == 2:
            left, right = _title(split[0].split()[-1]), _title(split[1].split()[0])
        else:
            topics = list(dict.fromkeys(h.document.topic for h in hits))[:2]
            left = topics[0] if topics else "Option A"
            right = topics[1] if len(topics) > 1 else "Option B"
        facts = [_facts_for(left, docs), _facts_for(right, docs)]
        return comparison_table(left, right, facts[0], facts[1])

    @staticmethod
    def _closing(sources: list[WebSearchResult] | None) -> str:
        lines = []
        if sources:
            lines.append(
                "### Sources\n"
                + "\n".join(f"{i}. <{s.url}>" for i, s in enumerate(sources, start=1))
            )
        lines.append("_Written offline by apex-tui's local engine; facts come from its corpus._")
        return "\n\n".join(lines)

    def _long_sections(
        self, prompt: str, keywords: list[str], room: int, rng: random.Random
    ) -> list[str]:
        """Extra sections for long answers, most relevant documents first, until ``room`` ends."""
        docs = list(load_corpus())
        related = [h.document for h in corpus_index().search(prompt, 12)]
        rest = [d for d in docs if d not in related]
        rng.shuffle(rest)
        sections: list[str] = []
        for index, doc in enumerate(related + rest):
            section = self._section(doc, index, keywords, rng)
            cost = count_tokens(section)
            if cost > room:
                break
            sections.append(section)
            room -= cost
        return sections

    @staticmethod
    def _section(doc: Document, index: int, keywords: list[str], rng: random.Random) -> str:
        paragraphs = doc.paragraphs[1:]
        prose = " ".join(" ".join(p.split()) for p in paragraphs[:2])
        parts = [f"### {index + 1}. {doc.title}", prose]
        shape = index % 4
        sentences = clean_sentences(doc)
        if shape == 1:
            parts.append("\n".join(f"- {' '.join(s.split())}" for s in sentences[:4]))
        elif shape == 2:
            half = max(1, len(sentences) // 2)
            parts.append(
                comparison_table(
                    "First view", "Second view", sentences[:half], sentences[half:] or sentences
                )
            )
        elif shape == 3:
            words = [w for w in tokenize(doc.title) if len(w) > 2][:3] or keywords[:3]
            language = ("python", "rust", "go", "typescript", "bash", "sql")[index // 4 % 6]
            parts.append(code_block(language, words, rng))
        parts.append(f"Source: <{doc.url}>")
        return "\n\n".join(parts)


def clean_sentences(doc: Document) -> list[str]:
    """The factual sentences of a document: no title, questions, labels or step numbers."""
    result: list[str] = []
    for paragraph in doc.paragraphs[1:]:
        for line in paragraph.split("\n"):
            line = re.sub(r"^(A:|Step \d+\.|[^.:]{1,40}: )\s*", "", line.strip())
            if line.startswith("Q:"):
                continue
            for sentence in _SENTENCE.split(line):
                if sentence.endswith(".") and len(sentence.split()) > 4:
                    result.append(sentence)
    return result


def _first_sentences(text: str, count: int) -> str:
    sentences = [s for s in _SENTENCE.split(" ".join(text.split())) if s]
    return " ".join(sentences[:count])


def _facts_for(subject: str, docs: tuple[Document, ...]) -> list[str]:
    hits = corpus_index().search(subject, 1)
    if not hits:
        return []
    overview = next(
        (d for d in docs if d.topic == hits[0].document.topic and d.kind == "overview"), None
    )
    return clean_sentences(overview or hits[0].document)[1:]
