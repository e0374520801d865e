"""Failure clusters: the failing cases of a run grouped by pattern, so a reader looks at
one representative per pattern instead of at every case (issue 11, item 2; the run half).

A pattern is the case's label, the checks that failed, and the text of the failing
answer: answers that are near-duplicates of each other (:mod:`llm_regressions.neardup`)
fall in one cluster. The failure rate of a cluster is its share of the cases the run
judged: the number teams track first.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.neardup import Group, NearDuplicates

#: Outcomes that show the model's behaviour failing (errors are the provider's).
FAILING = ("failed", "xfailed")
JUDGED = ("passed", "failed", "xfailed")


def _failing_run(record: dict[str, Any]) -> dict[str, Any] | None:
    return next((run for run in record["runs"] if not run["passed"]), None)


def _signature(record: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    checks = {c["check"] for run in record["runs"] for c in run["checks"] if not c["passed"]}
    return record["label"], tuple(sorted(checks))


def clusters(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The failing cases' clusters, largest first; each with its representative (the
    first case in run order), its size, the case ids and its failure rate."""
    judged = sum(1 for r in records if r["outcome"] in JUDGED)
    found = NearDuplicates()
    for record in records:
        run = _failing_run(record) if record["outcome"] in FAILING else None
        if run is not None:
            found.add(_signature(record), run.get("output_excerpt") or "", record)
    groups = found.groups()
    groups.sort(key=lambda g: (-g.size, g.key[0], g.members[0]["id"]))
    return [_plain(g, judged) for g in groups]


def _plain(group: Group, judged: int) -> dict[str, Any]:
    first = group.members[0]
    run = _failing_run(first) or {}
    label, checks = group.key
    return {
        "label": label,
        "checks": list(checks),
        "size": group.size,
        "rate": group.size / judged if judged else None,
        "representative": first["id"],
        "excerpt": run.get("output_excerpt"),
        "cases": [r["id"] for r in group.members],
    }
