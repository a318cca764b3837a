"""Pieces of the offline writer's answers: its tokens, and the code blocks and tables it adds
when a prompt asks for code or a comparison."""

from __future__ import annotations

import random
import re

_TOKEN = re.compile(r"\s*\S+")


def tokens(text: str) -> list[str]:
    """Split text into tokens: each word with the whitespace before it; joins back losslessly."""
    pieces = _TOKEN.findall(text)
    tail = text[sum(len(p) for p in pieces) :]
    if tail and pieces:
        pieces[-1] += tail
    return pieces


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


LANGUAGES: dict[str, tuple[str, ...]] = {
    "python": ("python", "py ", "django", "asyncio", "pandas"),
    "rust": ("rust", "cargo"),
    "go": ("golang", " go ", "goroutine"),
    "typescript": ("typescript", " ts "),
    "javascript": ("javascript", " js ", "node"),
    "bash": ("bash", "shell", "script", "curl", "command line"),
    "sql": ("sql", "sqlite", "query", "database"),
}

CODE_WORDS = (
    "code",
    "function",
    "script",
    "implement",
    "program",
    "snippet",
    "class",
    "example",
    "python",
    "rust",
    "golang",
    "javascript",
    "typescript",
    "bash",
    "sql",
    "write a",
)
COMPARE_WORDS = (
    "compare",
    "comparison",
    " vs ",
    " vs.",
    "versus",
    "difference",
    "differences",
    "differ",
    "differs",
    "pros and cons",
    "table",
    "trade-off",
    "tradeoff",
)


def _says_any(prompt: str, words: tuple[str, ...]) -> bool:
    """Whole words only: "sql" is not in "SQLite", "table" is not in "notable"."""
    text = f" {prompt.lower()} "
    return any(re.search(rf"(?<![a-z0-9]){re.escape(w.strip())}(?![a-z0-9])", text) for w in words)


def wants_code(prompt: str) -> bool:
    return _says_any(prompt, CODE_WORDS)


def wants_table(prompt: str) -> bool:
    return _says_any(prompt, COMPARE_WORDS)


def detect_language(prompt: str, default: str = "python") -> str:
    text = f" {prompt.lower()} "
    for language, words in LANGUAGES.items():
        if any(word in text for word in words):
            return language
    return default


def identifier(words: list[str], style: str = "snake") -> str:
    """A code identifier from prompt keywords (``fetch_chat_sessions`` / ``fetchChatSessions``)."""
    clean = [re.sub(r"[^a-z0-9]", "", w.lower()) for w in words]
    clean = [w for w in clean if w and not w[0].isdigit()][:3] or ["answer"]
    if style == "camel":
        return clean[0] + "".join(w.capitalize() for w in clean[1:])
    return "_".join(clean)


def code_block(language: str, keywords: list[str], rng: random.Random) -> str:
    """A small, syntactically valid program in ``language`` built around the prompt keywords."""
    name = identifier(keywords)
    camel = identifier(keywords, "camel")
    items = [k.lower() for k in keywords[:4]] or ["alpha", "beta"]
    limit = rng.choice((3, 5, 8, 10))
    quoted = ", ".join(f'"{k}"' for k in items)
    if language == "rust":
        body = (
            f"/// Count how often each keyword appears (offline example about {items[0]}).\n"
            f"fn {name}(text: &str) -> Vec<(String, usize)> {{\n"
            f"    let keywords = [{quoted}];\n"
            "    let lower = text.to_lowercase();\n"
            "    let mut counts: Vec<(String, usize)> = keywords\n"
            "        .iter()\n"
            "        .map(|k| (k.to_string(), lower.matches(k).count()))\n"
            "        .collect();\n"
            "    counts.sort_by(|a, b| b.1.cmp(&a.1));\n"
            f"    counts.truncate({limit});\n"
            "    counts\n}\n\nfn main() {\n"
            f'    for (word, n) in {name}("notes about {" ".join(items)}") {{\n'
            '        println!("{word}: {n}");\n    }\n}'
        )
    elif language == "go":
        body = (
            'package main\n\nimport (\n\t"fmt"\n\t"strings"\n)\n\n'
            f"// {camel} counts how often each keyword appears (offline example).\n"
            f"func {camel}(text string) map[string]int {{\n"
            "\tcounts := map[string]int{}\n"
            f"\tfor _, k := range []string{{{quoted}}} {{\n"
            "\t\tcounts[k] = strings.Count(strings.ToLower(text), k)\n\t}\n\treturn counts\n}\n\n"
            f'func main() {{\n\tfmt.Println({camel}("notes about {" ".join(items)}"))\n}}'
        )
    elif language in ("javascript", "typescript"):
        typed = ": string" if language == "typescript" else ""
        ret = ": Array<[string, number]>" if language == "typescript" else ""
        body = (
            f"// Count how often each keyword appears (offline example about {items[0]}).\n"
            f"function {camel}(text{typed}){ret} {{\n"
            f"  const keywords = [{quoted}];\n"
            "  const lower = text.toLowerCase();\n"
            "  return keywords\n"
            "    .map((k) => [k, lower.split(k).length - 1])\n"
            "    .sort((a, b) => b[1] - a[1])\n"
            f"    .slice(0, {limit});\n}}\n\n"
            f'console.log({camel}("notes about {" ".join(items)}"));'
        )
    elif language == "bash":
        body = (
            "#!/usr/bin/env bash\n"
            "# Count keyword occurrences in the files given (offline example).\n"
            "set -euo pipefail\n"
            f"for word in {' '.join(items)}; do\n"
            '  count=$(cat "$@" | grep -oi -- "$word" | wc -l)\n'
            '  printf "%s\\t%s\\n" "$word" "$count"\n'
            f"done | sort -k2 -nr | head -n {limit}"
        )
    elif language == "sql":
        body = (
            f"-- Rank documents mentioning {items[0]} (offline example, SQLite FTS5).\n"
            "CREATE VIRTUAL TABLE IF NOT EXISTS notes USING fts5(title, body);\n"
            "SELECT title, bm25(notes) AS score\nFROM notes\n"
            f"WHERE notes MATCH '{' OR '.join(items)}'\nORDER BY score\nLIMIT {limit};"
        )
    else:
        language = "python"
        body = (
            "from collections import Counter\n\n\n"
            f"def {name}(text: str, limit: int = {limit}) -> list[tuple[str, int]]:\n"
            f'    """Count how often each keyword appears (offline example about {items[0]})."""\n'
            f"    keywords = [{quoted}]\n"
            "    lower = text.lower()\n"
            "    counts = Counter({k: lower.count(k) for k in keywords})\n"
            "    return counts.most_common(limit)\n\n\n"
            'if __name__ == "__main__":\n'
            f'    print({name}("notes about {" ".join(items)}"))'
        )
    return f"```{language}\n{body}\n```"


def _cell(text: str) -> str:
    return text.replace("|", "/")


def comparison_table(left: str, right: str, left_facts: list[str], right_facts: list[str]) -> str:
    """A Markdown table setting two subjects' facts side by side, one fact a cell, numbered
    rows. A subject the corpus lacks says so once; a shorter column ends in dashes."""
    rows = [f"| | {_cell(left)} | {_cell(right)} |", "| --- | --- | --- |"]
    columns = [facts or ["Not in the offline corpus."] for facts in (left_facts, right_facts)]
    for i in range(max(len(c) for c in columns)):
        a, b = (c[i] if i < len(c) else "—" for c in columns)
        rows.append(f"| {i + 1} | {_cell(a)} | {_cell(b)} |")
    return "\n".join(rows)


def fact_table(subject: str, facts: list[str]) -> str:
    """One subject's facts as a numbered two-column table."""
    rows = [f"| | {_cell(subject)} |", "| --- | --- |"]
    rows += [f"| {i} | {_cell(fact)} |" for i, fact in enumerate(facts, start=1)]
    return "\n".join(rows)
