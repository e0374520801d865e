"""``llm_judge`` in monitor rules: refused without a budget (a located error saying to
give one), sent through litellm to the loopback stub under ``--llm-max-cost``, and once
the budget is spent the spans left unjudged are counted and fail ``judge_budget``."""

from __future__ import annotations

import json

import pytest

from monitor_support import write_logs
from stub_support import Reply, last_message

JUDGE = "openai/gpt-4o-2024-08-06"
RULES = f"""\
version: 1
rules:
  - name: polite
    label: impolite_answer
    checks:
      - llm_judge: {{criteria: "Is the answer polite and helpful?", model: "{JUDGE}"}}
"""


@pytest.fixture
def judged(pytester, llm_stub):
    """Logs (4 spans a day and format) and the rules; the judge fails refusals."""
    write_logs(pytester.path / "logs", "pass_rate", per_day=4)
    pytester.makefile(".yaml", monitors=RULES)

    def verdict(body: dict) -> Reply:
        refused = "I cannot help" in last_message(body)["content"]
        return Reply({"pass": not refused, "reason": "refuses" if refused else "helpful"})

    llm_stub.respond(verdict)
    return llm_stub


def _run(pytester, stub, *args: str):
    return pytester.runpytest(
        "--llm-monitor", "logs", "--llm-monitor-window", "1d", "--llm-report", "r.json",
        f"--llm-api-base={stub.url}", "--llm-timeout=10", "--llm-retries=1",
        "-p", "no:unraisableexception", "-rA", *args,
    )  # fmt: skip


def test_llm_judge_without_a_budget_is_a_located_error(pytester) -> None:
    (pytester.path / "logs").mkdir()
    pytester.makefile(".yaml", monitors=RULES)
    result = pytester.runpytest("--llm-monitor", "logs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "monitors.yaml:6: rules[0].checks[0].llm_judge: llm_judge calls a model for every "
        "matched span: give the run a budget (--llm-max-cost USD" in result.stderr.str()
    )


def test_the_judge_scores_every_matched_span_through_the_engine(pytester, judged) -> None:
    result = _run(pytester, judged, "--llm-max-cost", "1")
    result.stdout.fnmatch_lines(["llm_judge calls cost $* of the $1.00 budget"])
    result.stdout.fnmatch_lines(["PASSED ::llm-monitor::judge_budget"])
    monitor = json.loads((pytester.path / "r.json").read_text())["monitor"]
    (rule,) = monitor["rules"]
    asked = judged.received("Criterion: Is the answer polite and helpful?")
    assert rule["matched"] == len(asked) > 0
    assert {body["model"] for body in asked} == {JUDGE.split("/")[1]}
    # the span's own conversation reaches the judge (a production span's plain dicts)
    assert "User's last message:" in asked[0]["messages"][-1]["content"]
    assert monitor["judge"]["unjudged"] == 0 and monitor["judge"]["spent_usd"] > 0
    (cluster,) = monitor["failing"]
    assert cluster["label"] == "impolite_answer"
    assert cluster["spans"][0]["failed"][0]["reason"] == f"judge {JUDGE}: refuses"
    assert rule["matched"] - rule["passed"] == cluster["size"] > 0


def test_spans_over_the_budget_are_counted_and_fail_the_run(pytester, judged) -> None:
    result = _run(pytester, judged, "--llm-max-cost", "0.0004", "--llm-report-html", "r.html")
    result.stdout.fnmatch_lines(
        ["alert judge_budget: * span(s) not judged: "
         "--llm-max-cost $0.0004 reached*"]
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    monitor = json.loads((pytester.path / "r.json").read_text())["monitor"]
    (rule,) = monitor["rules"]
    asked = judged.received("Criterion:")
    assert rule["matched"] == len(asked) > 0  # only the judged spans are scored
    assert monitor["judge"]["unjudged"] > 0
    assert monitor["judge"]["spent_usd"] >= 0.0004
    page = (pytester.path / "r.html").read_text(encoding="utf-8")
    assert f"monitor FAILED: {monitor['judge']['unjudged']} span(s) not judged" in page
    # every span the rule matches is either judged or counted as not judged
    full = _run(pytester, judged, "--llm-max-cost", "1")
    full.stdout.fnmatch_lines(["PASSED ::llm-monitor::judge_budget"])
    again = json.loads((pytester.path / "r.json").read_text())["monitor"]["rules"][0]
    assert again["matched"] == rule["matched"] + monitor["judge"]["unjudged"]
