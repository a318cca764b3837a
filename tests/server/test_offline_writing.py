"""The offline engine reads like a careful summary of its corpus: no sentence twice in an answer,
no template or filler text, research sub-questions that are plain questions, "nothing on this"
when nothing fits, and one line on connecting a real model — over many prompts and seeds."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from apex_tui.api.models import ChatCompletionRequest, ChatMessage
from apex_tui.server.corpus import load_corpus, topics
from apex_tui.server.engines.writer import CONNECT, LABEL, OfflineWriter
from apex_tui.server.findings import find
from apex_tui.server.modes import CompletionMode
from apex_tui.server.research import plan_steps
from apex_tui.server.websearch import WebSearcher

ON_TOPIC = [
    "What is Bittensor?",
    "Tell me about Bittensor",
    "How do Bittensor subnets reward miners?",
    "Explain how Apex validators score miners",
    "Why is SQLite a good embedded database?",
    "Compare SQLite and Postgres, with a table",
    "Compare SQLite vs BM25 ranking",
    "How does BM25 rank documents?",
    "How do rate limits work?",
    "Compare TCP and UDP",
    "Explain HTTP/2",
    "Write a golang function using goroutines",
    "How do deep research agents use web search?",
    "What is Bittensor and how do subnets work?",
    "python asyncio event loop",
    "rust borrow checker",
    "What are the pros and cons of Docker?",
    "How should API keys be handled?",
    "What is retrieval-augmented generation and how does it use BM25?",
    "Write a Python function that retries failed HTTP requests with backoff",
    "How does Git track changes?",
    "What is a mode?",
]
OFF_TOPIC = [
    "What is gravity mode?",
    "What is the capital of France?",
    "How do I bake bread with yeast?",
    "What is the exchange rate?",
    "Who won the football world cup?",
    "What is quantum chromodynamics?",
    "Tell me a story about dragons",
    "Compare apples and oranges in a table",
]
MODES = [
    CompletionMode(),
    CompletionMode(steps="chain-of-thought"),
    CompletionMode(steps="reasoning"),
    CompletionMode(web_search=True),
    CompletionMode(web_search=True, steps="chain-of-thought"),
]
SEEDS = [0, 7, 123456]
TEMPLATE_MARKERS = [
    re.compile(p)
    for p in (
        r"(?m)^\s*[QA]: ",
        r"\b[QA]: [A-Z]",
        r"point \d+ to know",
        r"Terms used when discussing",
        r"This overview collects",
        r"In short, .* matters because",
        r"grew out of practical needs",
        r"Early adopters of",
        r"Teams that use .* well",
        r"The practices below",
        r"When something goes wrong with",
        r"Most problems with .* trace back",
        r"These reference notes summarise",
        r"Keep these notes about",
        r"relies on .* in several places",
        r"taught them",
        r"bear on the question",
        r"What is known about",
    )
]
_FENCE = re.compile(r"```.*?```", re.S)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def sentences(markdown: str) -> list[str]:
    """The prose sentences of an answer: code blocks, headings and citations left out; list
    items and table cells each count."""
    found = []
    for line in _FENCE.sub("", markdown).splitlines():
        line = line.strip()
        if not line or line.startswith("#") or set(line) <= set("|- "):
            continue
        cells = [c for c in line.strip("|").split("|")] if line.startswith("|") else [line]
        for cell in cells:
            cell = re.sub(r"^(?:[-*>] |\d+\. |\*\*Step \d+\.\*\* )", "", cell.strip())
            cell = re.sub(r"\s*(?:\[\d+\])+", "", cell)
            for sentence in _SENTENCE.split(cell):
                if len(sentence.split()) >= 5:
                    found.append(sentence.strip())
    return found


def answer(prompt: str, mode: CompletionMode, seed: int, budget: int = 1024) -> str:
    messages = [ChatMessage(role="user", content=prompt)]
    sources = WebSearcher()._offline(prompt, 5) if mode.web_search else None
    return OfflineWriter(seed).write(messages, mode, budget, sources).text


def research(prompt: str, seed: int) -> list[str]:
    request = ChatCompletionRequest(messages=[ChatMessage(role="user", content=prompt)])
    return plan_steps(request, seed)


def _repeats(text: str) -> list[str]:
    return [s for s, n in Counter(sentences(text)).items() if n > 1]


def test_the_sentence_splitter_sees_a_repeat() -> None:
    """The checks below could not fail if this did not."""
    fact = "SQLite is a small embedded database engine."
    text = f"Intro. {fact}\n\n- {fact} [2]"
    assert _repeats(text) == [fact]


@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.completion_type)
def test_no_sentence_twice_and_no_template_text(mode: CompletionMode) -> None:
    for prompt in ON_TOPIC + OFF_TOPIC:
        for seed in SEEDS:
            text = answer(prompt, mode, seed)
            assert not _repeats(text), (prompt, seed, _repeats(text))
            for marker in TEMPLATE_MARKERS:
                assert not marker.search(text), (prompt, seed, marker.pattern)
            assert text.startswith(LABEL) and text.rstrip().endswith(CONNECT), prompt


@pytest.mark.parametrize(
    "prompt", ["Write a long detailed essay about decentralized AI", "Tell me a long story"]
)
def test_long_answers_repeat_nothing_within_the_corpus(prompt: str) -> None:
    text = answer(prompt, CompletionMode(), 5, budget=3000)
    assert not _repeats(text), _repeats(text)
    assert 2500 < len(text.split()) <= 3000 and "(again)" not in text


def test_off_topic_prompts_get_the_nothing_fits_answer() -> None:
    facts = {fact for topic in topics() for fact in topic.facts}
    for prompt in OFF_TOPIC:
        assert find(prompt).empty, prompt
        for seed in SEEDS:
            text = answer(prompt, CompletionMode(), seed)
            assert "The offline corpus has nothing on" in text, prompt
            assert "### Key points" not in text
            assert not [f for f in facts if f in text], prompt  # no fact pretends to fit
        report = research(prompt, 1)[-1]
        assert "The offline corpus has nothing on" in report and "## Sources" not in report
        assert not [f for f in facts if f in report]
    assert "SQLite" not in answer("What is gravity mode?", CompletionMode(), 1)


def test_a_prompt_naming_a_topic_says_what_it_lacks() -> None:
    text = answer("Compare SQLite and Postgres, with a table", CompletionMode(), 1)
    assert "covers this under **SQLite**, but it has nothing on **Postgres**" in text
    assert "| | SQLite | Postgres |" in text and "Not in the offline corpus." in text
    assert find("How do rate limits work?").named[0].slug == "rate-limiting"
    assert not find("What is the exchange rate?").fits  # "rate" alone names nothing


def test_web_answers_cite_only_sources_about_the_question() -> None:
    text = answer("What is gravity mode?", CompletionMode(web_search=True), 1)
    assert "is about **gravity mode**; they are listed below" in text
    assert "Write-ahead" not in text
    cited = answer("What is Bittensor?", CompletionMode(web_search=True), 1)
    assert re.search(r"\[\d\]\[\d\]", cited)  # a fact two sources share: cited once, twice


def _plan(steps: list[str]) -> list[str]:
    plan = next(s for s in steps if s.startswith("## Research Plan"))
    return [line.split(". ", 1)[1] for line in plan.splitlines() if re.match(r"\d+\. ", line)]


QUESTION = re.compile(r"^(What|How|Why|Which|When|Where|Who|Is|Are|Does|Do|Can|Should) [^?]+\?$")


def test_research_sub_questions_are_plain_questions() -> None:
    for prompt in ON_TOPIC + OFF_TOPIC + ["Why is SQLite a good embedded database? And BM25?"]:
        for seed in SEEDS:
            steps = research(prompt, seed)
            questions = _plan(steps)
            assert 1 <= len(questions) <= 3 and len(set(questions)) == len(questions), prompt
            for question in questions:
                assert QUESTION.match(question), (prompt, question)
                assert question.count("?") == 1, (prompt, question)


def test_research_reports_repeat_nothing_and_show_no_template() -> None:
    for prompt in ON_TOPIC + OFF_TOPIC:
        report = research(prompt, 3)[-1]
        assert not _repeats(report), (prompt, _repeats(report))
        for marker in TEMPLATE_MARKERS:
            assert not marker.search("\n".join(research(prompt, 3))), (prompt, marker.pattern)
        assert CONNECT in report


def test_research_and_answers_are_deterministic() -> None:
    for prompt in ON_TOPIC[:6]:
        assert research(prompt, 9) == research(prompt, 9)
        assert answer(prompt, CompletionMode(), 9) == answer(prompt, CompletionMode(), 9)


def test_corpus_documents_hold_no_template_text() -> None:
    for doc in load_corpus():
        for marker in TEMPLATE_MARKERS:
            assert not marker.search(doc.text), (doc.url, marker.pattern)


def test_a_long_off_topic_question_is_quoted_not_listed_as_keywords() -> None:
    """The SDK docs' deep-research question: nothing fits, and its eighteen missing words
    (one of them "human-defined", two terms) must not become the subject of every sentence."""
    prompt = (
        "Can you propose a mechanism by which a decentralized network of AI agents could achieve"
        " provable alignment on abstract ethical principles without relying on human-defined"
        " ontologies or centralized arbitration?"
    )
    found = find(prompt)
    assert found.empty and found.missing.count("human-defined") == 1
    assert found.subject.startswith("“Can you propose a mechanism") and "**" not in found.subject
    report = research(prompt, 1)
    plan = next(c for c in report if c.startswith("## Research Plan"))
    assert "1. What does the offline corpus hold on this question?" in plan
    assert "The offline corpus has nothing on “Can you propose" in report[-1]
    assert "nothing on **gravity mode**" in answer("What is gravity mode?", CompletionMode(), 1)
