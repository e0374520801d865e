"""Reports: JSON (against the published schema), Markdown, GITHUB_STEP_SUMMARY, JUnit
properties, terminal metrics, and the same results with and without xdist."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET

import pytest
from jsonschema import Draft202012Validator

from gate_support import by_id, run, validate, write_cases
from llm_regressions.report.json_report import SCHEMA_PATH
from stub_support import Fault, Reply, tool_call

SCHEMA = json.loads(SCHEMA_PATH.read_text())


def mixed_set(write_case, llm_stub) -> None:
    """One case of each kind: pass, fail, flaky, provider error, open, tools, JSON."""
    llm_stub.script("good", Reply("Orders: 14 days."))
    llm_stub.script("bad", Reply("You have 30 days."))
    llm_stub.script("wobbly", Reply("14 days"), Reply("30 days"), Reply("14 days"))
    llm_stub.script("down", Fault("status", 500))
    llm_stub.script("order 42", Reply(None, tool_calls=[tool_call("lookup_order", {"id": "42"})]))
    llm_stub.script("as json", Reply({"refund_days": 14}))
    write_cases(
        write_case,
        ("good", {"golden": True, "source": {"prompt_version": "bot@v3"}}),
        ("bad", {"label": "tool_misuse"}),
        ("wobbly", {"repeat": 3, "min_pass_rate": 0.6}),
        ("down", {}),
        ("bad-open", {"status": "open"}),
        (
            "tools",
            {
                "checks": [{"tool_called": {"name": "lookup_order"}}],
                "request": {"messages": [{"role": "user", "content": "where is order 42"}]},
            },
        ),
        (
            "json",
            {
                "checks": [{"json_valid": True}],
                "request": {"messages": [{"role": "user", "content": "answer as json"}]},
            },
        ),
    )


def test_json_report_validates_and_holds_every_run(pytester, write_case, llm_stub):
    mixed_set(write_case, llm_stub)
    result, report = run(pytester, llm_stub, "--llm-retries=0")
    result.assert_outcomes(passed=4, failed=1, errors=1, xfailed=1)
    validate(report)
    cases = by_id(report)
    assert {k: v["verdict"] for k, v in cases.items()} == {
        "good": "passed",
        "bad": "failed",
        "wobbly": "flaky",
        "down": "error",
        "bad-open": "xfailed",
        "tools": "passed",
        "json": "passed",
    }
    wobbly = cases["wobbly"]
    # runs are in flight together: which run gets which scripted answer may vary
    assert sorted(r["passed"] for r in wobbly["runs"]) == [False, True, True]
    assert wobbly["pass_rate"] == pytest.approx(2 / 3) and wobbly["outcome"] == "passed"
    run1 = cases["bad"]["runs"][0]
    assert run1["output_excerpt"] == "You have 30 days."
    assert run1["checks"] == [
        {
            "check": "contains",
            "passed": False,
            "applicable": True,
            "reason": "missing '14 days' in output 'You have 30 days.'",
        }
    ]
    assert run1["model"] == "gpt-4o-mini-2024-07-18" and run1["tokens_in"] == 10
    assert run1["latency_ms"] > 0 and run1["cost_usd"] > 0
    assert cases["good"]["prompt"] == "bot@v3" and cases["good"]["golden"]
    assert cases["down"]["trouble"] == "openai: server error"
    agg = report["aggregates"]
    assert agg["pass_rate"] == {"passed": 4, "total": 6, "rate": pytest.approx(4 / 6)}
    assert agg["by_label"]["tool_misuse"] == {"passed": 0, "total": 1, "rate": 0.0}
    assert agg["tool_call_success_rate"] == {"passed": 1, "total": 1, "rate": 1.0}
    assert agg["schema_pass_rate"] == {"passed": 1, "total": 1, "rate": 1.0}
    assert agg["errors"] == {"openai: server error": 1}
    assert agg["flaky"] == ["wobbly"] and agg["regressed"] == ["bad"]
    assert agg["tokens"] == {"input": 80, "output": 40}  # 8 answers x (10, 5)
    assert agg["latency_ms"]["runs"] == 8 and agg["latency_ms"]["p50"] <= agg["latency_ms"]["p99"]
    assert report["plugin_version"] and report["run"]["replay"] == "live"
    result.stdout.fnmatch_lines(
        [
            "*= llm regressions =*",
            "failed (1):",
            "  bad: 0/1 run passed, need 1.00",
            "flaky, passed some runs and failed others (1):",
            "  wobbly: 2/3 runs passed (95% interval 21%-94%), need 0.60",
            "1 case could not reach openai: server error",
            "pass rate: 4/6 fixed cases (66.7%); 1 open not counted",
            "by label: stale_policy_retrieval 4/5 (80.0%), tool_misuse 0/1 (0.0%)",
            "schema pass rate: 1/1 runs (100.0%)",
            "tool-call success: 1/1 runs (100.0%)",
            "latency: p50 *ms, p95 *ms, p99 *ms (8 runs)",
            "tokens: 80 in, 40 out",
            "cost: $* total, $* per case",
        ]
    )
    # one section, each failing case named in it once
    section = result.stdout.str().split("= llm regressions =")[1].split("short test summary")[0]
    assert section.count("bad:") == 1 and "regressed (fixed" not in section


def test_report_records_the_git_commit_and_dirty_flag(pytester, write_case, llm_stub):
    llm_stub.script("good", Reply("14 days"))
    write_cases(write_case, ("good", {}))
    git = ["-c", "user.email=t@t", "-c", "user.name=t"]
    assert pytester.run("git", "init", "-q").ret == 0
    (pytester.path / ".gitignore").write_text("*.json\nstdout\nstderr\n.pytest_cache/\n")
    pytester.run("git", "add", "-A")
    assert pytester.run("git", *git, "commit", "-qm", "cases").ret == 0
    commit = pytester.run("git", "rev-parse", "HEAD").outlines[0]
    _, report = run(pytester, llm_stub)
    assert report["git"] == {"commit": commit, "dirty": False}
    with (pytester.path / "regressions" / "good.yaml").open("a", encoding="utf-8") as case:
        case.write("# edited\n")
    _, report = run(pytester, llm_stub)
    assert report["git"]["dirty"] is True


def test_report_schema_describes_every_field():
    """A field the writer adds but the schema does not declare fails validation
    (``additionalProperties: false`` everywhere), so the schema cannot drift."""
    objects = [SCHEMA]
    while objects:
        node = objects.pop()
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, node.get("description")
                assert sorted(node["required"]) == sorted(node["properties"])
            objects += list(node.values())
        elif isinstance(node, list):
            objects += node
    Draft202012Validator.check_schema(SCHEMA)


def test_recorded_mode_report(pytester, write_case):
    write_case("refund.yaml")
    result = pytester.runpytest("--llm-regressions", "--llm-replay=recorded", "--llm-report=r.json")
    result.assert_outcomes(passed=1)
    report = json.loads((pytester.path / "r.json").read_text())
    validate(report)
    [case] = report["cases"]
    assert [r["name"] for r in case["runs"]] == ["observed", "expected"]
    assert case["verdict"] == "passed" and case["pass_rate"] is None and not case["flaky"]
    assert report["aggregates"]["latency_ms"]["runs"] == 0  # production data is no sample


def test_markdown_summary_regressions_first_and_step_summary(
    pytester, write_case, llm_stub, monkeypatch
):
    mixed_set(write_case, llm_stub)
    _, report = run(pytester, llm_stub, "--llm-retries=0")
    report["cases"] = [
        {**c, "outcome": "passed"} if c["id"] == "bad" else c for c in report["cases"]
    ]
    (pytester.path / "base.json").write_text(json.dumps(report))
    mixed_set(write_case, llm_stub)
    step = pytester.path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    result = pytester.runpytest(
        *llm_stub.args("--llm-retries=0", "--llm-baseline=base.json", "--llm-report-md=s.md")
    )
    assert result.ret == 1
    md = (pytester.path / "s.md").read_text()
    assert step.read_text() == "earlier step\n" + md
    lines = md.splitlines()
    assert lines[0] == "### ❌ LLM regressions: gate FAILED (1)"
    rows = [line for line in lines if line.startswith("| ") and "`" in line]
    assert [row.split("|")[1].strip() for row in rows] == ["regression", "error", "flaky"]
    assert "`bad`" in rows[0] and "`down`" in rows[1] and "openai: server error" in rows[1]
    assert "- pass rate: 4/6 fixed cases (66.7%); 1 open not counted" in lines
    assert "- REGRESSED (passed in the baseline, fail now) (1): bad" in lines


def test_markdown_when_everything_passes(pytester, write_case, llm_stub):
    llm_stub.script("good", Reply("14 days"))
    write_cases(write_case, ("good", {}))
    result = pytester.runpytest(*llm_stub.args("--llm-report-md=s.md"))
    assert result.ret == 0
    md = (pytester.path / "s.md").read_text()
    assert md.startswith("### ✅ LLM regressions: all cases passed\n")
    assert "| case |" not in md


def test_junit_xml_carries_per_case_properties(pytester, write_case, llm_stub):
    llm_stub.script("wobbly", Reply("14 days"), Reply("30 days"))
    write_cases(write_case, ("wobbly", {"repeat": 2, "min_pass_rate": 0.5}))
    pytester.runpytest(*llm_stub.args("--junitxml=j.xml")).assert_outcomes(passed=1)
    [case] = ET.parse(pytester.path / "j.xml").getroot().iter("testcase")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["llm_label"] == "stale_policy_retrieval"
    assert props["llm_pass_rate"] == "0.5"
    assert props["llm_verdict"] == "flaky"
    assert props["llm_model_served"] == "gpt-4o-mini-2024-07-18"
    assert float(props["llm_cost_usd"]) > 0
    assert "llm_case" not in props  # the full record stays out of the XML


VOLATILE = {"created_at", "duration_s", "latency_ms", "p50", "p95", "p99"}


def stable(data):
    """The report without wall-clock values."""
    if isinstance(data, dict):
        return {k: stable(v) for k, v in data.items() if k not in VOLATILE}
    if isinstance(data, list):
        return [stable(v) for v in data]
    return data


def test_same_results_with_and_without_xdist(pytester, write_case, llm_stub):
    mixed_set(write_case, llm_stub)
    # one call in flight: the flaky case's scripted answers reach its runs in order
    args = ("--llm-retries=0", "--llm-concurrency=1", "--llm-min-pass-rate=0.6", "--junitxml=j.xml")
    plain = pytester.runpytest_subprocess(*llm_stub.args(*args, "--llm-report=plain.json"))
    mixed_set(write_case, llm_stub)
    xdist = pytester.runpytest_subprocess(*llm_stub.args(*args, "-n", "2", "--llm-report=x.json"))
    assert plain.ret == xdist.ret == 0
    one, two = (json.loads((pytester.path / n).read_text()) for n in ("plain.json", "x.json"))
    validate(two)
    assert stable(one) == stable(two)
    assert one["aggregates"]["latency_ms"]["runs"] == two["aggregates"]["latency_ms"]["runs"]
    # the gate ran once, on the controller
    assert xdist.stdout.str().count("gate passed") == 1
    assert copy.deepcopy(one["gate"]) == two["gate"]


def test_errors_are_grouped_by_cause(pytester, write_case, llm_stub):
    llm_stub.script("down", Fault("status", 500))
    write_cases(write_case, ("down-1", {}), ("down-2", {}))
    pytester.makepyfile(boom="def check(result, case):\n    raise RuntimeError('boom')\n")
    pytester.syspathinsert()
    write_cases(write_case, ("broken", {"checks": [{"python": "boom:check"}]}))
    _, report = run(pytester, llm_stub, "--llm-retries=0")
    errors = report["aggregates"]["errors"]
    assert errors.get("openai: server error") == 2, errors
    others = {k: v for k, v in errors.items() if k != "openai: server error"}
    assert len(others) == 1 and "boom" in next(iter(others)), errors


def test_terminal_section_caps_long_lists_and_shows_gated_cases_first():
    from llm_regressions.report import terminal
    from llm_regressions.report.metrics import aggregate

    def record(i: int) -> dict:
        return {
            "id": f"c{i:02d}",
            "outcome": "failed",
            "verdict": "failed",
            "problem": "0/1 run passed",
            "flaky": False,
            "trouble": None,
            "drift": None,
            "prompt_run": None,
            "status": "fixed",
            "label": "x",
            "golden": i == 59,
            "runs": [],
            "pass_rate": None,
            "cost_usd": None,
        }

    records = [record(i) for i in range(60)]
    gate = {
        "passed": False,
        "decides": True,
        "failures": ["golden case c59 did not pass (failed)"],
        "warnings": [],
        "notes": [],
        "baseline": None,
    }
    failures = {"c59": [("golden", "golden case c59 did not pass (failed)")]}
    lines = terminal.section(records, aggregate(records), gate, failures)
    assert lines[0] == "failed (60):"
    assert lines[1] == "  c59: 0/1 run passed  [golden]"  # the gate's case first
    assert lines[terminal.MAX_LISTED + 1] == "  ... and 10 more"
    assert sum("c59" in line for line in lines) == 1
    assert "  1 failed case(s) above, marked with why the gate counts them" in lines


def test_money_reads_as_money_and_empty_comparisons_are_left_out():
    from llm_regressions.report import text

    assert [text.usd(v) for v in (2.55833e-05, 0.000136, 1.5, None)] == [
        "$0.0000256",
        "$0.000136",
        "$1.50",
        "n/a",
    ]
    nothing = {"baseline": None, "current": None, "change": None}
    cmp = {
        "buckets": {"regressed": [], "fixed": [], "new": ["a"]},
        "causes": {},
        "paired": {"p_value": None},
        "p95_latency_ms": nothing,
        "cost_per_case_usd": nothing,
    }
    lines = text.baseline_lines(cmp)
    assert lines == ["new cases (1): a"]  # no "cost per case: n/a -> n/a"
