"""Session aggregates computed from case records: the production metrics.

Pure functions over records, so a single run, an xdist controller and a merged set of
shard reports all get the same numbers from the same code.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from llm_regressions.checks.registry import family_names
from llm_regressions.report.clusters import clusters

#: Pytest outcomes of a case as the records name them.
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed")

#: Outcomes that count in a pass rate: skipped and open (xfailed) cases do not.
RATED = ("passed", "failed", "error")


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def unsent(record: dict[str, Any]) -> bool:
    """Skipped because its calls were never sent (budget spent, run stopped)."""
    return record["outcome"] == "skipped" and record["problem"].startswith("not sent:")


def gated(record: dict[str, Any]) -> bool:
    """Cases a pass rate is about: fixed ones that were judged, errored, or were never
    sent (an unsent case is not a pass)."""
    return record["status"] == "fixed" and (record["outcome"] in RATED or unsent(record))


def pass_rate(records: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """(passed, counted) over the gated cases."""
    counted = [r for r in records if gated(r)]
    return sum(r["outcome"] == "passed" for r in counted), len(counted)


def cleared(record: dict[str, Any]) -> bool:
    """Nothing for a gate to hold against the case: it passed, or it was inconclusive
    and the run allowed that (``--llm-allow-inconclusive`` skips it)."""
    if record["outcome"] == "passed":
        return True
    return record["outcome"] == "skipped" and record.get("verdict") == "inconclusive"


def not_counted(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    """What a pass rate leaves out, by why: open cases (failing is expected), cases
    skipped (unsent ones are counted as not passed), inconclusive ones allowed by
    ``--llm-allow-inconclusive``."""
    counts = {"open": 0, "skipped": 0, "inconclusive": 0}
    for record in records:
        if record["status"] == "open":
            counts["open"] += 1
        elif record["outcome"] == "skipped" and not unsent(record):
            kind = "inconclusive" if record.get("verdict") == "inconclusive" else "skipped"
            counts[kind] += 1
    return counts


def regressed(record: dict[str, Any]) -> bool:
    """A fixed case whose live runs show a regression: not a recorded-mode verification
    failure (no model ran), not an inconclusive one (too few runs to tell)."""
    return (
        record["status"] == "fixed"
        and record["outcome"] == "failed"
        and record["pass_rate"] is not None
        and record.get("decision") != "inconclusive"
    )


def repeats(records: Iterable[dict[str, Any]]) -> dict[str, int] | None:
    """Adaptive repeats: the runs made against a fixed repeat of each case's maximum."""
    adaptive = [r["repeat"] for r in records if r.get("repeat")]
    if not adaptive:
        return None
    used = sum(r["used"] for r in adaptive)
    fixed = sum(r["max"] for r in adaptive)
    return {"cases": len(adaptive), "runs": used, "fixed_runs": fixed, "saved": fixed - used}


def live_runs(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records whose runs are model answers: recorded mode's ``observed``/``expected``
    runs are production data, not samples of this run, so run metrics skip them."""
    return [r for r in records if r["pass_rate"] is not None]


def _rate(passed: int, total: int) -> dict[str, Any]:
    return {"passed": passed, "total": total, "rate": passed / total if total else None}


class _RunTotals:
    """One pass over every live run: latencies, tokens, and the runs of cases with
    schema / tool checks (10,000 cases x 3 runs must add well under a second)."""

    def __init__(self, records: Iterable[dict[str, Any]]) -> None:
        self.latencies: list[float] = []
        self.tokens_in = self.tokens_out = 0
        self.kinds = {"schema": [0, 0], "tools": [0, 0]}
        families = [(name, family_names(name)) for name in ("schema", "tools")]
        for record in live_runs(records):
            relevant = [(n, k) for n, k in families if not k.isdisjoint(record["check_kinds"])]
            for run in record["runs"]:
                if run["latency_ms"] is not None:
                    self.latencies.append(float(run["latency_ms"]))
                self.tokens_in += run["tokens_in"] or 0
                self.tokens_out += run["tokens_out"] or 0
                for name, kinds in relevant:
                    checks = [c for c in run["checks"] if c["check"] in kinds and c["applicable"]]
                    if checks:
                        self.kinds[name][1] += 1
                        self.kinds[name][0] += all(c["passed"] for c in checks)
        self.latencies.sort()


def cost_per_case(records: Iterable[dict[str, Any]]) -> tuple[float, float | None]:
    """(total, mean over the cases that spent anything recorded)."""
    costs = [r["cost_usd"] for r in records if r["cost_usd"] is not None]
    return sum(costs), (sum(costs) / len(costs) if costs else None)


def p95_latency(records: Iterable[dict[str, Any]]) -> float | None:
    values = sorted(
        float(run["latency_ms"])
        for r in live_runs(records)
        for run in r["runs"]
        if run["latency_ms"] is not None
    )
    return percentile(values, 95)


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Every session-level number the summaries show."""
    outcomes = Counter(r["outcome"] for r in records)
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_label[record["label"]].append(record)
    runs = _RunTotals(records)
    latencies = runs.latencies
    cost_total, per_case = cost_per_case(records)
    errors = Counter(
        r["trouble"] or r["problem"] or "error" for r in records if r["outcome"] == "error"
    )
    return {
        "cases": len(records),
        "outcomes": {name: outcomes.get(name, 0) for name in OUTCOMES},
        "pass_rate": _rate(*pass_rate(records)),
        "not_counted": not_counted(records),
        "by_label": {label: _rate(*pass_rate(rs)) for label, rs in sorted(by_label.items())},
        "schema_pass_rate": _rate(*runs.kinds["schema"]),
        "tool_call_success_rate": _rate(*runs.kinds["tools"]),
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "p99": percentile(latencies, 99),
            "runs": len(latencies),
        },
        "tokens": {"input": runs.tokens_in, "output": runs.tokens_out},
        "cost_usd": {"total": cost_total, "per_case": per_case},
        "flaky": sorted(r["id"] for r in records if r["flaky"]),
        "inconclusive": sorted(r["id"] for r in records if r.get("verdict") == "inconclusive"),
        "repeats": repeats(records),
        "clusters": clusters(records),
        "model_drift": sorted(f"{r['id']}: {r['drift']}" for r in records if r["drift"]),
        "errors": dict(errors.most_common()),
        "regressed": sorted(r["id"] for r in records if regressed(r)),
    }
