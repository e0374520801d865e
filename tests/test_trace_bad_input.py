"""Bad input to --promote-trace / --llm-inspect-trace: each gets one clear message, exit
code 4 (usage) or 1, and nothing is written."""

from __future__ import annotations

import json
import os

import pytest

from trace_support import chat_span, otlp, otlp_span, promote, sample, written_cases

OK_CHECK = ["--promote-check", "not_contains: Hello"]


def write_json(pytester: pytest.Pytester, name: str, data: object) -> os.PathLike:
    path = pytester.path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def assert_refused(result: pytest.RunResult, code: int, *patterns: str) -> None:
    assert result.ret == code, result.stdout.str() + result.stderr.str()
    text = result.stdout.str() + result.stderr.str()
    for pattern in patterns:
        assert pattern in text, text
    assert "Traceback" not in text


@pytest.fixture
def good_trace(pytester):
    return write_json(pytester, "good.json", otlp(chat_span("00000000000000a1", "Hello there")))


@pytest.mark.parametrize("command", ["--promote-trace", "--llm-inspect-trace"])
def test_not_json(pytester, command):
    path = pytester.path / "notes.json"
    path.write_text("this is a log line, not JSON\n", encoding="utf-8")
    label = ["--promote-label", "x_y"] if command == "--promote-trace" else []
    result = pytester.runpytest(command, str(path), *label)
    assert_refused(result, 1, "notes.json: not JSON")
    assert written_cases(pytester) == []


def test_truncated_json(pytester):
    text = sample(pytester, "openllmetry", "rag_stale_retrieval").read_text(encoding="utf-8")
    path = pytester.path / "cut.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    assert_refused(promote(pytester, path, *OK_CHECK), 1, "truncated JSON")
    assert written_cases(pytester) == []


def test_huge_file_is_refused_before_reading(pytester):
    path = pytester.path / "huge.json"
    with open(path, "wb") as handle:  # sparse: no disk or memory used
        handle.truncate(200 * 1024 * 1024)
    assert_refused(promote(pytester, path, *OK_CHECK), 1, "file is 200 MB", "limited to 100 MB")
    assert written_cases(pytester) == []


def test_binary_garbage(pytester):
    path = pytester.path / "garbage.json"
    path.write_bytes(bytes(range(256)) * 8)
    assert_refused(promote(pytester, path, *OK_CHECK), 1, "binary data")
    assert written_cases(pytester) == []


def test_span_cycle(pytester):
    doc = otlp(
        chat_span("00000000000000a1", "Hello", parent="00000000000000b2"),
        otlp_span(
            "agent", "00000000000000b2", "00000000000000a1", {"traceloop.span.kind": "agent"}
        ),
    )
    path = write_json(pytester, "cycle.json", doc)
    assert_refused(promote(pytester, path, *OK_CHECK), 1, "span parents form a cycle")
    assert_refused(pytester.runpytest("--llm-inspect-trace", str(path)), 1, "cycle")
    assert written_cases(pytester) == []


def test_missing_parent_is_shown_as_a_root_with_a_note(pytester):
    # Collector exports cut traces at batch boundaries: refusing them would be hostile.
    path = write_json(
        pytester,
        "partial.json",
        otlp(chat_span("00000000000000a1", "Hi", parent="ffff0000ffff0000")),
    )
    result = pytester.runpytest("--llm-inspect-trace", str(path))
    assert result.ret == 0
    result.stdout.fnmatch_lines(["note: 1 span(s) name a parent that is not in the file*"])


def test_no_llm_span(pytester):
    doc = otlp(
        otlp_span(
            "support.workflow", "00000000000000c3", attributes={"traceloop.span.kind": "workflow"}
        )
    )
    path = write_json(pytester, "nollm.json", doc)
    assert_refused(promote(pytester, path, *OK_CHECK), 1, "no LLM span in this trace")
    assert written_cases(pytester) == []


def test_unknown_conventions(pytester):
    doc = otlp(
        otlp_span(
            "GET /orders",
            "00000000000000d4",
            attributes={"http.method": "GET", "http.status_code": 200},
        )
    )
    path = write_json(pytester, "http.json", doc)
    assert_refused(
        promote(pytester, path, *OK_CHECK),
        1,
        "no span holds the attributes of an LLM convention",
        "OpenInference",
        "http.method",
    )
    assert written_cases(pytester) == []


def test_unknown_format_lists_every_reader_tried(pytester):
    path = write_json(pytester, "other.json", {"events": [{"name": "x"}]})
    result = promote(pytester, path, *OK_CHECK)
    assert_refused(result, 1, "not a trace format this plugin reads")
    from llm_regressions.traces.detect import READERS

    assert {"otlp-json", "phoenix-json", "otel-console", "langsmith", "otel-js"} <= dict(
        READERS
    ).keys()
    for name, _ in READERS:
        assert f"  {name}: " in result.stdout.str()


@pytest.mark.parametrize("label", ["Stale-Policy", "../../etc", "stale policy", "x" * 80])
def test_label_must_be_snake_case(pytester, good_trace, label):
    assert_refused(
        promote(pytester, good_trace, *OK_CHECK, label=label), 4, "--promote-label", "snake_case"
    )
    assert written_cases(pytester) == []
    assert not (pytester.path.parent / "etc").exists()


def test_label_is_required(pytester, good_trace):
    result = pytester.runpytest("--promote-trace", str(good_trace), *OK_CHECK)
    assert_refused(result, 4, "needs --promote-label")


@pytest.mark.parametrize("option", ["--promote-span", "--promote-trace-id"])
def test_ids_that_try_path_traversal(pytester, good_trace, option):
    result = promote(pytester, good_trace, *OK_CHECK, option, "../../etc/passwd")
    assert_refused(result, 4, "is not a span/trace id")
    assert written_cases(pytester) == []


def test_ids_from_trace_content_never_name_files(pytester):
    doc = {
        "llm_regressions_trace": 1,
        "spans": [
            {
                "trace_id": "../../../tmp/evil",
                "span_id": "../../owned",
                "name": "chat",
                "kind": "llm",
                "llm": {
                    "request_model": "gpt-4o-mini",
                    "messages": [{"role": "user", "content": "Hi"}],
                    "output": "Hello",
                },
            }
        ],
    }
    path = write_json(pytester, "native.json", doc)
    result = promote(pytester, path, *OK_CHECK)
    assert result.ret == 0, result.stdout.str()
    (case,) = written_cases(pytester)
    assert case.parent == pytester.path / "regressions" / "bad_answer"
    assert case.name.startswith("bad-answer-")


def test_target_folder_not_writable(pytester, good_trace):
    (pytester.path / "regressions").write_text(
        "a file where the folder should be", encoding="utf-8"
    )
    assert_refused(promote(pytester, good_trace, *OK_CHECK), 1, "cannot write")


def test_refuses_xdist(pytester, good_trace):
    assert_refused(promote(pytester, good_trace, *OK_CHECK, "-n", "2"), 4, "drop -n")
    assert written_cases(pytester) == []


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ("nonexistent_check: 1", "unknown check"),
        ("[a, b]", "'name: argument'"),
        ("max_chars: -1", ""),
    ],
)
def test_bad_promote_check(pytester, good_trace, check, message):
    assert_refused(
        promote(pytester, good_trace, "--promote-check", check), 4, "--promote-check", message
    )


def test_no_checks_lists_the_suggestions(pytester):
    path = sample(pytester, "openllmetry", "truncated_length")
    result = promote(pytester, path)
    assert_refused(result, 4, "no checks given", "finish_reason: stop", "--promote-suggested")


def test_checks_that_do_not_catch_the_failure_are_refused(pytester, good_trace):
    result = promote(pytester, good_trace, "--promote-check", "contains: Hello")
    assert_refused(result, 1, "do not catch the recorded failure", "--promote-unverified")
    assert written_cases(pytester) == []
    result = promote(
        pytester, good_trace, "--promote-check", "contains: Hello", "--promote-unverified"
    )
    assert result.ret == 0
    (case,) = written_cases(pytester)
    assert "- unverified" in case.read_text(encoding="utf-8")


def test_second_promotion_of_the_same_span(pytester, good_trace):
    assert promote(pytester, good_trace, *OK_CHECK).ret == 0
    assert_refused(
        promote(pytester, good_trace, *OK_CHECK), 1, "already promoted", "--promote-force"
    )
    assert promote(pytester, good_trace, *OK_CHECK, "--promote-force").ret == 0
    assert len(written_cases(pytester)) == 1


def test_forced_promotion_keeps_the_reviewed_status_and_golden(pytester, good_trace):
    """--promote-force replaces the case but not what a reviewer decided of it."""
    assert promote(pytester, good_trace, *OK_CHECK).ret == 0
    (case,) = written_cases(pytester)
    text = case.read_text(encoding="utf-8").replace("status: open", "status: fixed")
    case.write_text(text.replace("golden: false", "golden: true"), encoding="utf-8")
    result = promote(pytester, good_trace, *OK_CHECK, "--promote-force")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["replacing *.yaml, keeping its status: fixed and golden: true"])
    after = case.read_text(encoding="utf-8")
    assert "status: fixed" in after and "golden: true" in after


def test_many_traces_need_a_trace_id(pytester):
    doc = otlp(
        chat_span("00000000000000a1", "Hello"),
        {**chat_span("00000000000000a2", "Hello again"), "traceId": "cd" * 16},
    )
    path = write_json(pytester, "two.json", doc)
    assert_refused(promote(pytester, path, *OK_CHECK), 4, "holds 2 traces", "cd" * 16)
    result = promote(pytester, path, *OK_CHECK, "--promote-trace-id", "cd" * 16)
    assert result.ret == 0, result.stdout.str()
    assert "00000000000000a2" in written_cases(pytester)[0].read_text(encoding="utf-8")


def test_expected_that_the_checks_reject(pytester, good_trace):
    result = promote(pytester, good_trace, *OK_CHECK, "--promote-expected", "Hello, fixed")
    assert_refused(result, 1, "the checks reject the known-good 'expected' output")
    assert written_cases(pytester) == []


def test_expected_file_that_does_not_exist(pytester, good_trace):
    result = promote(pytester, good_trace, *OK_CHECK, "--promote-expected=@missing.txt")
    assert_refused(result, 4, "--promote-expected @missing.txt: cannot read")


def test_a_case_larger_than_the_loader_reads_is_not_written(pytester):
    # a 10 MB prompt: the case would be over the loader's 5 MB limit
    prompt = "Summarise this log line. " * 420_000
    span = chat_span("00000000000000a1", "Hello there")
    for attribute in span["attributes"]:
        if attribute["key"] == "gen_ai.input.messages":
            messages = [{"role": "user", "parts": [{"type": "text", "content": prompt}]}]
            attribute["value"] = {"stringValue": json.dumps(messages)}
    path = write_json(pytester, "huge_prompt.json", otlp(span))
    result = promote(pytester, path, *OK_CHECK)
    assert_refused(
        result,
        1,
        "the case would be over 10.0 MB; case files are limited to 5 MB",
        "biggest field is request.messages[0].content (10.0 MB): trim it in the trace",
    )
    assert written_cases(pytester) == []
