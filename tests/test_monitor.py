"""--llm-monitor: production logs with planted incidents, each raising exactly its alert
(pytester sessions on generated logs in the real formats: tests/monitor_support.py)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from llm_regressions.casefile.schema import checked_in_schema, render_schema
from llm_regressions.monitor.schema import SCHEMA_FILE, build_monitor_schema
from monitor_support import MONITORS_YAML, write_logs

ALERTS = ("spend_per_tenant", "eval_pass_rate", "non_ascii_share", "tool_success_rate")


def _monitor(pytester: pytest.Pytester, incident: str | None, *args: str):
    write_logs(pytester.path / "logs", incident)
    pytester.makefile(".yaml", monitors=MONITORS_YAML)
    return pytester.runpytest("--llm-monitor", "logs", "--llm-monitor-window", "1d", "-rA", *args)


@pytest.mark.parametrize(
    ("incident", "alert"),
    [
        (None, None),
        ("spend", "spend_per_tenant"),
        ("pass_rate", "eval_pass_rate"),
        ("non_ascii", "non_ascii_share"),
        ("tool_empty", "tool_success_rate"),
    ],
)
def test_each_incident_raises_exactly_its_alert(pytester, incident, alert) -> None:
    result = _monitor(pytester, incident)
    failed = [a for a in ALERTS if f"FAILED ::llm-monitor::{a}" in result.stdout.str()]
    assert failed == ([alert] if alert else []), result.stdout.str()
    result.assert_outcomes(passed=8 - len(failed), failed=len(failed), skipped=1)
    result.stdout.fnmatch_lines(["*rule never_matches: matched no span*"])


def test_the_report_lists_failing_spans_with_their_promote_command(pytester) -> None:
    result = _monitor(pytester, "pass_rate", "--llm-report", "r.json", "--llm-report-md", "r.md")
    result.stdout.fnmatch_lines(["*alert eval_pass_rate: eval pass rate 88.9% (80/90) vs 100.0%*"])
    report = json.loads((pytester.path / "r.json").read_text())
    monitor = report["monitor"]
    assert monitor["failing_total"] == 10
    (cluster,) = monitor["failing"]
    assert cluster["label"] == "refused_answer" and cluster["size"] == 10
    command = cluster["spans"][0]["promote"]
    assert command.startswith("pytest --promote-trace=logs/otlp.jsonl --promote-trace-id ")
    assert command.endswith(
        "--promote-label refused_answer --promote-check '{not_contains: I cannot help}'"
    )
    assert [w["spans"] for w in monitor["windows"]] == [90] * 8
    schema = json.loads(
        (Path(__file__).parent.parent / "src/llm_regressions/schemas/report.v1.json").read_text()
    )
    assert not [e.message for e in Draft202012Validator(schema).iter_errors(report)]
    markdown = (pytester.path / "r.md").read_text()
    assert "| eval_pass_rate | failed |" in markdown and command in markdown
    promoted = pytester.runpytest(*shlex.split(command)[1:])  # the command works as printed
    promoted.stdout.fnmatch_lines(
        ["verified: fails on observed*", "wrote regressions/refused_answer/*"]
    )


def test_history_gives_baselines_across_runs(pytester) -> None:
    write_logs(pytester.path / "all", "spend")
    pytester.makefile(".yaml", monitors=MONITORS_YAML)
    days = pytester.path / "days"
    days.mkdir()
    for name in ("otlp.jsonl", "litellm.jsonl", "langfuse.jsonl"):
        lines = (pytester.path / "all" / name).read_text().splitlines(keepends=True)
        cut = len(lines) * 7 // 8
        (days / f"early-{name}").write_text("".join(lines[:cut]))
        (days / f"late-{name}").write_text("".join(lines[cut:]))
    common = ("--llm-monitor-window", "1d", "--llm-monitor-history", "h.jsonl")
    early = [str(days / f"early-{n}") for n in ("otlp.jsonl", "litellm.jsonl", "langfuse.jsonl")]
    late = [str(days / f"late-{n}") for n in ("otlp.jsonl", "litellm.jsonl", "langfuse.jsonl")]
    pytester.runpytest("--llm-monitor", *early, *common).assert_outcomes(passed=8, skipped=1)
    alone = pytester.runpytest("--llm-monitor", *late, "--llm-monitor-window", "1d", "-rs")
    # a skipped alert says which one, at the rules file that configures it
    alone.stdout.fnmatch_lines(["SKIPPED * monitors.yaml:1: *: too few spans for a baseline*"])
    result = pytester.runpytest("--llm-monitor", *late, *common)
    result.stdout.fnmatch_lines(["*tenant 'acme' spent*5.0x its 7-day average*"])


def test_unreadable_lines_are_counted_and_the_run_goes_on(pytester) -> None:
    write_logs(pytester.path / "logs")
    with (pytester.path / "logs" / "litellm.jsonl").open("a") as handle:
        handle.write('{"not": "a payload"}\n{broken json\n')
    (pytester.path / "logs" / "README.md").write_text("not a trace")
    pytester.makefile(".yaml", monitors=MONITORS_YAML)
    result = pytester.runpytest("--llm-monitor", "logs", "--llm-monitor-window", "1d")
    result.stdout.fnmatch_lines(
        ["skipped 1 file(s) in the folders not ending in .json/.jsonl/.ndjson: logs/README.md",
         "2 unreadable (skipped):", "*litellm.jsonl line 241: no reader takes this line*",
         "*litellm.jsonl line 242: *"]
    )  # fmt: skip
    assert result.ret == 0


def test_sampling_keeps_the_same_traces(pytester) -> None:
    write_logs(pytester.path / "logs")
    pytester.makefile(".yaml", monitors=MONITORS_YAML)
    args = ("--llm-monitor", "logs", "--llm-monitor-sample", "0.3", "--llm-report", "r.json")
    firsts = []
    for _ in range(2):
        pytester.runpytest(*args)
        firsts.append(json.loads((pytester.path / "r.json").read_text())["monitor"]["sampled_out"])
    assert firsts[0] == firsts[1] and 0.6 < firsts[0] / 960 < 0.8


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\nrules:\n  - name: a\n    checks:\n      - llm_judge: Is it polite?\n",
         "monitors.yaml:5: rules[0].checks[0].llm_judge: llm_judge calls a model*"),
        ("version: 1\nrules:\n  - name: a\n    matc: {}\n    checks:\n      - ascii_only: true\n",
         "monitors.yaml:4: rules[0].matc: unknown field (did you mean 'match'?)"),
        ("version: 1\nrules:\n  - name: a\n    checks:\n      - max_chars: lots\n",
         "monitors.yaml:5: rules[0].checks[0].max_chars: *valid integer*"),
        ("version: 1\nrules:\n  - name: a\n    checks:\n      - matches_expected: true\n",
         "*matches_expected needs a case's expected output*"),
    ],
)  # fmt: skip
def test_a_bad_rules_file_is_a_located_usage_error(pytester, text, expected) -> None:
    (pytester.path / "logs").mkdir()
    pytester.makefile(".yaml", monitors=text)
    result = pytester.runpytest("--llm-monitor", "logs")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert expected.split("*")[0] in result.stderr.str()
    assert expected.split("*")[-2 if expected.endswith("*") else -1] in result.stderr.str()


def test_a_run_that_reads_no_span_fails(pytester) -> None:
    pytester.makefile(".yaml", monitors=MONITORS_YAML)
    result = pytester.runpytest("--llm-monitor", "no-such-logs", "-rA")
    result.stdout.fnmatch_lines(
        ["collected 4 items", "*alert input: no span read from 1 file(s) (1 unreadable)*",
         "*no-such-logs: cannot read: No such file or directory*"]
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--llm-monitor-window", "1d"), "--llm-monitor-window needs --llm-monitor"),
        (("--llm-monitor", "x", "--llm-monitor-window", "1w"), "write a number and a unit"),
        (("--llm-monitor", "x", "--llm-monitor-sample", "0"), "must be above 0"),
        (("--llm-monitor", "x", "--llm-regressions"), "runs instead of the cases"),
        (("--llm-monitor", "x", "-n", "2"), "run it with -n 0"),
    ],
)
def test_flag_mistakes_are_usage_errors(pytester, args, message) -> None:
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_checked_in_monitor_schema_matches_the_models() -> None:
    import pydantic

    if tuple(int(part) for part in pydantic.VERSION.split(".")[:2]) < (2, 11):
        pytest.skip("monitor.v1.json is rendered with pydantic >= 2.11")
    assert checked_in_schema(SCHEMA_FILE) == render_schema(build_monitor_schema()), (
        "src/llm_regressions/schemas/monitor.v1.json is stale: regenerate it with "
        "`python -m llm_regressions schema --monitors > src/llm_regressions/schemas/monitor.v1.json`"
    )


def test_monitor_schema_accepts_the_example_and_rejects_typos() -> None:
    import yaml

    validator = Draft202012Validator(build_monitor_schema())
    Draft202012Validator.check_schema(build_monitor_schema())
    data = yaml.safe_load(MONITORS_YAML)
    assert not list(validator.iter_errors(data))
    assert not validator.is_valid({**data, "rule": []})
    assert not validator.is_valid(
        {**data, "rules": [{"name": "a", "checks": [{"max_chars": "x"}]}]}
    )
