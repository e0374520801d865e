"""Failure clusters of a run (issue 11, item 2, the run half): the failing cases
grouped by label, failed checks and near-duplicate answers; one representative each,
its size and its share of the run."""

from __future__ import annotations

import json

from llm_regressions.report.clusters import clusters
from replay_support import live_case
from stub_support import Reply


def record(case_id: str, label: str, output: str, outcome: str = "failed", check="contains"):
    passed = outcome == "passed"
    return {
        "id": case_id,
        "label": label,
        "outcome": outcome,
        "runs": [
            {
                "passed": passed,
                "output_excerpt": output,
                "checks": [{"check": check, "passed": passed}],
            }
        ],
    }


def test_near_duplicate_answers_with_the_same_failed_checks_cluster_together():
    records = [
        record("a", "stale_policy", "You have 30 days to return the order."),
        record("b", "stale_policy", "You have 31 days to return your order!"),  # near-dup
        record("c", "stale_policy", "Refunds are not possible for sale items."),
        record("d", "tool_misuse", "You have 30 days to return the order."),  # other label
        record("e", "stale_policy", "You have 30 days to return the order.", check="llm_judge"),
        record("f", "stale_policy", "Orders ship in 14 days.", outcome="passed"),
        record("g", "stale_policy", "timeout", outcome="error"),  # the provider's, not a pattern
    ]
    found = clusters(records)
    assert [c["cases"] for c in found] == [["a", "b"], ["c"], ["e"], ["d"]]
    first = found[0]
    assert first["representative"] == "a" and first["size"] == 2
    assert first["checks"] == ["contains"] and first["label"] == "stale_policy"
    assert first["rate"] == 2 / 6  # of the six cases the run judged (not the error)


def test_clusters_in_the_session_summary_and_the_report(pytester, write_case, llm_stub):
    for n in range(3):
        llm_stub.script(f"stale {n}", Reply(f"You have {30 + n} days to return it."))
        write_case(f"s{n}.yaml", live_case(f"stale-{n}", f"stale {n}"))
    llm_stub.script("other", Reply("Refunds are impossible."))
    write_case("o.yaml", live_case("other", "other"))
    llm_stub.script("good", Reply("14 days"))
    write_case("g.yaml", live_case("good", "good"))
    result = pytester.runpytest(*llm_stub.args("--llm-report=r.json", "--llm-report-md=s.md"))
    result.assert_outcomes(passed=1, failed=4)
    line = (
        "failure cluster 1/1: stale_policy_retrieval · contains: 3 cases (60.0% of the "
        'judged cases), e.g. "You have 30 days to return it."'
    )
    result.stdout.fnmatch_lines([line])
    report = json.loads((pytester.path / "r.json").read_text())
    assert [c["size"] for c in report["aggregates"]["clusters"]] == [3, 1]
    assert f"- {line}" in (pytester.path / "s.md").read_text().splitlines()
