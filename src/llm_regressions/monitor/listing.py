"""Failing production spans, grouped by cluster (the run report's failure clusters,
:mod:`llm_regressions.report.clusters`), worst first, each with the command that
promotes it into a regression case."""

from __future__ import annotations

import shlex
from typing import Any

from llm_regressions.monitor.facts import Failing
from llm_regressions.report.clusters import clusters


def promote_command(span: Failing) -> str:
    """``pytest --promote-trace=FILE --promote-trace-id T --promote-span S --promote-label L
    --promote-check CHECK...``: the rule's failing checks become the case's."""
    parts = [
        "pytest",
        f"--promote-trace={span.file}",
        "--promote-trace-id",
        span.trace_id,
        "--promote-span",
        span.span_id,
        "--promote-label",
        span.label,
    ]
    for check in span.checks:
        parts += ["--promote-check", check["yaml"]]
    return " ".join(shlex.quote(p) for p in parts)


def _record(index: int, span: Failing) -> dict[str, Any]:
    """A failing span in the shape the clusters read (a failed case with one run)."""
    return {
        "id": index,
        "label": span.label,
        "outcome": "failed",
        "runs": [
            {
                "passed": False,
                "checks": [
                    {"check": c["check"].split(":")[0], "passed": False} for c in span.checks
                ],
                "output_excerpt": span.excerpt,
            }
        ],
    }


def failing_clusters(failing: list[Failing], scored: int) -> list[dict[str, Any]]:
    """Clusters of failing spans, largest first, each span with its promote command."""
    found = []
    for cluster in clusters([_record(i, span) for i, span in enumerate(failing)]):
        spans = [failing[index] for index in cluster["cases"]]
        found.append(
            {
                "label": cluster["label"],
                "checks": cluster["checks"],
                "size": cluster["size"],
                "rate": cluster["size"] / scored if scored else None,
                "excerpt": cluster["excerpt"],
                "spans": [
                    {
                        "file": s.file,
                        "trace_id": s.trace_id,
                        "span_id": s.span_id,
                        "rule": s.rule,
                        "failed": s.checks,
                        "promote": promote_command(s),
                    }
                    for s in spans
                ],
            }
        )
    return found
