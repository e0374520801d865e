"""Failure clusters: the failing cases of a run grouped by pattern, so a reader looks at
one representative per pattern instead of at every case (issue 11, item 2; the run half).

A pattern is the case's label, the checks that failed, and the text of the failing
answer: answers that are near-duplicates of each other (the Jaccard similarity of their
words, with case, punctuation and digits folded) fall in one cluster. The failure rate
of a cluster is its share of the cases the run judged: the number teams track first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

#: Two answers at least this similar (0..1, Jaccard of their words) are one pattern.
SIMILARITY = 0.6
#: Characters of each answer compared (the record keeps an excerpt anyway).
COMPARED_CHARS = 200
#: Clusters of one label and check set an answer is compared with (the newest): keeps
#: a run of thousands of distinct failures linear, at worst a few more clusters.
MAX_COMPARED = 20
#: Outcomes that show the model's behaviour failing (errors are the provider's).
FAILING = ("failed", "xfailed")
JUDGED = ("passed", "failed", "xfailed")


def _folded(text: str) -> str:
    return re.sub(r"\d+", "0", " ".join(re.findall(r"\w+", text.lower()[:COMPARED_CHARS])))


def _failing_run(record: dict[str, Any]) -> dict[str, Any] | None:
    return next((run for run in record["runs"] if not run["passed"]), None)


def _signature(record: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    checks = {c["check"] for run in record["runs"] for c in run["checks"] if not c["passed"]}
    return record["label"], tuple(sorted(checks))


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


@dataclass
class _Cluster:
    label: str
    checks: tuple[str, ...]
    words: frozenset[str]
    records: list[dict[str, Any]] = field(default_factory=list)

    def similar(self, words: frozenset[str]) -> bool:
        union = len(self.words | words)
        return not union or len(self.words & words) / union >= SIMILARITY


def clusters(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The failing cases' clusters, largest first; each with its representative (the
    first case in run order), its size, the case ids and its failure rate."""
    judged = sum(1 for r in records if r["outcome"] in JUDGED)
    by_signature: dict[tuple[str, tuple[str, ...]], list[_Cluster]] = defaultdict(list)
    same_text: dict[tuple[str, tuple[str, ...], str], _Cluster] = {}
    for record in records:
        run = _failing_run(record) if record["outcome"] in FAILING else None
        if run is None:
            continue
        label, checks = _signature(record)
        text = _folded(run.get("output_excerpt") or "")
        home = same_text.get((label, checks, text))  # identical answers: the usual case
        if home is None:
            words = _words(text)
            group = by_signature[(label, checks)]
            home = next((c for c in reversed(group[-MAX_COMPARED:]) if c.similar(words)), None)
            if home is None:
                home = _Cluster(label, checks, words)
                group.append(home)
            same_text[(label, checks, text)] = home
        home.records.append(record)
    found = [c for group in by_signature.values() for c in group]
    found.sort(key=lambda c: (-len(c.records), c.label, c.records[0]["id"]))
    return [_plain(c, judged) for c in found]


def _plain(cluster: _Cluster, judged: int) -> dict[str, Any]:
    first = cluster.records[0]
    run = _failing_run(first) or {}
    return {
        "label": cluster.label,
        "checks": list(cluster.checks),
        "size": len(cluster.records),
        "rate": len(cluster.records) / judged if judged else None,
        "representative": first["id"],
        "excerpt": run.get("output_excerpt"),
        "cases": [r["id"] for r in cluster.records],
    }
