"""The run-to-run diff (issue 13, item 3): one bucket per case, each flip with its likely
causes, and a paired test on the shared cases. Records are built the way the JSON report
holds them; the session-level path is in test_gate.py."""

from __future__ import annotations

from typing import Any

import pytest

from llm_regressions.report import json_report
from llm_regressions.report.baseline import compare
from llm_regressions.report.text import clip


def record(case_id: str, outcome: str = "passed", **extra: Any) -> dict[str, Any]:
    """A case record: one run per entry of ``runs`` (True = passed), on the pinned model."""
    runs = extra.pop("runs", [outcome == "passed"])
    failing = extra.pop("failing", "contains")
    served = extra.pop("served", "gpt-4o-mini-2024-07-18")
    return {
        "id": case_id,
        "outcome": outcome,
        "verdict": extra.pop("verdict", outcome),
        "flaky": len(set(runs)) > 1,
        "model": "openai/gpt-4o-mini-2024-07-18",
        "prompt": None,
        "prompt_run": None,
        "file_hash": "h1",
        "trouble": None,
        "golden": False,
        "pass_rate": sum(runs) / len(runs),
        "cost_usd": None,
        "runs": [
            {
                "model": served,
                "latency_ms": 100.0,
                "checks": [{"check": failing, "passed": ok}],
            }
            for ok in runs
        ],
        **extra,
    }


def diff(before: list[dict], after: list[dict]) -> dict[str, Any]:
    return compare(after, {"cases": before, "git": {"commit": "abc123"}}, False, None)


def test_every_case_lands_in_one_bucket():
    before = [
        record("regressed"),
        record("fixed", "failed"),
        record("still", "failed"),
        record("wobbles", runs=[True, False, True]),
        record("settled", runs=[True, False, True]),
        record("unsure"),
        record("same"),
        record("gone"),
    ]
    after = [
        record("regressed", "failed"),
        record("fixed"),
        record("still", "failed"),
        record("wobbles", runs=[True, True, True]),
        record("settled", runs=[True, True, True]),
        record("unsure", "failed", verdict="inconclusive"),
        record("same"),
        record("brand-new"),
    ]
    after[3]["runs"][1]["checks"][0]["passed"] = False
    after[3]["flaky"] = True
    before[3]["flaky"] = False
    cmp = diff(before, after)
    assert cmp["baseline_commit"] == "abc123"
    assert cmp["buckets"] == {
        "regressed": ["regressed"],
        "fixed": ["fixed"],
        "inconclusive": ["unsure"],
        "newly_flaky": ["wobbles"],
        "no_longer_flaky": ["settled"],
        "still_failing": ["still"],
        "new": ["brand-new"],
        "removed": ["gone"],
    }
    # "same" passed both times: in no bucket, yet part of the paired test
    assert cmp["paired"]["shared"] == 6  # unsure is neither a pass nor a fail now


@pytest.mark.parametrize(
    ("change", "cause"),
    [
        ({"prompt": "bot@v3"}, "prompt changed"),
        ({"prompt_run": {"rendered": "new-hash"}}, "prompt changed"),
        ({"model": "openai/gpt-4o-2024-08-06"}, "model changed (openai/gpt-4o-mini-2024-07-18"),
        ({"served": "gpt-4o-mini-2025-01-01"}, "model drifted (served gpt-4o-mini-2025-01-01)"),
        ({"file_hash": "h2"}, "case file edited"),
        ({"trouble": "openai: rate limited"}, "provider trouble (openai: rate limited)"),
        ({"failing": "llm_judge"}, "only the llm_judge check flipped"),
    ],
)
def test_each_flip_names_its_likely_cause(change, cause):
    then = record("c", prompt_run={"rendered": "old-hash"}, failing=change.get("failing", "x"))
    if "failing" in change:
        then["runs"][0]["checks"] = [{"check": "llm_judge", "passed": True}]
    now = record("c", "failed", **{"prompt_run": {"rendered": "old-hash"}, **change})
    cmp = diff([then], [now])
    assert cmp["buckets"]["regressed"] == ["c"]
    assert any(found.startswith(cause) for found in cmp["causes"]["c"]), cmp["causes"]


def test_a_flip_with_nothing_changed_has_no_cause_listed():
    cmp = diff([record("c")], [record("c", "failed")])
    assert cmp["buckets"]["regressed"] == ["c"] and "c" not in cmp["causes"]


def test_paired_test_tells_a_real_drop_from_noise():
    ids = [f"c{i}" for i in range(10)]
    many = diff(
        [record(i) for i in ids],
        [record(i, "failed") for i in ids[:7]] + [record(i) for i in ids[7:]],
    )
    assert many["paired"]["flipped_to_fail"] == 7 and many["paired"]["significant"]
    assert "more than run-to-run noise" in many["paired"]["summary"]
    few = diff([record(i) for i in ids], [record("c0", "failed")] + [record(i) for i in ids[1:]])
    assert not few["paired"]["significant"] and few["paired"]["p_value"] == 1.0


def test_reports_from_before_buckets_still_load_as_baselines():
    """A report written before this format change (flat lists) reads as buckets."""
    old = {
        "regressions": ["a"],
        "fixed": ["b"],
        "newly_flaky": [],
        "new": ["c"],
        "removed": [],
        "p95_latency_ms": {"baseline": None, "current": None, "change": None},
        "cost_per_case_usd": {"baseline": None, "current": None, "change": None},
        "warnings": [],
    }
    data = json_report._upgrade({"gate": {"baseline": old}, "cases": []})
    buckets = data["gate"]["baseline"]["buckets"]
    assert buckets["regressed"] == ["a"] and buckets["fixed"] == ["b"]
    assert buckets["still_failing"] == [] and buckets["new"] == ["c"]


@pytest.mark.parametrize(
    ("text", "limit", "clipped"),
    [
        ("short enough", 40, "short enough"),
        ("the answer cites the 2023 refund policy instead", 30, "the answer cites the 2023…"),
        ("x" * 50, 10, "xxxxxxxxx…"),  # one long word: cut, but marked
    ],
)
def test_markdown_never_cuts_mid_word_without_an_ellipsis(text, limit, clipped):
    assert clip(text, limit) == clipped
    assert len(clip(text, limit)) <= limit
