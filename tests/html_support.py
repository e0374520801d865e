"""Reports for the HTML report's tests and benchmark: case records shaped like a real
session's (three runs, several checks with reasons, answers that differ from the
expected one by a few words), with the fields of issue 13 (inconclusive verdicts,
intervals, adaptive repeats, expected excerpts, trace ids, comparison buckets)."""

from __future__ import annotations

import random
from typing import Any

from llm_regressions.report import json_report
from llm_regressions.report.gate import evaluate
from llm_regressions.settings import GateSettings
from llm_regressions.stats import wilson

LABELS = (
    "stale_policy_retrieval",
    "tool_misuse",
    "format_drift",
    "hallucinated_order",
    "refusal",
    "wrong_language",
    "pii_leak",
    "truncated_answer",
)
EXPECTED = "Order {i}: returns are accepted within 14 days of delivery; refunds take 5 days."
ANSWERS = (
    EXPECTED,
    "Order {i}: returns are accepted within 14 days of delivery, refunds take 5 days.",
    "Order {i}: you can return it within 30 days of delivery; refunds take 5 days.",
    "Sorry, I cannot find order {i}. Please contact support.",
)
#: verdict -> (runs passed of 3, outcome); the rest of a case follows from it.
_SHAPES = {
    "passed": (3, "passed"),
    "failed": (0, "failed"),
    "flaky": (2, "passed"),
    "inconclusive": (2, "failed"),
    "error": (0, "error"),
    "xfailed": (0, "xfailed"),
    "skipped": (0, "skipped"),
}
_MIX = ["passed"] * 80 + ["failed"] * 5 + ["flaky"] * 4 + ["inconclusive"] * 3
_MIX += ["error"] * 2 + ["xfailed"] * 5 + ["skipped"]


def _run(i: int, r: int, passed: bool, rng: random.Random) -> dict[str, Any]:
    answer = ANSWERS[rng.choice((0, 1))] if passed else ANSWERS[rng.choice((2, 3))]
    output = answer.format(i=i)
    has = "14 days" in output
    return {
        "name": f"run {r + 1}/3",
        "passed": passed,
        "checks": [
            {
                "check": "contains",
                "passed": has,
                "applicable": True,
                "reason": "found '14 days'" if has else f"missing '14 days' in output {output!r}",
            },
            {
                "check": "not_contains",
                "passed": "30 days" not in output,
                "applicable": True,
                "reason": "'30 days' absent" if "30 days" not in output else "found '30 days'",
            },
            {
                "check": "llm_judge",
                "passed": passed,
                "applicable": True,
                "reason": "judge: states the 14-day window"
                if passed
                else "judge: the answer contradicts the policy",
            },
        ],
        "output_excerpt": output,
        "tool_calls": ["lookup_order"] if i % 7 == 0 else [],
        "model": "gpt-4o-mini-2024-07-18",
        "latency_ms": rng.uniform(200, 3000),
        "tokens_in": 800 + rng.randrange(200),
        "tokens_out": 30 + rng.randrange(40),
        "cost_usd": 0.00012 + rng.randrange(100) * 1e-7,
        "session": None,
    }


def record(i: int, verdict: str, rng: random.Random) -> dict[str, Any]:
    """Case ``i`` with the given verdict, as the plugin records it."""
    passes, outcome = _SHAPES[verdict]
    sent = verdict not in ("error", "skipped")
    runs = [_run(i, r, r < passes, rng) for r in range(3)] if sent else []
    case_id = f"case-{i:05d}"
    return {
        "id": case_id,
        "nodeid": f"regressions/{case_id}.yaml::{case_id}",
        "file": f"regressions/{case_id}.yaml",
        "file_hash": "0123456789abcdef",
        "line": 1,
        "label": LABELS[i % len(LABELS)],
        "golden": i % 9 == 0,
        "status": "open" if verdict == "xfailed" else "fixed",
        "tags": ["rag"],
        "model": "openai/gpt-4o-mini-2024-07-18",
        "prompt": "support-bot@v12",
        "prompt_run": None,
        "target_runs": None,
        "min_pass_rate": _NEED.get(verdict, 1.0),
        "check_kinds": ["contains", "not_contains", "llm_judge"],
        "problem": "" if verdict in ("passed", "flaky") else _problem(verdict, passes),
        "runs": runs,
        "pass_rate": passes / 3 if sent else None,
        "flaky": 0 < passes < 3,
        "cost_usd": sum(r["cost_usd"] for r in runs) if runs else None,
        "drift": None,
        "trouble": "openai: server error" if verdict == "error" else None,
        "outcome": outcome,
        "verdict": verdict,
        "duration_s": 1.5,
        "interval": list(wilson(passes, 3)) if sent else None,
        "decision": _DECISIONS[verdict],
        "pinned": True,
        "repeat": {"min": 2, "max": 3, "used": 3} if verdict == "inconclusive" else None,
        "expected_excerpt": EXPECTED.format(i=i),
        "trace_id": f"tr-{i:08x}",
        "selected_because": None,
        "diagnosis": None,
    }


#: min_pass_rate by verdict: 2 of 3 meets 0.67 (a flaky pass), cannot tell 0.90 apart.
_NEED = {"flaky": 0.67, "inconclusive": 0.9}
_DECISIONS = {
    "passed": "pass",
    "flaky": "pass",
    "failed": "fail",
    "inconclusive": "inconclusive",
    "xfailed": "fail",
    "error": None,
    "skipped": None,
}


def _problem(verdict: str, passes: int) -> str:
    return {
        "failed": "0/3 runs passed, need 1.00",
        "inconclusive": f"inconclusive: {passes}/3 runs passed, need 0.90; too few runs to "
        "tell a pass from a regression: run more repeats",
        "error": "openai: server error (HTTP 500)",
        "xfailed": "still reproduces",
        "skipped": "not sent: --llm-max-cost spent",
    }[verdict]


def sample_records(n: int, seed: int = 3) -> list[dict[str, Any]]:
    """``n`` cases in the proportions of a large real set (most pass)."""
    rng = random.Random(seed)
    return [record(i, rng.choice(_MIX), rng) for i in range(n)]


def comparison(records: list[dict[str, Any]]) -> dict[str, Any]:
    """A baseline comparison of these records with every bucket filled."""
    by_verdict: dict[str, list[str]] = {}
    for r in records:
        by_verdict.setdefault(r["verdict"], []).append(r["id"])
    failed, passed = by_verdict.get("failed", []), by_verdict.get("passed", [])
    regressed, still = failed[::2], failed[1::2]
    fixed = passed[:3]
    buckets = {
        "fixed": fixed,
        "regressed": regressed,
        "still_failing": still,
        "newly_flaky": by_verdict.get("flaky", [])[:2],
        "no_longer_flaky": passed[3:5],
        "inconclusive": by_verdict.get("inconclusive", []),
        "new": passed[5:7],
        "removed": ["gone-1", "gone-2"],
    }
    causes = {i: ["prompt changed"] for i in regressed[::2]}
    causes.update({i: ["model drifted", "only a judge check flipped"] for i in regressed[1::2]})
    causes.update({i: ["case file edited"] for i in fixed})
    return {
        "baseline_commit": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        "p95_latency_ms": {"baseline": 2400.0, "current": 2850.0, "change": 0.1875},
        "cost_per_case_usd": {"baseline": 0.0004, "current": 0.00042, "change": 0.05},
        "warnings": ["baseline model differs: openai/gpt-4o -> openai/gpt-4o-mini (3 cases)"],
        "buckets": buckets,
        "causes": causes,
        "paired": {
            "shared": len(records) - 2,
            "flipped_to_fail": len(regressed),
            "flipped_to_pass": len(fixed),
            "p_value": 0.021,
            "significant": True,
            "summary": f"on the {len(records) - 2} cases both runs judged, {len(regressed)} "
            f"went from passing to failing and {len(fixed)} the other way: exact McNemar "
            "p = 0.021, more than run-to-run noise",
        },
    }


def sample_report(records: list[dict[str, Any]], baseline: bool = True) -> dict[str, Any]:
    """The JSON report dict a session would write for ``records``."""
    gate = evaluate(records, GateSettings(min_pass_rate=0.9), None).to_dict()
    if baseline:
        gate["baseline"] = comparison(records)
        gate["failures"] += [
            f"regression: {i} passed in the baseline and fails now"
            for i in gate["baseline"]["buckets"]["regressed"]
        ]
        gate["passed"] = not gate["failures"]
    run = {
        "replay": "live",
        "prompt": "current",
        "model_override": None,
        "golden": False,
        "shard": None,
        "changed_since": None,
        "rate_limits": [],
    }
    git = {"commit": "9fceb02d0ae598e95dc970b74767f19372d61af8", "dirty": False}
    return json_report.build(records, {**run, "merged_from": None}, gate, git)
