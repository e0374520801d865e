"""Near-duplicate texts, grouped: the similarity behind failure clusters, shared by the
run's clusters (report/clusters.py) and the clusters across trace files
(diagnose/trace_clusters.py), so both call the same answers "the same pattern".

Two texts are near-duplicates when the Jaccard similarity of their words (case,
punctuation and digits folded) is at least :data:`SIMILARITY`. Texts are only compared
within one key (a label and the checks or signals that fired), and with the newest
:data:`MAX_COMPARED` groups of that key: thousands of distinct texts stay linear.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

#: Two texts at least this similar (0..1, Jaccard of their words) are one pattern.
SIMILARITY = 0.6
#: Characters of each text compared (records keep an excerpt anyway).
COMPARED_CHARS = 200
#: Groups of one key a text is compared with (the newest ones).
MAX_COMPARED = 20
#: Exact folded texts remembered as a shortcut; past this the memo starts afresh, so a
#: directory of millions of distinct outputs keeps bounded memory.
MAX_REMEMBERED = 50_000


def folded(text: str) -> str:
    """Lower case, words only, every number as 0: "31 days!" and "30 days" match."""
    return re.sub(r"\d+", "0", " ".join(re.findall(r"\w+", text.lower()[:COMPARED_CHARS])))


@dataclass
class Group:
    """One pattern: its key, the words of its first text, its size and its members
    (all of them, or only the first when the caller keeps memory bounded)."""

    key: Hashable
    words: frozenset[str]
    members: list[Any] = field(default_factory=list)
    size: int = 0

    def similar(self, words: frozenset[str]) -> bool:
        union = len(self.words | words)
        return not union or len(self.words & words) / union >= SIMILARITY


class NearDuplicates:
    """Texts added one by one, each into the group of its key it nearly duplicates."""

    def __init__(self, keep_members: bool = True) -> None:
        self.keep_members = keep_members
        self._by_key: dict[Hashable, list[Group]] = defaultdict(list)
        self._same_text: dict[tuple[Hashable, str], Group] = {}

    def add(self, key: Hashable, text: str, member: Any) -> Group:
        """File ``member`` (whose text is ``text``) and return its group."""
        text = folded(text)
        home = self._same_text.get((key, text))  # identical texts: the usual case
        if home is None:
            words = frozenset(text.split())
            groups = self._by_key[key]
            home = next((g for g in reversed(groups[-MAX_COMPARED:]) if g.similar(words)), None)
            if home is None:
                home = Group(key, words)
                groups.append(home)
            if len(self._same_text) >= MAX_REMEMBERED:
                self._same_text.clear()
            self._same_text[(key, text)] = home
        if self.keep_members or not home.members:
            home.members.append(member)
        home.size += 1
        return home

    def groups(self) -> list[Group]:
        """Every group, in the order they were started."""
        return [g for groups in self._by_key.values() for g in groups]
