"""Langfuse exports (tests/data/traces/langfuse, see its PROVENANCE.md): every real UI
download, and each API / tRPC shape derived from one, promotes into a faithful case
(model, messages, tools, tool calls, output, finish reason, usage) whose recorded replay
passes, and ``--llm-inspect-trace`` agrees with promotion about each span."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from llm_regressions.traces import TraceError, read_trace
from llm_regressions.traces.langfuse_call import typed
from llm_regressions.traces.values import decoded_json
from trace_support import TRACES, promote, written_cases

LANGFUSE = TRACES / "langfuse"
PREFIX = 24  # message and output texts are compared by their first characters


@dataclass(frozen=True)
class Golden:
    """What the case promoted from ``file`` (``span``, else the span promotion picks)
    must hold; ``check`` fails on the recorded output so the case can be written."""

    file: str
    span: str | None
    check: str
    model: str
    roles: tuple[str, ...]
    texts: tuple[str | None, ...]
    tools: tuple[str, ...]
    output: str | None
    finish: str | None
    usage: dict[str, int] | None
    cost: float | None
    served: str | None
    notes: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    calls: tuple[tuple[str, Any], ...] = ()
    context: tuple[tuple[str, Any], ...] = ()
    not_carried: tuple[str, ...] = ()
    fmt: str = "langfuse-download"

    def view(self) -> dict[str, Any]:
        return {
            "format": self.fmt,
            "model": self.model,
            "params": self.params,
            "roles": self.roles,
            "texts": self.texts,
            "tools": self.tools,
            "request": self.request,
            "calls": self.calls,
            "output": self.output,
            "finish": self.finish,
            "usage": self.usage,
            "cost": self.cost,
            "served": self.served,
            "context": self.context,
        }


def case_view(case: dict[str, Any]) -> dict[str, Any]:
    """The golden fields of a written case."""
    request, observed = case["request"], case["observed"]
    context = case.get("context") or {}
    return {
        "format": case["source"]["format"],
        "model": case["model"]["name"],
        "params": case["model"]["params"],
        "roles": tuple(m["role"] for m in request["messages"]),
        "texts": tuple(_prefix(m.get("content")) for m in request["messages"]),
        "tools": tuple(t["function"]["name"] for t in request["tools"]),
        "request": {k: v for k, v in request.items() if k in ("tool_choice", "response_format")},
        "calls": tuple((c["name"], c["arguments"]) for c in observed.get("tool_calls", [])),
        "output": _prefix(observed.get("output")),
        "finish": observed.get("finish_reason"),
        "usage": observed.get("usage"),
        "cost": observed.get("cost_usd"),
        "served": observed.get("model"),
        "context": tuple((c["name"], c.get("arguments")) for c in context.get("tool_calls", [])),
    }


def _prefix(text: Any) -> Any:
    return text[:PREFIX] if isinstance(text, str) else text


#: Shared by the Pydantic AI joke agents' calls.
JOKE_TOOLS = (
    "get_pun_suggestion",
    "get_dad_joke_suggestion",
    "get_one_liner_suggestion",
    "get_car_joke_suggestion",
    "get_tree_joke_suggestion",
)
JOKE_TOOL_RUNS = tuple((name, {"topic": "programming"}) for name in JOKE_TOOLS[:3])
JOKE_NOTES = (
    "pinned to the served snapshot 'gpt-4o-mini-2024-07-18'; the request asked for 'gpt-4o-mini'",
    "not recorded in the trace: seed",
)

GOLDENS = [
    Golden(
        "ag2-synthetic-openai-chat-tools-trace-download.json",
        span=None,
        check="not_contains: partly cloudy",
        model="openai/gpt-4o-mini-2024-07-18",
        params={"temperature": 1, "top_p": 1, "frequency_penalty": 0, "presence_penalty": 0},
        roles=("system", "user", "assistant", "tool"),
        texts=(
            "You are a helpful weathe",
            "What is the weather in S",
            "",
            '{"location": "San Franci',
        ),
        tools=(),
        output="The current weather in S",
        finish="stop",
        usage={"prompt_tokens": 104, "completion_tokens": 50, "total_tokens": 154},
        cost=3.69e-05,
        served="gpt-4o-mini-2024-07-18",
        context=(("get_weather", {"location": "San Francisco, CA"}),),
        notes=(
            "pinned to the served snapshot 'gpt-4o-mini-2024-07-18'; the request asked for 'gpt-4o-mini'",
            "not recorded in the trace: seed, tool definitions",
            "session session_ag2_demo, user user_demo",
        ),
    ),
    Golden(
        "ag2-synthetic-openai-chat-tools-trace-download.json",
        span="e2c3d4e5f6a7b8c9",
        check="tool_not_called: get_weather",
        model="openai/gpt-4o-mini-2024-07-18",
        params={"temperature": 1, "top_p": 1, "frequency_penalty": 0, "presence_penalty": 0},
        roles=("system", "user"),
        texts=("You are a helpful weathe", "What is the weather in S"),
        tools=(),
        calls=(("get_weather", {"location": "San Francisco, CA"}),),
        output="",
        finish="tool_calls",
        usage={"prompt_tokens": 82, "completion_tokens": 24, "total_tokens": 106},
        cost=1.95e-05,
        served="gpt-4o-mini-2024-07-18",
        notes=(
            "pinned to the served snapshot 'gpt-4o-mini-2024-07-18'; the request asked for 'gpt-4o-mini'",
            "not recorded in the trace: seed, tool definitions",
            "session session_ag2_demo, user user_demo",
        ),
    ),
    Golden(
        "autogen-trace-download.json",
        span=None,
        check="not_contains: Hello World",
        model="gpt-4o",
        params={"frequency_penalty": 0, "presence_penalty": 0, "temperature": 1, "top_p": 1},
        roles=("system", "user"),
        texts=("You are a helpful AI ass", "Say 'Hello World!'"),
        tools=(),
        output="Hello World!",
        finish=None,
        usage={"prompt_tokens": 41, "completion_tokens": 3, "total_tokens": 44},
        cost=2.5e-05,
        served="gpt-4o",
        notes=(
            "not recorded in the trace: request model, seed, finish reason",
            "session session_abc, user user_123",
        ),
    ),
    Golden(
        "google-adk-gemini-trace-download.json",
        span=None,
        check="not_contains: Hello Langfuse",
        model="gemini/gemini-2.0-flash",
        roles=("system", "user", "assistant", "tool"),
        texts=("Always greet using the s", "hi", None, '{"greeting": "Hello Lang'),
        tools=("say_hello",),
        output="Hello Langfuse 👋!\n",
        finish="stop",
        usage={"prompt_tokens": 39, "completion_tokens": 6, "total_tokens": 45},
        cost=6.3e-06,
        served=None,
        context=(("say_hello", {}),),
        notes=(
            "not recorded in the trace: served model, seed",
            "session demo-session, user demo-user",
        ),
    ),
    Golden(
        "google-adk-gemini-trace-download.json",
        span="f6e4c65297e40c96",
        check="tool_not_called: say_hello",
        model="gemini/gemini-2.0-flash",
        roles=("system", "user"),
        texts=("Always greet using the s", "hi"),
        tools=("say_hello",),
        calls=(("say_hello", {}),),
        output=None,
        finish="stop",
        usage={"prompt_tokens": 28, "completion_tokens": 3, "total_tokens": 31},
        cost=4e-06,
        served=None,
        notes=(
            "not recorded in the trace: served model, seed",
            "session demo-session, user demo-user",
        ),
    ),
    Golden(
        "google-genai-gemini-trace-download.json",
        span=None,
        check="not_contains: open-source",
        model="gemini/gemini-2.5-flash",
        roles=("user",),
        texts=("What is Langfuse?",),
        tools=(),
        output="**Langfuse** is an **ope",
        finish="stop",
        usage={
            "prompt_tokens": 6,
            "completion_tokens": 2055,
            "total_tokens": 2061,
            "reasoning_tokens": 1104,
        },
        cost=0.005139299999,
        served="gemini-2.5-flash",
        notes=("not recorded in the trace: seed",),
    ),
    Golden(
        "langgraph-trace-download.json",
        span=None,
        check="not_contains: example.com",
        model="openai/gpt-4o-2024-08-06",
        params={"temperature": 0},
        roles=("user", "user", "assistant", "tool"),
        texts=("Be helpful!", "Search the web for 'exam", "", '[{"url": "https://exampl'),
        tools=("Web-Search",),
        output='The search for "example"',
        finish=None,
        usage={
            "prompt_tokens": 108,
            "completion_tokens": 51,
            "total_tokens": 159,
            "reasoning_tokens": 0,
            "cached_tokens": 0,
        },
        cost=0.000159,
        served="gpt-4o-2024-08-06",
        notes=(
            "pinned to the served snapshot 'gpt-4o-2024-08-06'; the request asked for 'gpt-4o'",
            "not recorded in the trace: seed, finish reason",
        ),
    ),
    Golden(
        "langgraph-trace-download.json",
        span="4f6535aaebcda355",
        check="tool_not_called: Web-Search",
        model="openai/gpt-4o-2024-08-06",
        params={"temperature": 0},
        roles=("user", "user"),
        texts=("Be helpful!", "Search the web for 'exam"),
        tools=("Web-Search",),
        calls=(("Web-Search", {"query": "example"}),),
        output="",
        finish=None,
        usage={
            "prompt_tokens": 60,
            "completion_tokens": 15,
            "total_tokens": 75,
            "reasoning_tokens": 0,
            "cached_tokens": 0,
        },
        cost=7.5e-05,
        served="gpt-4o-2024-08-06",
        notes=(
            "pinned to the served snapshot 'gpt-4o-2024-08-06'; the request asked for 'gpt-4o'",
            "not recorded in the trace: seed, finish reason",
        ),
    ),
    Golden(
        "llamaindex-trace-download.json",
        span=None,
        check="not_contains: monitor and debug",
        model="openai/gpt-4o",
        roles=("user",),
        texts=("What is Langfuse?",),
        tools=(),
        output="Langfuse is a tool desig",
        finish=None,
        usage={
            "prompt_tokens": 13,
            "completion_tokens": 81,
            "total_tokens": 94,
            "reasoning_tokens": 0,
            "cached_tokens": 0,
        },
        cost=0.000842499999,
        served="gpt-4o",
        notes=(
            "not recorded in the trace: request model, seed, finish reason",
            "session session_abc, user user_123",
        ),
    ),
    Golden(
        "microsoft-agent-framework-trace-download.json",
        span=None,
        check="not_contains: stormy",
        model="openai/gpt-4o",
        params={"n": 1},
        roles=("assistant", "tool"),
        texts=(None, "The weather in Portland "),
        tools=("get_weather",),
        output="The weather in Portland ",
        finish=None,
        usage={"prompt_tokens": 631, "completion_tokens": 35, "total_tokens": 666},
        cost=0.0019275,
        served=None,
        context=(("get_weather", {"location": "Portland"}),),
        notes=("not recorded in the trace: served model, seed, finish reason",),
    ),
    Golden(
        "microsoft-agent-framework-trace-download.json",
        span="c6b8d4db5f0eac82",
        check="tool_not_called: get_weather",
        model="openai/gpt-4o",
        params={"n": 1},
        roles=("user",),
        texts=("What's the weather like ",),
        tools=("get_weather",),
        calls=(("get_weather", {"location": "Portland"}),),
        output=None,
        finish=None,
        usage={"prompt_tokens": 25, "completion_tokens": 70, "total_tokens": 95},
        cost=0.000762499999,
        served=None,
        notes=("not recorded in the trace: served model, seed, finish reason",),
    ),
    Golden(
        "openai-agents-trace-download.json",
        span=None,
        check="not_contains: sunny",
        model="openai/gpt-4.1-2025-04-14",
        params={"temperature": 1, "top_p": 1, "parallel_tool_calls": True},
        roles=("system", "user", "assistant", "tool"),
        texts=(
            "You are a helpful agent.",
            "What's the weather in To",
            None,
            "The weather in Tokyo is ",
        ),
        tools=("get_weather",),
        request={"tool_choice": "auto"},
        output="The weather in Tokyo is ",
        finish="stop",
        usage={
            "prompt_tokens": 85,
            "completion_tokens": 29,
            "total_tokens": 114,
            "reasoning_tokens": 0,
            "cached_tokens": 0,
        },
        cost=0.000402,
        served="gpt-4.1-2025-04-14",
        context=(("get_weather", {"city": "Tokyo"}),),
        notes=("not recorded in the trace: seed",),
    ),
    Golden(
        "openai-agents-trace-download.json",
        span="98870087af69bf06",
        check="tool_not_called: get_weather",
        model="openai/gpt-4.1-2025-04-14",
        params={"temperature": 1, "top_p": 1, "parallel_tool_calls": True},
        roles=("system", "user"),
        texts=("You are a helpful agent.", "What's the weather in To"),
        tools=("get_weather",),
        request={"tool_choice": "auto"},
        calls=(("get_weather", {"city": "Tokyo"}),),
        output=None,
        finish="tool_calls",
        usage={
            "prompt_tokens": 55,
            "completion_tokens": 15,
            "total_tokens": 70,
            "reasoning_tokens": 0,
            "cached_tokens": 0,
        },
        cost=0.00023,
        served="gpt-4.1-2025-04-14",
        notes=("not recorded in the trace: seed",),
    ),
    Golden(
        "openai-assistants-trace-download.json",
        span=None,
        check="not_contains: x = 1",
        model="gpt-4",
        roles=("assistant", "user"),
        texts=("I am a math tutor that l", "I need to solve the equa"),
        tools=(),
        output="Sure, first subtract 11 ",
        finish=None,
        usage={"prompt_tokens": 49, "completion_tokens": 40, "total_tokens": 89},
        cost=0.00387,
        served="gpt-4",
        notes=("not recorded in the trace: request model, seed, finish reason",),
    ),
    Golden(
        "pydantic-ai-events-trace-download.json",
        span=None,
        check="not_contains: observability",
        model="openai/gpt-4o-2024-08-06",
        roles=("system", "user"),
        texts=("You are a helpful assist", "What is Langfuse?"),
        tools=(),
        output="Langfuse is a tool desig",
        finish=None,
        usage={"prompt_tokens": 31, "completion_tokens": 96, "total_tokens": 127},
        cost=0.0010375,
        served="gpt-4o-2024-08-06",
        notes=(
            "pinned to the served snapshot 'gpt-4o-2024-08-06'; the request asked for 'gpt-4o'",
            "not recorded in the trace: seed, finish reason",
            "session session_abc, user user_123",
        ),
    ),
    Golden(
        "pydantic-ai-tools-trace-download.json",
        span=None,
        check="tool_not_called: final_result",
        model="openai/gpt-4o-mini-2024-07-18",
        params={"temperature": 0},
        roles=("system", "user"),
        texts=("You are a joke critic. E", "Rate this joke:\n\nWhy do "),
        tools=("final_result",),
        request={"tool_choice": "required"},
        calls=(
            (
                "final_result",
                {
                    "quality": "good",
                    "feedback": "The joke is clever and plays on the double meaning of 'bugs' in programming and nature. It's relatable for those in the tech field, making it effective. To enhance it, consider adding a punchline that builds on the setup for an even stronger impact.",
                },
            ),
        ),
        output=None,
        finish="tool_calls",
        usage={"prompt_tokens": 131, "completion_tokens": 69, "total_tokens": 200},
        cost=6.1049999e-05,
        served="gpt-4o-mini-2024-07-18",
        context=JOKE_TOOL_RUNS,
        notes=JOKE_NOTES,
    ),
    Golden(
        "pydantic-ai-tools-trace-download.json",
        span="be64c23f44dd98be",
        check="tool_not_called: get_pun_suggestion",
        model="openai/gpt-4o-mini-2024-07-18",
        params={"temperature": 0.7},
        roles=("system", "user"),
        texts=("You are a creative joke ", "Select and call THREE of"),
        tools=JOKE_TOOLS,
        calls=(
            ("get_pun_suggestion", {"topic": "programming"}),
            ("get_dad_joke_suggestion", {"topic": "programming"}),
            ("get_one_liner_suggestion", {"topic": "programming"}),
        ),
        output=None,
        finish="tool_calls",
        usage={"prompt_tokens": 265, "completion_tokens": 73, "total_tokens": 338},
        cost=8.355e-05,
        served="gpt-4o-mini-2024-07-18",
        notes=JOKE_NOTES,
    ),
    Golden(
        "pydantic-ai-tools-trace-download.json",
        span="8976b072313c51f2",
        check="not_contains: too many bugs",
        model="openai/gpt-4o-mini-2024-07-18",
        params={"temperature": 0.7},
        roles=("system", "user", "assistant", "tool", "tool", "tool", "assistant", "user"),
        texts=(
            "You are a creative joke ",
            "Select and call THREE of",
            None,
            "Pun idea: Play on words ",
            "Dad joke idea: Use a cla",
            "One-liner idea: Make a q",
            "I gathered some great id",
            "Now write a funny joke a",
        ),
        tools=JOKE_TOOLS,
        output="Why do programmers hate ",
        finish="stop",
        usage={"prompt_tokens": 502, "completion_tokens": 14, "total_tokens": 516},
        cost=8.37e-05,
        served="gpt-4o-mini-2024-07-18",
        context=JOKE_TOOL_RUNS,
        notes=JOKE_NOTES,
    ),
    Golden(
        "vertex-gemini-langchain-tools-trace-download.json",
        span=None,
        check="not_contains: John Smith",
        model="vertex_ai/gemini-2.5-flash",
        params={"temperature": 0, "top_p": 0.95, "max_tokens": 8192},
        roles=("system", "system", "user", "assistant", "user"),
        texts=(
            "You are a helpful assist",
            "The next user message is",
            "Hello, I'm interested in",
            "Hello! I'm your assistan",
            "John Smith",
        ),
        tools=(
            "transition_to_service_a",
            "transition_to_service_b",
            "transition_to_service_c",
            "get_customer_info",
            "escalate_to_human",
        ),
        output="Thank you, John Smith. W",
        finish="stop",
        usage={
            "prompt_tokens": 1200,
            "completion_tokens": 15,
            "total_tokens": 1215,
            "reasoning_tokens": 0,
            "cached_tokens": 0,
        },
        cost=0.00011,
        served="gemini-2.5-flash",
        notes=("not recorded in the trace: seed",),
    ),
]

#: Files derived from a real download (see PROVENANCE.md): the same call in another
#: Langfuse shape must give the same case. (derived file, its download, span, format)
DERIVED = [
    ("langgraph-api-trace.json", "langgraph-trace-download.json", None, "langfuse-api-trace"),
    (
        "pydantic-ai-tools-api-observations.json",
        "pydantic-ai-tools-trace-download.json",
        "8976b072313c51f2",
        "langfuse-api-observations",
    ),
    (
        "openai-assistants-api-observations-legacy.json",
        "openai-assistants-trace-download.json",
        None,
        "langfuse-api-observations",
    ),
    (
        "openai-agents-api-v2-observations.json",
        "openai-agents-trace-download.json",
        None,
        "langfuse-api-observations",
    ),
    (
        "microsoft-agent-framework-trpc.json",
        "microsoft-agent-framework-trace-download.json",
        None,
        "langfuse-trpc",
    ),
    (
        "pydantic-ai-tools-trace-download-2026-layout.json",
        "pydantic-ai-tools-trace-download.json",
        "be64c23f44dd98be",
        "langfuse-download",
    ),
]
_BY_SOURCE = {(g.file, g.span): g for g in GOLDENS}
GOLDENS += [
    replace(_BY_SOURCE[(source, span)], file=derived, fmt=fmt)
    for derived, source, span, fmt in DERIVED
]


def copy(pytester: pytest.Pytester, name: str) -> Path:
    target = pytester.path / "traces" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(LANGFUSE / name, target)
    return target


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: f"{g.file}@{g.span or 'picked'}")
def test_export_promotes_to_a_faithful_case(pytester, golden):
    path = copy(pytester, golden.file)
    chosen = ["--promote-span", golden.span] if golden.span else []
    result = promote(pytester, path, "--promote-check", golden.check, *chosen, label="lf_case")
    out = result.stdout.str()
    assert result.ret == 0, out
    assert f"read as {golden.fmt}" in out
    for note in golden.notes:
        assert f"note: {note}" in out
    carried = [line for line in out.splitlines() if line.startswith("not carried: ")]
    expected = [f"not carried: {', '.join(golden.not_carried)}"] if golden.not_carried else []
    assert carried == expected
    (case_path,) = written_cases(pytester)
    case = yaml.safe_load(case_path.read_text(encoding="utf-8"))
    assert case_view(case) == golden.view()
    replay = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded", str(case_path))
    assert replay.ret == 0, replay.stdout.str()
    replay.stdout.fnmatch_lines(["*1 passed*"])
    _inspect_agrees(pytester, path, case, expected)


def _inspect_agrees(pytester, path: Path, case: dict[str, Any], carried: list[str]) -> None:
    """Inspect shows the promoted span with the same finish reason and losses, and raises
    no empty-output signal for a span whose answer is a tool call."""
    result = pytester.runpytest("--llm-inspect-trace", str(path))
    text = result.stdout.str()
    assert result.ret == 0, text
    span_id = case["source"]["span_id"]
    observed = case["observed"]
    if observed.get("tool_calls") or observed.get("output"):
        assert f"({span_id})" not in "".join(
            line for line in text.splitlines() if "[empty_output]" in line
        )
    assert f"finish={observed.get('finish_reason') or '?'}" in text
    for line in carried:
        assert line in text
    if not carried:
        assert "not carried:" not in text


# -- refusals ---------------------------------------------------------------------------


def test_download_without_io_is_refused_with_how_to_get_it(pytester):
    """The UI's "Download trace" button leaves observation input/output out: promotion
    says so and where to get them; inspect still shows the tree, with the same note."""
    path = copy(pytester, "autogen-trace-download-without-io.json")
    result = promote(pytester, path, "--promote-check", "not_contains: x")
    text = result.stdout.str() + result.stderr.str()
    assert result.ret == 1
    assert "holds no input or output for GENERATION 'chat gpt-4o' (83517f9062f5ada4)" in text
    assert '"Download trace" button leaves observation input, output and metadata out' in text
    assert '"Log View"' in text
    assert "GET /api/public/traces/1b72c51fabed12ae7df83bfd4a09f545" in text
    assert "--promote-logs" not in text and "Traceback" not in text
    assert not written_cases(pytester)
    inspect = pytester.runpytest("--llm-inspect-trace", str(path))
    assert inspect.ret == 0
    inspect.stdout.fnmatch_lines(["*read as langfuse-download*", "note: this Langfuse export*"])


def test_a_trace_without_generations_is_refused(pytester):
    download = json.loads((LANGFUSE / "langgraph-trace-download.json").read_text())
    download["observations"] = [o for o in download["observations"] if o["type"] != "GENERATION"]
    path = pytester.path / "no-llm.json"
    path.write_text(json.dumps(download), encoding="utf-8")
    result = promote(pytester, path, "--promote-check", "not_contains: x")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*no LLM span in this trace (7 spans); nothing to promote*"])


def write(tmp_path: Path, data: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_a_trace_list_with_observation_ids_says_how_to_fetch_the_trace(tmp_path):
    listing = {
        "data": [{"id": "t-1", "name": "chat", "observations": ["o-1", "o-2"], "scores": []}],
        "meta": {"page": 1},
    }
    with pytest.raises(TraceError) as refused:
        read_trace(write(tmp_path, listing))
    message = str(refused.value)
    assert "langfuse: 'observations' lists observation ids, not observations" in message
    assert "GET /api/public/traces/<id>" in message


def test_data_that_is_not_observations_is_declined_by_name(tmp_path):
    with pytest.raises(TraceError) as refused:
        read_trace(write(tmp_path, {"data": [{"span_kind": "LLM", "name": "x"}]}))
    assert "langfuse: 'data' items are not Langfuse observations" in str(refused.value)


# -- shapes and fields ------------------------------------------------------------------


def test_string_metadata_on_one_observation_keeps_the_file_readable(tmp_path):
    download = json.loads((LANGFUSE / "openai-assistants-trace-download.json").read_text())
    for obs in download["observations"]:
        obs["metadata"] = "not JSON {" if obs["type"] == "SPAN" else obs["metadata"]
    trace = read_trace(write(tmp_path, download))
    (span,) = trace.llm_spans()
    assert span.llm.output.startswith("Sure, first subtract 11")


def _generation(**fields: Any) -> dict[str, Any]:
    return {
        "id": "gen-1",
        "traceId": "t-1",
        "type": "GENERATION",
        "name": "chat",
        "startTime": "2026-01-01T10:00:00.000Z",
        "endTime": "2026-01-01T10:00:02.000Z",
        "input": [{"role": "user", "content": "Hi"}],
        "output": {"role": "assistant", "content": "Hello"},
        **fields,
    }


def test_model_parameters_recorded_as_strings_are_typed(tmp_path):
    params = {
        "temperature": "0.7",
        "max_tokens": "Infinity",
        "seed": "42",
        "stop": '["END"]',
        "stream": "true",
        "response_format": '{"type": "json_object"}',
        "thinking": '{"type": "enabled", "budget_tokens": 1024}',
        "service_tier": "auto",
    }
    trace = read_trace(write(tmp_path, {"data": [_generation(modelParameters=params)]}))
    call = trace.llm_spans()[0].llm
    assert call.params == {"temperature": 0.7, "seed": 42, "stop": ["END"]}
    assert call.streaming is True and call.response_format == {"type": "json_object"}
    assert call.not_carried == ["model parameter thinking"]


def test_typed_values():
    assert [typed(v) for v in ("true", "false", "0.7", "3", "1e3", "auto", 5)] == [
        True,
        False,
        0.7,
        3,
        1000.0,
        "auto",
        5,
    ]
    assert decoded_json('"\\"{\\\\\\"a\\\\\\": 1}\\""') == {"a": 1}
    assert decoded_json('"plain"') == "plain" and decoded_json("plain") == "plain"


def test_error_generation_keeps_level_and_status_message(tmp_path):
    failed = _generation(
        level="ERROR", statusMessage="429 Rate limit reached", output=None, model="gpt-4o"
    )
    trace = read_trace(write(tmp_path, [failed]))
    (span,) = trace.spans
    assert span.is_error and span.status_message == "429 Rate limit reached"
    assert (span.llm.request_model, span.llm.response_model) == ("gpt-4o", None)


def test_old_api_fields_and_tool_definitions_field(tmp_path):
    """The v2-era API's ``usage``/``calculatedTotalCost`` and the 2026 download's
    ``toolDefinitions`` (by name) are read."""
    gen = _generation(
        usage={"input": 12, "output": 3, "total": 15, "unit": "TOKENS"},
        promptTokens=12,
        completionTokens=3,
        totalTokens=15,
        calculatedTotalCost=0.0002,
        toolDefinitions={"lookup": {"description": "Find", "parameters": {"type": "object"}}},
    )
    call = read_trace(write(tmp_path, {"data": [gen], "meta": {}})).llm_spans()[0].llm
    assert call.usage == {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
    assert call.cost_usd == 0.0002
    assert call.tools == [
        {
            "type": "function",
            "function": {"name": "lookup", "description": "Find", "parameters": {"type": "object"}},
        }
    ]


def test_json_lines_of_observations(tmp_path):
    """A blob-storage style export: one observation per line, the session on each."""
    lines = [
        {
            "id": "root",
            "traceId": "t-1",
            "type": "AGENT",
            "name": "agent",
            "sessionId": "s-1",
            "startTime": "2026-01-01T10:00:00Z",
        },
        _generation(parentObservationId="root", sessionId="s-1"),
    ]
    text = "\n".join(json.dumps(line) for line in lines)
    trace = read_trace(write(tmp_path, text, "export.jsonl"))
    span = trace.find("gen-1")
    assert trace.format == "langfuse-api-observations"
    assert span.parent_id == "root" and span.session_id == "s-1" and span.llm.output == "Hello"


def test_openai_wrapper_fragments_as_generation_input(pytester):
    """The Langfuse OpenAI wrapper's recorded inputs (real, from langfuse-python's tests),
    as the input of a GENERATION whose output is the assistant message those tests
    assert (hand-made around the fragment)."""
    with_tools = json.loads(
        (LANGFUSE / "openai-sdk-wrapper-tool-call-generation-input.fragment.json").read_text()
    )
    chat = json.loads(
        (LANGFUSE / "openai-sdk-wrapper-chat-generation-input.fragment.json").read_text()
    )
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_current_weather", "arguments": '{"location": "Boston, MA"}'},
    }
    data = {
        "data": [
            _generation(
                id="g-tools",
                input=with_tools,
                model="gpt-3.5-turbo-0125",
                output={"role": "assistant", "content": None, "tool_calls": [call]},
            ),
            _generation(
                id="g-chat",
                input=chat,
                model="gpt-3.5-turbo-0125",
                modelParameters={"temperature": 0, "max_tokens": "Infinity"},
                output={"role": "assistant", "content": "2"},
            ),
        ]
    }
    path = write(pytester.path, data)
    result = promote(
        pytester,
        path,
        "--promote-check",
        "tool_not_called: get_current_weather",
        "--promote-span",
        "g-tools",
    )
    assert result.ret == 0, result.stdout.str()
    (case_path,) = written_cases(pytester)
    case = yaml.safe_load(case_path.read_text(encoding="utf-8"))
    assert case_view(case)["tools"] == ("get_current_weather",)
    assert case["request"]["tools"][0] == with_tools["tools"][0]
    assert case["observed"]["tool_calls"] == [
        {"id": "call_1", "name": "get_current_weather", "arguments": {"location": "Boston, MA"}}
    ]
    trace = read_trace(path)
    chat_call = trace.find("g-chat").llm
    assert [m["role"] for m in chat_call.messages] == ["assistant", "user"]
    assert chat_call.params == {"temperature": 0} and chat_call.output == "2"


def test_vercel_ai_sdk_generation_via_langfuse(tmp_path):
    """Field facts of a real 2026 download of a Vercel AI SDK ``streamText`` call (its file
    has no licence, so the values here are made up): camelCase parameters as strings or
    null, the finish reason among them, cached and reasoning token counts."""
    gen = _generation(
        name="ai.streamText.doStream",
        model="gemini-2.5-flash",
        input=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "Plan my week"}]},
        ],
        output="Monday: ...",
        modelParameters={
            "maxRetries": "2",
            "maxOutputTokens": "1024",
            "topP": None,
            "finishReason": "stop",
        },
        usageDetails={
            "input": 378,
            "output": 1407,
            "input_cached_tokens": 120,
            "output_reasoning_tokens": 1029,
            "total": 1785,
        },
        metadata="{}",
        toolDefinitions={},
        toolCalls=[],
    )
    call = (
        read_trace(write(tmp_path, {"trace": {"id": "t-1"}, "observations": [gen]}))
        .llm_spans()[0]
        .llm
    )
    assert [m["role"] for m in call.messages] == ["system", "user"]
    assert call.messages[1]["content"] == "Plan my week"
    assert call.output == "Monday: ..." and call.finish_reason == "stop"
    assert call.params == {"max_tokens": 1024}
    assert call.usage == {
        "prompt_tokens": 378,
        "completion_tokens": 1407,
        "total_tokens": 1785,
        "reasoning_tokens": 1029,
        "cached_tokens": 120,
    }


def test_json_text_nested_too_deep_stays_text(tmp_path):
    deep = "[" * 5_000 + "]" * 5_000  # deeper than the recursion limit
    call = read_trace(write(tmp_path, [_generation(input=deep)])).llm_spans()[0].llm
    assert call.messages == [{"role": "user", "content": deep}]


def test_python_sdk_objects_dumped_with_attribute_names(tmp_path):
    """``json.dump(langfuse.api.trace.get(id).dict(by_alias=False), default=str)``:
    snake_case field names and ``str(datetime)`` times read like the API's."""

    def snake(record: dict[str, Any]) -> dict[str, Any]:
        return {re.sub(r"([A-Z])", r"_\1", k).lower(): v for k, v in record.items()}

    def spaced(value: Any) -> Any:
        return value.replace("T", " ").replace("Z", "+00:00") if isinstance(value, str) else value

    source = json.loads((LANGFUSE / "langgraph-api-trace.json").read_text())
    dumped = snake(source)
    dumped["observations"] = [
        {**snake(o), "start_time": spaced(o["startTime"]), "end_time": spaced(o["endTime"])}
        for o in source["observations"]
    ]
    original = read_trace(LANGFUSE / "langgraph-api-trace.json")
    trace = read_trace(write(tmp_path, dumped))
    assert trace.format == "langfuse-api-trace"
    assert [(s.span_id, s.parent_id, s.kind, s.start_ns, s.end_ns) for s in trace.spans] == [
        (s.span_id, s.parent_id, s.kind, s.start_ns, s.end_ns) for s in original.spans
    ]
    assert [s.llm for s in trace.llm_spans()] == [s.llm for s in original.llm_spans()]


def test_retriever_observation_is_a_retrieval(tmp_path):
    retriever = {
        "id": "r-1",
        "traceId": "t-1",
        "type": "RETRIEVER",
        "name": "vector search",
        "startTime": "2026-01-01T10:00:00Z",
        "input": {"query": "refund window"},
        "output": [{"id": "kb-1", "page_content": "Refunds within 30 days", "score": 0.9}],
    }
    (span,) = read_trace(write(tmp_path, [retriever])).spans
    assert span.kind == "retrieval" and span.retrieval.query == "refund window"
    assert span.retrieval.documents[0]["content"] == "Refunds within 30 days"
