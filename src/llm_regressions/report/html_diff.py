"""Escaped text for the HTML report: the escaping itself (fast on the common text that
needs none), a word-level diff of an answer against the expected one, and a unified
diff (the prompt's) with its lines marked."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache
from html import escape as _escape


def escape(value: str) -> str:
    """``html.escape`` (quotes too), without its five replaces on text that has none of
    the five characters: most text (10,000 cases render in well under a second)."""
    if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
        return _escape(value)
    return value


#: For the short strings every case repeats: run names, check names, models, labels.
escape_name = lru_cache(maxsize=4096)(escape)

#: A word or a punctuation mark with the white space after it (a changed word shows as
#: one word, not as the characters that differ), or leading white space.
_TOKENS = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")


def words(expected: str, output: str) -> str:
    """``expected`` -> ``output``: kept text plain, expected-only in ``<del>``,
    output-only in ``<ins>``. Every piece is escaped."""
    old, new = _TOKENS.findall(expected), _TOKENS.findall(output)
    # the common head and tail first: near-identical answers leave little to match
    head, most = 0, min(len(old), len(new))
    while head < most and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < most - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    out = [escape("".join(old[:head]))]
    middle_old, middle_new = old[head : len(old) - tail], new[head : len(new) - tail]
    matcher = SequenceMatcher(None, middle_old, middle_new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape("".join(middle_old[i1:i2])))
            continue
        if i2 > i1:
            out.append(f"<del>{escape(''.join(middle_old[i1:i2]))}</del>")
        if j2 > j1:
            out.append(f"<ins>{escape(''.join(middle_new[j1:j2]))}</ins>")
    out.append(escape("".join(old[len(old) - tail :])))
    return "".join(out)


_LINE_CLASS = {"+": "add", "-": "rm", "@": "hunk"}


def unified(diff: str) -> str:
    """A unified diff's lines, each escaped and marked as added, removed or a hunk
    header (file headers ``---``/``+++`` are headers, not changes)."""
    out = []
    for line in diff.splitlines():
        kind = "head" if line.startswith(("--- ", "+++ ")) else _LINE_CLASS.get(line[:1], "")
        text = escape(line) or " "
        out.append(f'<span class="{kind}">{text}</span>' if kind else text)
    return "\n".join(out)
