"""Comparing this run's case records with an earlier JSON report (the baseline).

Every case both runs hold falls in one bucket (regressed, fixed, still failing, newly
flaky, no longer flaky, inconclusive; unchanged passing cases in none), each flip with
its likely causes read off the two records (prompt, model, served model, judge-only
check flips, provider trouble, an edited case file), and a paired test says whether the
overall change is more than run-to-run noise.

Only the part of the baseline this run could have covered is compared: golden cases
under ``--llm-golden``, this shard's cases under ``--llm-shard``; otherwise every
deselected case would show up as "removed".
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from llm_regressions.report.metrics import cost_per_case, p95_latency
from llm_regressions.settings import Shard
from llm_regressions.stats import mcnemar_exact

Record = dict[str, Any]

#: Buckets in the order a case is put in the first that fits (and summaries list them).
BUCKETS = (
    "regressed",
    "fixed",
    "inconclusive",
    "newly_flaky",
    "no_longer_flaky",
    "still_failing",
    "new",
    "removed",
)
#: The significance level of the paired test.
ALPHA = 0.05
#: Checks that ask a model: a flip of these alone may be the judge, not the answer.
JUDGE_CHECKS = frozenset({"llm_judge"})


def in_scope(records: list[Record], golden: bool, shard: Shard | None) -> list[Record]:
    return [
        r
        for r in records
        if (not golden or r["golden"]) and (shard is None or shard.holds(r["id"]))
    ]


def _state(record: Record) -> str:
    """passed / failed / inconclusive / unjudged (errors, skips: nothing was learnt)."""
    if record.get("verdict") == "inconclusive":
        return "inconclusive"
    outcome = record["outcome"]
    if outcome == "passed":
        return "passed"
    if outcome in ("failed", "xfailed"):
        return "failed"
    return "unjudged"


def bucket_of(then: Record, now: Record) -> str | None:
    """The bucket of a case both runs hold; None when nothing worth a look changed."""
    before, after = _state(then), _state(now)
    if after == "inconclusive":
        return "inconclusive"
    if before == "passed" and after == "failed":
        return "regressed"
    if before == "failed" and after == "passed":
        return "fixed"
    if now["flaky"] and not then["flaky"]:
        return "newly_flaky"
    if then["flaky"] and not now["flaky"] and after != "unjudged":
        return "no_longer_flaky"
    if before == after == "failed":
        return "still_failing"
    return None


def _failing_checks(record: Record) -> set[str]:
    return {c["check"] for run in record["runs"] for c in run["checks"] if not c["passed"]}


def _served(record: Record) -> set[str]:
    return {run["model"] for run in record["runs"] if run["model"]}


def causes(then: Record, now: Record) -> list[str]:
    """What differs between the two runs of a case that could explain its flip."""
    found = []
    if (then.get("prompt_run") or {}).get("rendered") != (now.get("prompt_run") or {}).get(
        "rendered"
    ) or then.get("prompt") != now.get("prompt"):
        found.append("prompt changed")
    if then["model"] != now["model"]:
        found.append(f"model changed ({then['model']} -> {now['model']})")
    elif _served(then) and _served(now) and _served(then) != _served(now):
        served = ", ".join(sorted(_served(now)))
        found.append(f"model drifted (served {served})")
    if then.get("file_hash") and now.get("file_hash") and then["file_hash"] != now["file_hash"]:
        found.append("case file edited")
    if now.get("trouble") or then.get("trouble"):
        found.append(f"provider trouble ({now.get('trouble') or then.get('trouble')})")
    flipped = _failing_checks(then) ^ _failing_checks(now)
    if flipped and flipped <= JUDGE_CHECKS:
        found.append("only the llm_judge check flipped")
    return found


def paired_test(common: list[tuple[Record, Record]]) -> dict[str, Any]:
    """Exact McNemar over the cases both runs judged: is the pass-rate change more
    than the flips nondeterminism alone makes?"""
    judged = [
        (_state(a), _state(b)) for a, b in common if {_state(a), _state(b)} <= {"passed", "failed"}
    ]
    to_fail = sum(1 for a, b in judged if (a, b) == ("passed", "failed"))
    to_pass = sum(1 for a, b in judged if (a, b) == ("failed", "passed"))
    p_value = mcnemar_exact(to_fail, to_pass)
    significant = p_value is not None and p_value < ALPHA
    if p_value is None:
        summary = f"no case of the {len(judged)} both runs judged changed"
    else:
        verdict = "more than run-to-run noise" if significant else "within run-to-run noise"
        summary = (
            f"on the {len(judged)} cases both runs judged, {to_fail} went from passing to "
            f"failing and {to_pass} the other way: exact McNemar p = {p_value:.3g}, {verdict}"
        )
    return {
        "shared": len(judged),
        "flipped_to_fail": to_fail,
        "flipped_to_pass": to_pass,
        "p_value": p_value,
        "significant": significant,
        "summary": summary,
    }


def _change(before: float | None, after: float | None) -> dict[str, Any]:
    """Relative change; None when there is nothing to compare against."""
    relative = (after - before) / before if before and after is not None else None
    return {"baseline": before, "current": after, "change": relative}


def _identity_warnings(now: dict[str, Record], then: dict[str, Record]) -> list[str]:
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
    records: list[Record], baseline: dict[str, Any], golden: bool, shard: Shard | None
) -> dict[str, Any]:
    """What changed since the baseline; regressions are what the gate fails on."""
    then = {r["id"]: r for r in in_scope(baseline["cases"], golden, shard)}
    now = {r["id"]: r for r in records}
    common = sorted(now.keys() & then.keys())
    buckets: dict[str, list[str]] = {name: [] for name in BUCKETS}
    why: dict[str, list[str]] = {}
    for case_id in common:
        bucket = bucket_of(then[case_id], now[case_id])
        if bucket is not None:
            buckets[bucket].append(case_id)
            why[case_id] = causes(then[case_id], now[case_id])
    buckets["new"] = sorted(now.keys() - then.keys())
    buckets["removed"] = sorted(then.keys() - now.keys())
    return {
        "baseline_commit": (baseline.get("git") or {}).get("commit"),
        "buckets": buckets,
        "causes": {case_id: found for case_id, found in why.items() if found},
        "paired": paired_test([(then[i], now[i]) for i in common]),
        "p95_latency_ms": _change(p95_latency(then.values()), p95_latency(records)),
        "cost_per_case_usd": _change(cost_per_case(then.values())[1], cost_per_case(records)[1]),
        "warnings": _identity_warnings(now, then),
    }
