"""The deploy gates, each both ways, in real sessions against the stub server."""

from __future__ import annotations

import fnmatch
import json

import pytest

from gate_support import by_id, run, validate, write_cases
from llm_regressions.__main__ import main
from stub_support import Reply

GOOD, BAD = Reply("Orders: 14 days."), Reply("You have 30 days.")


@pytest.fixture
def answers(llm_stub):
    """Cases named good* get the right answer, bad* the wrong one."""
    llm_stub.script("good", GOOD)
    llm_stub.script("bad", BAD)
    return llm_stub


def test_golden_selects_golden_cases_and_passes(pytester, write_case, answers):
    pytester.makeini("[pytest]\nllm_regressions_golden_min = 2\n")
    write_cases(
        write_case,
        ("good-1", {"golden": True}),
        ("good-2", {"golden": True}),
        ("bad-open", {"golden": True, "status": "open"}),
        ("bad-not-golden", {}),
    )
    result, report = run(pytester, answers, "--llm-golden")
    assert result.ret == 0
    result.assert_outcomes(passed=2, xfailed=1, deselected=1)
    assert sorted(by_id(report)) == ["bad-open", "good-1", "good-2"]
    assert answers.received("not-golden") == []
    result.stdout.fnmatch_lines(["*open golden case bad-open (still reproduces; not gated)*"])
    assert report["gate"]["passed"] and report["run"]["golden"]


def test_golden_fails_when_a_fixed_golden_case_fails(pytester, write_case, answers):
    pytester.makeini("[pytest]\nllm_regressions_golden_min = 2\n")
    write_cases(write_case, ("good-1", {"golden": True}), ("bad-1", {"golden": True}))
    result, report = run(pytester, answers, "--llm-golden", "--llm-min-pass-rate=0.5")
    assert result.ret == 1
    assert report["gate"]["failures"] == ["golden case bad-1 did not pass (failed)"]


def test_open_golden_case_that_passes_is_reported_not_gated(pytester, write_case, answers):
    pytester.makeini("[pytest]\nllm_regressions_golden_min = 1\n")
    write_cases(
        write_case, ("good-1", {"golden": True}), ("good-open", {"golden": True, "status": "open"})
    )
    result, _ = run(pytester, answers, "--llm-golden")
    result.assert_outcomes(passed=1, failed=1)  # pytest still shows "fixed? set status"
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*open golden case good-open (now failed; not gated)*"])


def test_golden_set_too_small_says_how_many_are_missing(pytester, write_case, answers):
    write_cases(write_case, *[(f"good-{i}", {"golden": True}) for i in range(3)])
    result, report = run(pytester, answers, "--llm-golden")
    result.assert_outcomes(passed=3)
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*golden set too small: 3 case(s), needs 20 (17 missing*"])
    assert not report["gate"]["passed"]


@pytest.mark.parametrize(("need", "ret"), [("0.75", 0), ("0.8", 1)])
def test_min_pass_rate_decides_the_exit_status(pytester, write_case, answers, need, ret):
    write_cases(
        write_case,
        *[(f"good-{i}", {}) for i in range(3)],
        ("bad-1", {}),
        ("bad-open", {"status": "open"}),  # open: not counted
    )
    result, report = run(pytester, answers, f"--llm-min-pass-rate={need}")
    result.assert_outcomes(passed=3, failed=1, xfailed=1)
    assert result.ret == ret
    assert report["aggregates"]["pass_rate"] == {"passed": 3, "total": 4, "rate": 0.75}
    if ret:
        result.stdout.fnmatch_lines(["*pass rate 3/4 = 75.0% is below --llm-min-pass-rate 80.0%*"])
    else:
        result.stdout.fnmatch_lines(["gate passed (1 case(s) failed, within the threshold)"])


@pytest.mark.parametrize(("need", "ret"), [("0.5", 0), ("0.6", 1)])
def test_per_label_minimum(pytester, write_case, answers, need, ret):
    pytester.makeini(f"[pytest]\nllm_regressions_label_min_pass_rate =\n    tool_misuse = {need}\n")
    write_cases(
        write_case,
        ("good-1", {}),
        ("good-2", {"label": "tool_misuse"}),
        ("bad-1", {"label": "tool_misuse"}),
    )
    result, _ = run(pytester, answers, "--llm-min-pass-rate=0.5")
    assert result.ret == ret
    if ret:
        result.stdout.fnmatch_lines(["*label tool_misuse: pass rate 1/2 = 50.0% is below 60.0%*"])


def test_min_pass_rate_does_not_hide_other_failing_tests(pytester, write_case, answers):
    write_cases(write_case, ("good-1", {}))
    pytester.makepyfile(test_unit="def test_broken():\n    assert False\n")
    result = pytester.runpytest(
        *answers.args("--llm-min-pass-rate=0.5", "regressions", "test_unit.py")
    )
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == 1


def _baseline(pytester, report, **changes) -> str:
    """Write ``report`` as baseline.json, with per-case field changes applied."""
    for case in report["cases"]:
        case.update(changes.get(case["id"], {}))
    (pytester.path / "baseline.json").write_text(json.dumps(report))
    return "--llm-baseline=baseline.json"


def test_baseline_regression_fails_and_changes_are_listed(pytester, write_case, answers):
    write_cases(write_case, ("good-1", {}), ("good-2", {}), ("bad-1", {}), ("bad-2", {}))
    _, report = run(pytester, answers)
    flag = _baseline(
        pytester,
        report,
        **{"bad-1": {"outcome": "passed"}, "good-2": {"outcome": "failed"}},
    )
    # bad-2 was not in the baseline; a case only the baseline has is "removed"
    report["cases"] = [c for c in report["cases"] if c["id"] != "bad-2"]
    report["cases"].append({**report["cases"][0], "id": "gone", "nodeid": "x::gone"})
    (pytester.path / "baseline.json").write_text(json.dumps(report))
    result, now = run(pytester, answers, flag, report="now.json")
    assert result.ret == 1
    validate(now)
    cmp = now["gate"]["baseline"]
    buckets = cmp["buckets"]
    assert buckets["regressed"] == ["bad-1"] and buckets["fixed"] == ["good-2"]
    assert buckets["new"] == ["bad-2"] and buckets["removed"] == ["gone"]
    assert buckets["still_failing"] == [] and buckets["inconclusive"] == []
    # bad-1 went pass -> fail and good-2 fail -> pass: no evidence either way
    assert cmp["paired"]["shared"] == 3 and cmp["paired"]["p_value"] == 1.0
    result.stdout.fnmatch_lines(
        [
            "failed (2):",
            "  bad-1: 0/1 run passed, need 1.00  [passed in the baseline]",
            "  bad-2: 0/1 run passed, need 1.00",
            "compared with the baseline:",
            "  fixed (failed in the baseline, pass now) (1): good-2",
            "  new cases (1): bad-2",
            "  removed cases (1): gone",
            "  paired test: on the 3 cases both runs judged, 1 went from passing to failing "
            "and 1 the other way: exact McNemar p = 1, within run-to-run noise",
            "*gate FAILED (1):",
            "  1 failed case(s) above, marked with why the gate counts them",
        ]
    )
    section = result.stdout.str().split("= llm regressions =")[1].split("short test summary")[0]
    assert section.count("bad-1") == 1  # named once, with the gate's reason beside it


def test_baseline_without_regressions_passes(pytester, write_case, answers):
    write_cases(write_case, ("good-1", {}), ("bad-1", {}))
    _, report = run(pytester, answers)
    flag = _baseline(pytester, report)
    result, now = run(pytester, answers, flag, "--llm-min-pass-rate=0.5", report="now.json")
    assert result.ret == 0
    assert now["gate"]["baseline"]["buckets"]["regressed"] == []


def test_baseline_model_and_prompt_change_warns_naming_both(pytester, write_case, answers):
    write_cases(write_case, ("good-1", {"source": {"prompt_version": "bot@v2"}}))
    _, report = run(pytester, answers)
    flag = _baseline(
        pytester,
        report,
        **{"good-1": {"model": "openai/gpt-4o-2024-08-06", "prompt": "bot@v1"}},
    )
    result, _ = run(pytester, answers, flag, report="now.json")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "warning: baseline model differs: openai/gpt-4o-2024-08-06 -> "
            "openai/gpt-4o-mini-2024-07-18 (1 case)",
            "warning: baseline prompt differs: bot@v1 -> bot@v2 (1 case)",
        ]
    )


def test_baseline_newly_flaky(pytester, write_case, llm_stub):
    llm_stub.script("wobbly", Reply("14 days"), Reply("30 days"))
    write_cases(write_case, ("wobbly", {"repeat": 2, "min_pass_rate": 0.5}))
    _, report = run(pytester, llm_stub)
    flag = _baseline(pytester, report, wobbly={"flaky": False, "verdict": "passed"})
    llm_stub.script("wobbly", Reply("14 days"), Reply("30 days"))
    result, now = run(pytester, llm_stub, flag, report="now.json")
    assert result.ret == 0
    assert now["cases"][0]["verdict"] == "flaky"
    result.stdout.fnmatch_lines(["  newly flaky (1): wobbly"])


def _cheaper(factor: float):
    def change(case: dict) -> None:
        case["cost_usd"] /= factor

    return change


def _latency(ms: float):
    def change(case: dict) -> None:
        for r in case["runs"]:
            r["latency_ms"] = ms

    return change


@pytest.mark.parametrize(
    ("flag", "change", "ret", "line"),
    [
        ("--llm-baseline-max-cost-increase=0.2", _cheaper(1.1), 0, None),
        (
            "--llm-baseline-max-cost-increase=0.2",
            _cheaper(1.5),
            1,
            "*cost per case usd rose +50.0% over the baseline*",
        ),
        # wall-clock latency varies between runs: baselines far off either way
        ("--llm-baseline-max-p95-increase=0.3", _latency(60_000.0), 0, None),
        (
            "--llm-baseline-max-p95-increase=0.3",
            _latency(1.0),
            1,
            "*p95 latency ms rose * over the baseline (1 -> *",
        ),
    ],
    ids=["cost-ok", "cost-up", "p95-ok", "p95-up"],
)
def test_cost_and_latency_drift_gates(pytester, write_case, answers, flag, change, ret, line):
    write_cases(write_case, ("good-1", {}), ("good-2", {}))
    _, report = run(pytester, answers)
    for case in report["cases"]:
        change(case)
    result, _ = run(pytester, answers, _baseline(pytester, report), flag, report="now.json")
    assert result.ret == ret
    if line:
        result.stdout.fnmatch_lines([line])


def test_bad_baseline_file_is_a_usage_error(pytester, write_case, answers):
    write_cases(write_case, ("good-1", {}))
    (pytester.path / "baseline.json").write_text('{"format": "something else"}')
    result = pytester.runpytest(*answers.args("--llm-baseline=baseline.json"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*not a pytest-llm-regressions report*"])


def test_golden_without_golden_cases_fails(pytester, write_case, answers):
    write_cases(write_case, ("good-1", {}))
    result, report = run(pytester, answers, "--llm-golden")
    result.assert_outcomes(deselected=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert report["gate"]["failures"][0].startswith("golden set too small: 0 case(s), needs 20")
    result.stdout.fnmatch_lines(
        ["gate FAILED (2):", "  golden set too small: 0 case(s)*", "  incomplete run (*"]
    )


def test_unwritable_report_fails_the_gate_with_a_reason(pytester, write_case, answers):
    write_cases(write_case, ("good-1", {}))
    (pytester.path / "taken").write_text("a file, not a folder")
    result = pytester.runpytest(*answers.args("--llm-report=taken/r.json"))
    result.assert_outcomes(passed=1)
    assert result.ret == 1
    assert "INTERNALERROR" not in result.stdout.str()
    result.stdout.fnmatch_lines(["gate FAILED (1):", "  could not write a report: *"])


@pytest.mark.parametrize(
    ("baseline", "message"),
    [
        ({"cases": [{}]}, "$: must contain *"),
        ({"cases": "all"}, "$: must contain *"),
        ("NaN", "*NaN is not a number a report can hold*"),
        ("[" * 50000 + "]" * 50000, "*nested too deeply to be a report"),
    ],
)
def test_a_broken_baseline_is_refused_before_anything_is_sent(
    pytester, write_case, answers, baseline, message
):
    write_cases(write_case, ("good-1", {}))
    text = (
        baseline
        if isinstance(baseline, str)
        else json.dumps({"format": "pytest-llm-regressions/report", "version": 1, **baseline})
    )
    (pytester.path / "baseline.json").write_text(text)
    result = pytester.runpytest(*answers.args("--llm-baseline=baseline.json"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --llm-baseline: *baseline.json*{message}"])
    assert answers.received() == [] and "Traceback" not in result.stderr.str()


INTERRUPT_SECOND = """
import pytest

seen = []

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    seen.append(item)
    if len(seen) == 2:
        raise KeyboardInterrupt
"""


def test_an_interrupted_run_writes_an_incomplete_report_no_gate_passes(
    pytester, write_case, answers
):
    write_cases(write_case, ("good-1", {}), ("good-2", {}), ("good-3", {}))
    pytester.makeconftest(INTERRUPT_SECOND)
    result = pytester.runpytest(*answers.args("--llm-report=r.json"), no_reraise_ctrlc=True)
    report = json.loads((pytester.path / "r.json").read_text())
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert report["complete"] is False and report["incomplete"] == "interrupted"
    assert report["gate"]["passed"] is False
    validate(report)
    assert main(["gate", str(pytester.path / "r.json")]) == 1


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("-k", "nothing_matches"), "no test was collected or selected"),
        (("-x",), "stopped early: *"),
    ],
)
def test_empty_or_stopped_runs_fail_every_gate(pytester, write_case, answers, args, reason):
    write_cases(write_case, ("bad-1", {}), ("good-1", {}))
    result, report = run(pytester, answers, "--llm-min-pass-rate=0", *args)
    assert result.ret != pytest.ExitCode.OK
    assert report["complete"] is False and fnmatch.fnmatch(report["incomplete"], reason)
    assert not report["gate"]["passed"]
    result.stdout.fnmatch_lines(["gate FAILED*", "  incomplete run (*): no gate passes on it"])


def test_merged_report_of_an_incomplete_shard_is_incomplete(pytester, write_case, answers):
    write_cases(write_case, ("good-1", {}))
    run(pytester, answers, report="a.json")
    run(pytester, answers, "-k", "nothing", report="b.json")
    out = pytester.path / "all.json"
    assert main(["report", "merge", "a.json", "b.json", "-o", str(out)]) == 0
    merged = json.loads(out.read_text())
    assert merged["complete"] is False and merged["incomplete"].startswith("b.json: ")
    assert main(["gate", str(out)]) == 1
