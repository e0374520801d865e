"""The trace commands as a user meets them: --help, ini settings, companions."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import yaml

from llm_regressions.casefile.loader import load_case_file
from trace_support import (
    event_mode_chat_span,
    operation_details,
    otlp,
    otlp_logs,
    promote,
    sample,
    written_cases,
)

OPTIONS = (
    "--llm-inspect-trace",
    "--llm-known-good",
    "--promote-trace",
    "--promote-label",
    "--promote-golden",
    "--promote-span",
    "--promote-trace-id",
    "--promote-check",
    "--promote-expected",
    "--promote-suggested",
    "--promote-unverified",
    "--promote-force",
    "--promote-redact-pattern",
    "--promote-logs",
)


def test_options_are_documented_in_the_plugin_group(pytester):
    text = pytester.runpytest("--help").stdout.str()
    group = text[text.index("LLM regression cases") :]
    for option in OPTIONS:
        assert f"\n  {option}" in group, option
    assert "llm_regressions_promote_dir" in text


def test_importing_the_trace_wiring_stays_light():
    code = (
        "import sys, llm_regressions.plugin, llm_regressions.promote.commands; "
        "print(sorted(m for m in ('litellm', 'pydantic', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_promote_dir_ini_golden_and_expected_from_file(pytester):
    pytester.makeini(
        "[pytest]\nllm_regressions_promote_dir = cases\nllm_regressions_paths = cases\n"
    )
    path = sample(pytester, "openinference", "rag_stale_retrieval")
    (pytester.path / "good.txt").write_text("Annual plans:\n30 days.\n", encoding="utf-8")
    result = promote(
        pytester,
        path,
        "--promote-golden",
        "--promote-check",
        "not_contains: 14 days",
        "--promote-check",
        "contains: 30 days",
        "--promote-expected=@good.txt",  # with '=': pytest expands a lone @file itself
        label="stale_policy_retrieval",
    )
    assert result.ret == 0, result.stdout.str()
    (case_path,) = (pytester.path / "cases" / "stale_policy_retrieval").glob("*.yaml")
    (loaded,) = load_case_file(case_path)
    case = loaded.case
    assert case.golden and case.expected.output == "Annual plans:\n30 days.\n"
    assert case.model.params["seed"] == 42 and case.request.response_format == {
        "type": "json_object"
    }
    assert [d.id for d in case.context.retrieval] == ["kb-0142", "kb-0977", "kb-1310"]
    assert case.source.trace_id and case.source.span_id and case.source.content_hash
    pytester.runpytest("--llm-regressions", "--llm-replay", "recorded").assert_outcomes(passed=1)


def test_promote_span_that_is_not_an_llm_span(pytester):
    path = sample(pytester, "openllmetry", "rag_stale_retrieval")
    result = promote(pytester, path, "--promote-check", "contains: z", "--promote-span", "0" * 16)
    assert result.ret == 4
    assert "is not in the trace; LLM spans:" in result.stderr.str()


def test_inspect_and_promote_together_is_a_usage_error(pytester):
    path = sample(pytester, "openllmetry", "rag_stale_retrieval")
    result = pytester.runpytest("--promote-trace", str(path), "--llm-inspect-trace", str(path))
    assert result.ret == 4


def test_tool_context_is_kept(pytester):
    path = sample(pytester, "openllmetry", "silent_tool_failure")
    result = promote(pytester, path, "--promote-check", "not_contains: out of stock")
    assert result.ret == 0, result.stdout.str()
    (case_path,) = (pytester.path / "regressions").rglob("*.yaml")
    (loaded,) = load_case_file(case_path)
    (call,) = loaded.case.context.tool_calls
    assert call.name == "check_inventory" and call.result["items"] == []
    assert call.arguments == {"sku": "HDMI-2M-BLK", "warehouse": "eu-west"}
    assert "not recorded in the trace: seed" in loaded.case.context.notes  # OpenLLMetry drops it
    assert "pinned to the served snapshot 'gpt-4o-mini-2024-07-18'" in loaded.case.context.notes


def event_mode_files(pytester) -> tuple:
    """A GenAI span whose content (a refusal) is in a separate logs file."""
    span = event_mode_chat_span("00000000000000a1")
    spans_path = pytester.path / "spans.json"
    spans_path.write_text(json.dumps(otlp(span)), encoding="utf-8")
    logs_path = pytester.path / "logs.json"
    record = operation_details("00000000000000a1", "Hi", "I cannot help with that.")
    logs_path.write_text(json.dumps(otlp_logs(record)), encoding="utf-8")
    return spans_path, logs_path


def test_content_in_log_records_needs_promote_logs(pytester):
    spans_path, logs_path = event_mode_files(pytester)
    without = promote(pytester, spans_path, "--promote-suggested", label="refusal")
    assert without.ret == 1 and "pass --promote-logs" in without.stdout.str()
    result = promote(
        pytester,
        spans_path,
        "--promote-suggested",
        "--promote-logs",
        str(logs_path),
        label="refusal",
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["verified: fails on observed: not_refusal: True -- refusal *"])


def test_the_logs_hint_is_given_only_where_a_logs_file_applies(pytester):
    payload = {"call_type": "acompletion", "model": "gpt-4o-mini", "messages": []}
    payload |= {"response": {"choices": [{"message": {"content": "Hi"}}]}, "id": "c1"}
    native = {
        "llm_regressions_trace": 1,
        "spans": [
            {
                "trace_id": "t1",
                "span_id": "s1",
                "name": "chat",
                "llm": {"request_model": "gpt-4o-mini", "messages": [{"role": "user"}]},
            }
        ],
    }
    for name, doc, refusal in [
        ("payload.json", payload, "recorded no input messages"),
        ("native.json", native, "recorded no model output"),
        ("otlp.json", otlp(event_mode_chat_span("00000000000000a1")), "no model output"),
    ]:
        path = pytester.path / name
        path.write_text(json.dumps(doc), encoding="utf-8")
        result = promote(pytester, path, "--promote-check", "contains: x")
        assert result.ret == 1 and refusal in result.stdout.str(), result.stdout.str()
        assert ("--promote-logs" in result.stdout.str()) is (name == "otlp.json"), name


def test_a_suggested_command_repeats_the_flags_given_and_works(pytester):
    spans_path, _ = event_mode_files(pytester)
    given = ["--promote-logs", "logs.json", "--promote-span", "00000000000000a1"]
    given += ["--promote-trace-id", "ab" * 16, "--promote-golden"]
    refused = promote(pytester, spans_path, *given, label="refusal")
    assert refused.ret == 4, refused.stdout.str() + refused.stderr.str()
    lines = refused.stderr.lines
    start = lines.index("ERROR: no checks given. Suggested from the signals:")
    suggested = [yaml.safe_load(line) for line in lines[start + 1 :] if line.startswith("  - ")]
    assert suggested == [[{"not_refusal": True}]]
    (command,) = [line for line in lines if line.startswith("add them with: pytest ")]
    words = shlex.split(command.removeprefix("add them with: pytest "))
    assert all(word in words for word in given), words
    assert pytester.runpytest(*words).ret == 0
    (case,) = written_cases(pytester)
    assert "golden: true" in case.read_text(encoding="utf-8")


def test_suggested_checks_with_arguments_are_one_yaml_line_each(pytester):
    path = sample(pytester, "openllmetry", "agent_tool_loop")
    result = promote(pytester, path)
    assert result.ret == 4
    suggested = [line for line in result.stderr.lines if line.startswith("  - ")]
    assert [yaml.safe_load(line) for line in suggested] == [
        [{"tool_not_called": {"name": "get_order_status", "args": {"order_id": "A-1042"}}}]
    ]
