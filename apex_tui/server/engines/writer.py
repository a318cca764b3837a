"""The offline writer: a Markdown answer summarising what the corpus holds on the prompt.

It is deterministic for a given seed, prompt and conversation, and says plainly that it is an
offline writer, not a model. Rules (the client and the benchmarks rely on them):

* every answer opens with an italic label line naming the offline engine and ends with one line
  saying how to connect a real model;
* the prompt is quoted back and earlier messages are summarised when there are any;
* the body is what the corpus holds on the prompt (:mod:`~apex_tui.server.findings`): the
  facts of the topics it names, or the ones that mention its words; "nothing on this" when no
  topic fits, and the words it has nothing on are named. No fact appears twice in an answer;
* a fenced code block is added when the prompt asks for code (language from the prompt,
  Python by default), a table when it asks for a comparison;
* **long answers**: when the prompt contains "long", "detailed", "in depth", "comprehensive",
  "thorough", "extensive" or "essay", sections follow (:mod:`.long_answer`) until the next one
  would pass the token budget (``max_new_tokens``, default 1024) — so ``max_new_tokens=20000``
  gives ≈20,000 tokens;
* web-search answers cite their numbered sources as ``[n]`` (a sentence two sources share is
  cited once with both numbers); chain-of-thought and reasoning answers show their steps
  before the answer.

A token is one whitespace-separated word with the whitespace before it (see :func:`tokens`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from apex_tui.api.models import ChatMessage, WebSearchResult
from apex_tui.server.corpus import Topic, topics
from apex_tui.server.engines.long_answer import long_sections
from apex_tui.server.engines.snippets import (
    code_block,
    comparison_table,
    count_tokens,
    detect_language,
    tokens,
    wants_code,
    wants_table,
)
from apex_tui.server.findings import FILLER, MAX_SUBJECT_WORDS, Findings, find, text_share
from apex_tui.server.modes import CompletionMode
from apex_tui.server.search import tokenize
from apex_tui.shorten import shorten

__all__ = ["DEFAULT_BUDGET", "LABEL", "Draft", "OfflineWriter", "count_tokens", "tokens"]

LABEL = "*Offline engine: a deterministic local writer in apex-tui's server, not a language model.*"
CONNECT = (
    "_Offline engine — to connect a real model: `apex-tui config set server.engine openai`, "
    "then `server.upstream_url` and `server.upstream_model` (see the README)._"
)
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
GREETINGS = frozenset(
    ["hello", "hi", "hey", "hiya", "greetings", "thanks", "thank", "good", "morning", "evening"]
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MARKER = re.compile(r"^(?:[-*] |\d+\. |[AQ]: )")


@dataclass(frozen=True)
class Draft:
    """An answer before streaming: the text and whether it was cut at the budget."""

    text: str
    truncated: bool


def _title(prompt: str) -> str:
    words = prompt.strip().split()
    head = " ".join(words[:9]).rstrip("?.!,:;")
    return (head[:1].upper() + head[1:]) if head else "Your question"


def _keywords(prompt: str) -> list[str]:
    seen: list[str] = []
    for word in tokenize(prompt):
        if len(word) > 2 and word not in seen and word not in FILLER:
            seen.append(word)
    return seen[:6]


def _bold_list(words: list[str]) -> str:
    marked = [f"**{w}**" for w in words]
    return marked[0] if len(marked) == 1 else ", ".join(marked[:-1]) + " and " + marked[-1]


def wants_long(prompt: str) -> bool:
    text = prompt.lower()
    return any(word in text for word in LONG_WORDS)


def is_greeting(prompt: str) -> bool:
    words = re.findall(r"[a-z]+", prompt.lower())
    return bool(words) and all(w in GREETINGS or w in ("there", "you", "apex") for w in words)


def text_sentences(text: str) -> list[str]:
    """The statements of a passage: no questions, list or Q/A markers, or short fragments."""
    result: list[str] = []
    for line in text.split("\n"):
        line = _MARKER.sub("", line.strip())
        for sentence in _SENTENCE.split(line):
            if sentence.endswith(".") and len(sentence.split()) > 4 and sentence not in result:
                result.append(sentence)
    return result


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
        findings = find(prompt)
        used: set[str] = set()
        parts = [LABEL, f"## {_title(prompt)}"]
        if mode.steps:
            parts.append(self._steps(mode.steps, prompt, findings, sources, rng))
            parts.append("### Answer")
        parts.append(self._intro(prompt, history, findings, mode))
        if sources is not None:
            parts.append(self._cited(sources, prompt, findings, used))
        else:
            parts.append(self._summary(prompt, findings, used, rng))
        table = self._table(prompt, findings, used) if wants_table(prompt) else ""
        if sources is None:
            points = [f.text for f in findings.facts if f.text not in used][:5]
            used.update(points)
            if points:
                parts.append("### Key points\n" + "\n".join(f"- {p}" for p in points))
        if wants_code(prompt):
            language = detect_language(prompt)
            keywords = _keywords(prompt)
            parts.append(f"### Example in {language}\n{code_block(language, keywords, rng)}")
        if table:
            parts.append(table)
        closing = self._closing(sources)
        if wants_long(prompt):
            used_tokens = count_tokens("\n\n".join([*parts, closing]))
            fitting = [f.topic for f in findings.fits]
            parts.extend(long_sections(fitting, used, budget - used_tokens, rng))
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
        findings: Findings,
        sources: list[WebSearchResult] | None,
        rng: random.Random,
    ) -> str:
        words = _keywords(prompt)[:3]
        about = _bold_list(words) if words else "the wording of the question"
        if sources is not None:
            found = f"Read the {len(sources)} web result{'s' if len(sources) != 1 else ''}"
            found += " and keep those about it."
        elif findings.named:
            found = f"Look it up in the offline corpus: it covers {_names(findings.named)}."
        elif findings.facts:
            found = "Look it up in the offline corpus: it mentions this only in passing."
        else:
            found = "Look it up in the offline corpus: nothing there fits."
        shape = "Decide the shape of the answer: "
        shape += "a code example, " if wants_code(prompt) else ""
        shape += "a comparison table, " if wants_table(prompt) else ""
        if sources is not None:
            shape += "a short summary citing the sources that fit by number."
        else:
            shape += "a plain no." if findings.empty else "a short summary and the key points."
        steps = [
            f"Pick out what the question is about: {about}.",
            found,
            shape,
            rng.choice(
                (
                    "Keep every sentence to a fact the sources hold.",
                    "Leave out whatever the sources do not say.",
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
        findings: Findings,
        mode: CompletionMode,
    ) -> str:
        quoted = shorten(prompt, 240)
        lines = [f"You asked: “{quoted}”" + ("" if quoted.endswith(("?", "!", ".")) else ".")]
        earlier = [m for m in history if m.role in ("user", "assistant") and m.content.strip()]
        if earlier:
            first_user = next((m.content for m in earlier if m.role == "user"), "")
            last = earlier[-1]
            lines.append(
                f"This continues a conversation of {len(earlier)} earlier message"
                f"{'s' if len(earlier) != 1 else ''}"
                + (f", which began with “{shorten(first_user, 80)}”" if first_user else "")
                + f"; the last {last.role} message said “{shorten(last.content, 80)}”."
            )
        if findings.named:
            covered = f"The offline corpus covers this under {_names(findings.named)}"
            if len(findings.missing) > MAX_SUBJECT_WORDS:
                covered += ", but not the rest of the question"
            elif findings.missing:
                covered += f", but it has nothing on {_bold_list(findings.missing)}"
            lines.append(covered + ".")
        elif findings.facts:
            under = _names(list(dict.fromkeys(f.topic for f in findings.facts)))
            lines.append(f"The offline corpus mentions this only in passing, under {under}.")
        if mode.mixture:
            lines.append("(Mixture-of-agents was requested; offline there is only one writer.)")
        return " ".join(lines)

    def _summary(self, prompt: str, findings: Findings, used: set[str], rng: random.Random) -> str:
        if is_greeting(prompt):
            return (
                "Hello. This is apex-tui's offline engine: it answers from a small built-in "
                f"corpus on {_sample_of_topics(rng)}, and more. Ask about one of those."
            )
        if findings.empty:
            return (
                f"The offline corpus has nothing on {findings.subject}, "
                "so there is nothing to summarise. "
                f"It holds notes on {_sample_of_topics(rng)}, and more; ask about one of those, "
                "or connect a real model for anything else."
            )
        named = findings.named[:2]
        if not named:
            facts = [f.text for f in findings.facts[:3]]
            used.update(facts)
            return " ".join(facts)
        each = 3 if len(named) == 1 else 2
        paragraphs = []
        for topic in named:
            facts = [f.text for f in findings.facts if f.topic == topic][:each]
            used.update(facts)
            lead = f"**{topic.name}.** " if len(named) > 1 else ""
            paragraphs.append(lead + " ".join(facts))
        return "\n\n".join(paragraphs)

    @staticmethod
    def _cited(
        sources: list[WebSearchResult], prompt: str, findings: Findings, used: set[str]
    ) -> str:
        if not sources:
            return "The search returned no results, so this answer cannot cite sources."
        numbered = list(enumerate(sources, start=1))
        fitting = [
            (n, s)
            for n, s in numbered
            if not findings.terms or text_share(prompt, s.content or s.relevant) >= 0.5
        ]
        if not fitting:
            refs = ", ".join(f"[{n}]" for n, _ in numbered)
            about = findings.subject
            return f"None of the sources ({refs}) is about {about}; they are listed below."
        cited: dict[str, list[int]] = {}
        for number, source in fitting:
            fresh = 0
            sentences = text_sentences(source.relevant or source.content)
            sentences.sort(key=lambda s: -text_share(prompt, s))  # the ones on the question first
            for sentence in sentences:
                if sentence in cited:
                    cited[sentence].append(number)
                elif fresh < 2:
                    cited[sentence] = [number]
                    fresh += 1
        if not cited:
            return "The sources hold no statement to cite."
        used.update(cited)
        return " ".join(f"{s} {''.join(f'[{n}]' for n in ns)}" for s, ns in cited.items())

    @staticmethod
    def _table(prompt: str, findings: Findings, used: set[str]) -> str:
        """Two subjects side by side, each with facts not yet in the answer."""
        split = re.split(r"\s+(?:vs\.?|versus|and|or)\s+", prompt.strip().rstrip("?."), maxsplit=1)
        subjects: list[tuple[str, Topic | None]] = []
        if len(split) == 2 and split[0].split() and split[1].split():
            for word in (split[0].split()[-1], split[1].split()[0]):
                found = find(word).named
                subjects.append((_title(word), found[0] if found else None))
        if not any(topic for _, topic in subjects):  # "pros and cons of Docker": not two sides
            subjects = [(t.name, t) for t in findings.named[:2]]
            subjects += [(_title(w), None) for w in findings.missing][: 2 - len(subjects)]
        if len(subjects) < 2 or not any(topic for _, topic in subjects):
            return ""  # the "nothing on …" above already says the corpus lacks both
        columns: list[list[str]] = []
        for _, topic in subjects:
            facts = [f for f in topic.facts if f not in used][:4] if topic else []
            used.update(facts)
            columns.append(facts)
        heads = [topic.name if topic else name for name, topic in subjects]
        return "### Comparison\n" + comparison_table(heads[0], heads[1], columns[0], columns[1])

    @staticmethod
    def _closing(sources: list[WebSearchResult] | None) -> str:
        lines = []
        if sources:
            lines.append(
                "### Sources\n"
                + "\n".join(f"{i}. <{s.url}>" for i, s in enumerate(sources, start=1))
            )
        lines.append(CONNECT)
        return "\n\n".join(lines)


def _names(found: list[Topic]) -> str:
    return _bold_list([t.name for t in found])


def _sample_of_topics(rng: random.Random) -> str:
    """A few of the corpus's topics by name (which ones depends on the seed)."""
    names = [t.name for t in rng.sample(list(topics()), 5)]
    return ", ".join(names)
