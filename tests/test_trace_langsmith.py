"""LangSmith runs and ingest batches: every real sample in tests/data/traces/langsmith/
(see its PROVENANCE.md) promoted through pytest, with a golden view of the written case
and its recorded replay; how JS and Python batches are merged; the run that never
finished."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_regressions.traces import read_trace
from trace_support import (
    TRACES,
    golden_view,
    inspected,
    promote,
    promoted,
    promoted_view,
    sample,
    written_cases,
)

LANGSMITH = TRACES / "langsmith"
LANGCHAIN = "synthetic-langchain-runs-tool-calls"
HOWDY = "Howdy! How can I assist you today?"
BASH = "Write a bash script that takes a matrix "
HOWDY_USAGE = {
    "prompt_tokens": 9,
    "completion_tokens": 9,
    "total_tokens": 18,
    "reasoning_tokens": 0,
    "cached_tokens": 0,
}


def howdy(usage: dict | None = HOWDY_USAGE) -> dict:
    return {
        "model": "openai/gpt-4o-mini-2024-07-18",
        "params": {},
        "messages": [("user", "howdy", [], None)],
        "tools": [],
        "tool_calls": [],
        "output": HOWDY,
        "finish_reason": "stop",
        "usage": usage,
        "not_carried": None,
    }


@pytest.mark.parametrize(
    "name",
    [
        "js-wrapopenai-batch-default",
        "js-wrapopenai-batch-stream-aggregated",
        "py-wrapopenai-batch-stream-new-token-events",
    ],
)
def test_wrap_openai_howdy_batches(pytester, name):
    path = sample(pytester, "langsmith", name)
    case, output = promoted(pytester, path, "--promote-check", "not_contains: Howdy")
    assert golden_view(case) == howdy()
    assert "read as langsmith" in output
    assert "the request asked for 'gpt-4o-mini'" in output
    assert case["source"]["span_id"] == case["source"]["trace_id"]  # a root run


def test_js_stream_without_usage(pytester):
    path = sample(pytester, "langsmith", "js-wrapopenai-batch-stream-no-usage")
    case, output = promoted(pytester, path, "--promote-check", "not_contains: Howdy")
    assert golden_view(case) == howdy(usage=None)
    assert "not recorded in the trace: seed, token usage" in output
    assert case["observed"]["latency_ms"] == 493.0  # epoch milliseconds, post to patch


@pytest.mark.parametrize(
    ("name", "completion", "total", "reasoning", "start"),
    [
        (
            "js-wrapopenai-batch-reasoning-o1mini",
            1901,
            1944,
            960,
            "Certainly! Below is a Bash script that t",
        ),
        (
            "py-wrapopenai-batch-reasoning-o1mini",
            2497,
            2540,
            1408,
            "Certainly! Below is a **Bash script** th",
        ),
    ],
)
def test_o1_mini_reasoning_tokens(pytester, name, completion, total, reasoning, start):
    path = sample(pytester, "langsmith", name)
    case, _ = promoted(pytester, path, "--promote-check", "max_chars: 100")
    assert golden_view(case) == {
        "model": "openai/o1-mini-2024-09-12",
        "params": {},
        "messages": [("user", BASH, [], None)],
        "tools": [],
        "tool_calls": [],
        "output": start,
        "finish_reason": "stop",
        "usage": {
            "prompt_tokens": 43,
            "completion_tokens": completion,
            "total_tokens": total,
            "reasoning_tokens": reasoning,
            "cached_tokens": 0,
        },
        "not_carried": None,
    }


def test_run_that_never_finished_is_refused_and_inspect_says_why(pytester):
    path = sample(pytester, "langsmith", "py-wrapopenai-batchlist-post-only-incomplete")
    result = promote(pytester, path, "--promote-check", "contains: x")
    assert result.ret == 1 and written_cases(pytester) == []
    text = result.stdout.str()
    assert (
        "span 'ChatOpenAI' (5f90dde8-12b0-481a-a2be-c310d7e668ec) cannot be promoted: "
        "the run has no outputs: it never finished" in text
    )
    assert "--promote-logs" not in text and "No LLM span in this trace has output." in text
    report = inspected(pytester, path)
    assert (
        "note: run 'ChatOpenAI' (5f90dde8-12b0-481a-a2be-c310d7e668ec): the run has no " in report
    )
    assert "llm        ChatOpenAI" in report


def test_langchain_runs_with_tool_calls(pytester):
    """Hand-made: LangChain tracer runs (lc-serialised messages, LLMResult outputs)."""
    path = sample(pytester, "langsmith", LANGCHAIN)
    case, output = promoted(pytester, path, "--promote-check", "not_contains: delivered")
    assert golden_view(case) == {
        "model": "openai/gpt-4o-mini-2024-07-18",
        "params": {"temperature": 0.0, "n": 1},
        "messages": [
            ("system", "You are Acme's support agent.", [], None),
            ("user", "Where is order A-1042?", [], None),
            ("assistant", "", ["get_order"], None),
            ("tool", '{"order_id": "A-1042", "status": "in_tra', [], "call_Ab12"),
        ],
        "tools": ["get_order"],
        "tool_calls": [],
        "output": "Your order A-1042 was delivered yesterda",
        "finish_reason": "stop",
        "usage": {
            "prompt_tokens": 121,
            "completion_tokens": 11,
            "total_tokens": 132,
            "reasoning_tokens": 0,
            "cached_tokens": 64,
        },
        "not_carried": None,
    }
    (tool,) = case["context"]["tool_calls"]
    assert tool["id"] == "call_Ab12" and tool["result"].startswith('{"order_id"')
    assert "session thread-42" in output


def test_langchain_tool_call_output(pytester):
    span = ("--promote-span", "2a9d8e4f-7a8b-4c2d-9e0f-9a8b7c6d5e4f", "--promote-check")
    view, _, _, path = promoted_view(
        pytester, "langsmith", LANGCHAIN, *span, "tool_not_called: get_order"
    )
    assert view["tool_calls"] == [("get_order", {"order_id": "A-1042"}, "call_Ab12")]
    assert (view["finish_reason"], view["usage"]["total_tokens"]) == ("tool_calls", 105)
    assert "[empty_output]" not in inspected(pytester, path)


def _batch(name: str) -> dict:
    return json.loads((LANGSMITH / f"{name}.json").read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: object, lines: bool = False) -> Path:
    path = tmp_path / "runs.json"
    items = data if lines else [data]
    path.write_text("\n".join(json.dumps(d) for d in items), encoding="utf-8")
    return path


def test_js_patch_without_id_joins_its_post_by_dotted_order(tmp_path):
    trace = read_trace(_write(tmp_path, _batch("js-wrapopenai-batch-stream-aggregated")))
    (span,) = trace.spans
    assert span.span_id == "33c08c32-435c-4788-b973-b5bee4a31f87"
    assert (span.latency_ms, span.status) == (854.0, "ok")
    assert span.llm.streaming is True and span.llm.finish_reason == "stop"


def test_python_streaming_is_kept_and_token_events_are_not_read_as_output(tmp_path):
    trace = read_trace(_write(tmp_path, _batch("py-wrapopenai-batch-stream-new-token-events")))
    call = trace.spans[0].llm
    assert call.streaming is True and call.output == HOWDY and call.not_carried == []


def test_list_of_batches_and_json_lines_of_batches(tmp_path):
    batches = [
        _batch("js-wrapopenai-batch-default"),
        _batch("py-wrapopenai-batch-reasoning-o1mini"),
    ]
    as_list = read_trace(_write(tmp_path, batches))
    as_lines = read_trace(_write(tmp_path, batches, lines=True))
    for trace in (as_list, as_lines):
        assert sorted(s.llm.response_model for s in trace.spans) == [
            "gpt-4o-mini-2024-07-18",
            "o1-mini-2024-09-12",
        ]


def test_parent_and_trace_from_dotted_order_and_run_trees(tmp_path):
    root, child = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    patch = {
        "dotted_order": f"20250101T000000000000Z{root}.20250101T000001000000Z{child}",
        "trace_id": root,
        "end_time": 1735689602000,
        "outputs": {
            "role": "assistant",
            "content": "ok",
            "response_metadata": {"finish_reason": "stop"},
        },
    }
    post = {
        "id": child,
        "name": "ChatAnthropic",
        "run_type": "llm",
        "start_time": 1735689601000,
        "inputs": {"messages": [[{"role": "user", "content": "Hi"}]]},
        "extra": {"metadata": {"ls_provider": "anthropic", "ls_model_name": "claude-sonnet-4-5"}},
        "dotted_order": patch["dotted_order"],
    }
    tree = {"id": root, "name": "agent", "run_type": "chain", "inputs": {}, "child_runs": [post]}
    trace = read_trace(_write(tmp_path, [{"post": [tree]}, {"patch": [patch]}]))
    span = trace.find(child)
    assert (span.parent_id, span.trace_id, span.latency_ms) == (root, root, 1000.0)
    call = span.llm
    assert (call.output, call.finish_reason, call.provider) == ("ok", "stop", "anthropic")
    assert call.request_model == "claude-sonnet-4-5" and call.messages[0]["content"] == "Hi"


def test_request_parameters_a_case_cannot_hold_are_named(tmp_path):
    run = {
        "id": "r1",
        "run_type": "llm",
        "inputs": {"messages": [{"role": "user", "content": "Hi"}], "model": "gpt-4o"},
        "extra": {"invocation_params": {"temperature": 0.2, "reasoning_effort": "high"}},
        "outputs": {"choices": [{"message": {"content": "yo"}, "finish_reason": "stop"}]},
        "end_time": "2025-01-01T00:00:01Z",
    }
    call = read_trace(_write(tmp_path, run)).spans[0].llm
    assert call.params == {"temperature": 0.2}
    assert call.not_carried == ["request parameter 'reasoning_effort'"]


def test_samples_are_listed_in_the_provenance_file():
    provenance = (LANGSMITH / "PROVENANCE.md").read_text(encoding="utf-8")
    for path in sorted(Path(LANGSMITH).glob("*.json")):
        assert f"## {path.name}" in provenance


@pytest.mark.parametrize("name", sorted(p.stem for p in LANGSMITH.glob("*.json")))
def test_inspect_reads_every_sample_without_a_false_signal(pytester, name):
    text = inspected(pytester, sample(pytester, "langsmith", name))
    assert "read as langsmith" in text
    assert "[empty_output]" not in text and "Traceback" not in text
