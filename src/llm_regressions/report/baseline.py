"""Comparing this run's case records with an earlier JSON report (the baseline).

Only the part of the baseline this run could have covered is compared: golden cases
under ``--llm-golden``, this shard's cases under ``--llm-shard``; otherwise every
deselected case would show up as "removed".
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from llm_regressions.report.metrics import cost_per_case, p95_latency
from llm_regressions.settings import Shard


def in_scope(
    records: list[dict[str, Any]], golden: bool, shard: Shard | None
) -> list[dict[str, Any]]:
    return [
        r
        for r in records
        if (not golden or r["golden"]) and (shard is None or shard.holds(r["id"]))
    ]


def _change(before: float | None, after: float | None) -> dict[str, Any]:
    """Relative change; None when there is nothing to compare against."""
    relative = (after - before) / before if before and after is not None else None
    return {"baseline": before, "current": after, "change": relative}


def _identity_warnings(
    now: dict[str, dict[str, Any]], then: dict[str, dict[str, Any]]
) -> list[str]:
    """One warning per distinct model or prompt change, naming both sides."""
    changes: Counter[tuple[str, str, str]] = Counter()
    for case_id in now.keys() & then.keys():
        for field in ("model", "prompt"):
            before, after = then[case_id].get(field), now[case_id].get(field)
            if before != after:
                changes[(field, str(before), str(after))] += 1
    return [
        f"baseline {field} differs: {before} -> {after} ({count} case{'s' if count != 1 else ''})"
        for (field, before, after), count in sorted(changes.items())
    ]


def compare(
    records: list[dict[str, Any]], baseline: dict[str, Any], golden: bool, shard: Shard | None
) -> dict[str, Any]:
    """What changed since the baseline; regressions are what the gate fails on."""
    then = {r["id"]: r for r in in_scope(baseline["cases"], golden, shard)}
    now = {r["id"]: r for r in records}
    common = sorted(now.keys() & then.keys())
    return {
        "baseline_commit": (baseline.get("git") or {}).get("commit"),
        "regressions": [
            i for i in common if then[i]["outcome"] == "passed" and now[i]["outcome"] == "failed"
        ],
        "fixed": [
            i
            for i in common
            if then[i]["outcome"] in ("failed", "xfailed") and now[i]["outcome"] == "passed"
        ],
        "new": sorted(now.keys() - then.keys()),
        "removed": sorted(then.keys() - now.keys()),
        "newly_flaky": [i for i in common if now[i]["flaky"] and not then[i]["flaky"]],
        "p95_latency_ms": _change(p95_latency(then.values()), p95_latency(records)),
        "cost_per_case_usd": _change(cost_per_case(then.values())[1], cost_per_case(records)[1]),
        "warnings": _identity_warnings(now, then),
    }
