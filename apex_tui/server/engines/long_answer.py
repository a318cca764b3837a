"""Long answers ("a long, detailed essay on …"): sections after the summary, one per corpus
topic, until the next would pass the token budget.

The topics the prompt fits come first, then the rest of the corpus (in a seed-dependent order)
under a line saying they are not about the question. Each fact appears once, and never one the
summary above already gave; only a budget larger than the corpus (≈5,000 tokens; streaming
benchmarks ask for 20,000) goes round again, each repeated section headed "(again)". Sections
take turns between prose, a list, a table and a code block.
"""

from __future__ import annotations

import random
from itertools import count

from apex_tui.server.corpus import Topic, topics
from apex_tui.server.engines.snippets import code_block, count_tokens, fact_table
from apex_tui.server.search import tokenize

__all__ = ["NOT_ABOUT_IT", "long_sections"]

NOT_ABOUT_IT = (
    "The sections below come from the rest of the offline corpus; they are not about the question."
)
LANGUAGES = ("python", "rust", "go", "typescript", "bash", "sql")


def _section(topic: Topic, facts: list[str], index: int, again: bool, rng: random.Random) -> str:
    heading = f"### {index + 1}. {topic.name}" + (" (again)" if again else "")
    shape = index % 4
    if shape == 1:
        parts = [" ".join(facts[:2]), "\n".join(f"- {f}" for f in facts[2:])]
    elif shape == 2:
        parts = [facts[0], fact_table(topic.name, facts[1:])]
    elif shape == 3:
        words = [w for w in tokenize(topic.name) if len(w) > 2][:3] or ["notes"]
        parts = [" ".join(facts), code_block(LANGUAGES[index // 4 % 6], words, rng)]
    else:
        parts = [" ".join(facts)]
    return "\n\n".join([heading, *parts, f"Source: <{topic.urls[0]}>"])


def long_sections(fitting: list[Topic], used: set[str], room: int, rng: random.Random) -> list[str]:
    """Sections worth at most ``room`` tokens: ``fitting`` topics first, facts in ``used``
    left out (the first time round)."""
    first = list(dict.fromkeys(fitting))
    rest = [t for t in topics() if t not in first]
    rng.shuffle(rest)
    sections: list[str] = []
    told = False
    for round_ in count():
        added = False
        for topic in first + rest:
            facts = [f for f in topic.facts if round_ > 0 or f not in used]
            if len(facts) < 3:
                continue
            section = _section(topic, facts, len(sections), round_ > 0, rng)
            if topic not in first and not told:
                section = f"{NOT_ABOUT_IT}\n\n{section}"
            cost = count_tokens(section)
            if cost > room:
                return sections
            told = told or topic not in first
            sections.append(section)
            room -= cost
            added = True
        if not added:
            return sections
    return sections
