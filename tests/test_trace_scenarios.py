"""Every sample scenario in every real format, through real pytest sessions: inspect
finds the signal the scenario is about, and promotion writes a case that loads and
passes ``--llm-replay recorded`` (its checks fail on the recorded failure)."""

from __future__ import annotations

import re

import pytest

from llm_regressions.casefile.loader import load_case_file
from trace_support import FORMATS, promote, sample, written_cases

#: scenario -> the signal inspect must report. litellm's logging payload records only
#: the model calls (no retrieval span), so stale retrieval cannot show in it.
SIGNALS = {
    "rag_stale_retrieval": "retrieval_stale",
    "agent_tool_loop": "repeated_tool_call",
    "parser_malformed_json": "json_invalid",
    "silent_tool_failure": "tool_empty_success",
    "truncated_length": "finish_length",
    "provider_error_500": "error_status",
    "provider_error_429_fallback": "error_status",
    "empty_completion": "empty_output",
}
NOT_RECORDED = {("litellm-standard-logging-payload", "rag_stale_retrieval")}

#: scenario -> promotion arguments whose checks catch the recorded failure.
PROMOTE_ARGS = {
    "rag_stale_retrieval": ["--promote-check", "not_contains: 14 days"],
    "agent_tool_loop": ["--promote-suggested"],
    "parser_malformed_json": ["--promote-suggested"],
    "silent_tool_failure": ["--promote-check", "not_contains: out of stock"],
    "truncated_length": ["--promote-suggested"],
    "empty_completion": ["--promote-suggested"],
    "multi_turn_system_prompt": ["--promote-check", "contains: tracking link"],
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scenario", sorted(SIGNALS))
def test_inspect_finds_the_scenario_signal(pytester, fmt, scenario):
    path = sample(pytester, fmt, scenario)
    result = pytester.runpytest("--llm-inspect-trace", str(path))
    assert result.ret == 0
    text = result.stdout.str()
    if (fmt, scenario) in NOT_RECORDED:
        assert "no failure signals found" in text  # nothing invented for what is missing
    else:
        assert f"[{SIGNALS[scenario]}]" in text
        assert "first suspect span:" in text
    assert "no tests ran" not in text and "collected" not in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_inspect_multi_turn_shows_every_turn(pytester, fmt):
    result = pytester.runpytest(
        "--llm-inspect-trace", str(sample(pytester, fmt, "multi_turn_system_prompt"))
    )
    assert result.ret == 0
    text = result.stdout.str()
    assert len(re.findall(r"^\s+llm ", text, re.MULTILINE)) == 3
    assert "no failure signals found" in text


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scenario", sorted(PROMOTE_ARGS))
def test_promoted_case_catches_its_failure(pytester, fmt, scenario):
    path = sample(pytester, fmt, scenario)
    result = promote(pytester, path, *PROMOTE_ARGS[scenario], label=scenario)
    assert result.ret == 0, result.stdout.str()
    (case_path,) = written_cases(pytester)
    assert case_path.parent.name == scenario
    result.stdout.fnmatch_lines(
        [
            "verified: fails on observed: *",
            f"wrote *{case_path.name}",
            "next: pytest --llm-regressions --llm-replay recorded *",
        ]
    )
    (loaded,) = load_case_file(case_path)
    assert loaded.case.status == "open" and loaded.case.source.format
    assert "gpt-4o-mini" in loaded.case.model.name
    run = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded")
    run.assert_outcomes(passed=1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_provider_error_is_refused_with_an_explanation(pytester, fmt):
    path = sample(pytester, fmt, "provider_error_500")
    result = promote(pytester, path, "--promote-suggested", label="provider_500")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*is a provider error*no model behaviour to regress on*"])
    assert "No LLM span in this trace has output" in result.stdout.str()
    assert written_cases(pytester) == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_fallback_trace_points_at_the_span_with_output(pytester, fmt):
    path = sample(pytester, fmt, "provider_error_429_fallback")
    args = ("--promote-check", "max_chars: 40")
    refused = promote(pytester, path, *args, label="fallback_answer")
    assert refused.ret == 1 and written_cases(pytester) == []
    text = refused.stdout.str()
    assert "is a provider error" in text
    span_id = re.search(r"--promote-span, e\.g\.:\n\s+(\S+)", text).group(1)
    result = promote(pytester, path, *args, "--promote-span", span_id, label="fallback_answer")
    assert result.ret == 0, result.stdout.str()
    pytester.runpytest("--llm-regressions", "--llm-replay", "recorded").assert_outcomes(passed=1)
