"""Shared by the trace tests: where the sample traces are and how to run the commands."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

TRACES = Path(__file__).parent / "data" / "traces"
FORMATS = (
    "openllmetry",
    "openinference",
    "otel-genai-latest-span",
    "langfuse-otel",
    "litellm-standard-logging-payload",
)


def sample(pytester: pytest.Pytester, fmt: str, scenario: str) -> Path:
    """Copy one sample into the test's folder (so nothing outside it is ever written)."""
    source = TRACES / fmt / f"{scenario}.json"
    target = pytester.path / "traces" / fmt / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def promote(pytester: pytest.Pytester, path: Path, *args: str, label: str = "bad_answer"):
    """Run ``pytest --promote-trace PATH --promote-label LABEL ARGS...`` in-process."""
    return pytester.runpytest("--promote-trace", str(path), "--promote-label", label, *args)


def written_cases(pytester: pytest.Pytester) -> list[Path]:
    root = pytester.path / "regressions"
    return sorted(root.rglob("*.yaml")) if root.exists() else []


def any_value(value: object) -> dict:
    """Encode a plain value as an OTLP AnyValue."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    if isinstance(value, dict):
        return {
            "kvlistValue": {"values": [{"key": k, "value": any_value(v)} for k, v in value.items()]}
        }
    return {"stringValue": str(value)}


def otlp_span(
    name: str,
    span_id: str,
    parent: str | None = None,
    attributes: dict | None = None,
    *,
    trace_id: str = "ab" * 16,
    start_ms: int = 0,
    end_ms: int = 10,
    status: int = 0,
    message: str = "",
) -> dict:
    span = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(1_795_000_000_000_000_000 + start_ms * 1_000_000),
        "endTimeUnixNano": str(1_795_000_000_000_000_000 + end_ms * 1_000_000),
        "attributes": [{"key": k, "value": any_value(v)} for k, v in (attributes or {}).items()],
        "status": {"code": status, "message": message} if status else {},
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def otlp(*spans: dict) -> dict:
    """A Collector file-exporter document holding ``spans``."""
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": []},
                "scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}],
            }
        ]
    }


def chat_span(
    span_id: str, output: str, parent: str | None = None, extra: dict | None = None
) -> dict:
    """An OpenLLMetry-style chat span answering ``output``."""
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
        "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [_text("Hi?")]}]),
        "gen_ai.output.messages": json.dumps(
            [{"role": "assistant", "parts": [_text(output)], "finish_reason": "stop"}]
        ),
        "gen_ai.response.finish_reasons": ["stop"],
        **(extra or {}),
    }
    return otlp_span("openai.chat", span_id, parent, attributes, start_ms=20, end_ms=40)


def _text(content: str) -> dict:
    return {"type": "text", "content": content}


def log_record(
    span_id: str, event: str, body: object = None, attributes: dict | None = None
) -> dict:
    """One OTLP log record attached to ``span_id`` (GenAI event mode)."""
    return {
        "eventName": event,
        "traceId": "ab" * 16,
        "spanId": span_id,
        "body": any_value(body) if body is not None else {},
        "attributes": [{"key": k, "value": any_value(v)} for k, v in (attributes or {}).items()],
    }


def otlp_logs(*records: dict) -> dict:
    """A Collector file-exporter logs document holding ``records``."""
    return {"resourceLogs": [{"scopeLogs": [{"logRecords": list(records)}]}]}


def operation_details(span_id: str, question: str, answer: str) -> dict:
    """The latest GenAI conventions' one record per call, content as structured values."""
    return log_record(
        span_id,
        "gen_ai.client.inference.operation.details",
        attributes={
            "gen_ai.input.messages": [{"role": "user", "parts": [_text(question)]}],
            "gen_ai.output.messages": [
                {"role": "assistant", "parts": [_text(answer)], "finish_reason": "stop"}
            ],
        },
    )


def event_mode_chat_span(span_id: str) -> dict:
    """A GenAI chat span whose content went to log records: no messages on the span."""
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini"}
    return otlp_span("chat gpt-4o-mini", span_id, None, attributes)


def promoted(pytester: pytest.Pytester, path: Path, *args: str, label: str = "x_y"):
    """Promote ``path``, check that the written case passes ``--llm-replay recorded``,
    and return the case (as data) and the command's output."""
    result = promote(pytester, path, *args, label=label)
    output = result.stdout.str()
    assert result.ret == 0, output
    written = re.search(r"^wrote (\S+)$", output, re.MULTILINE)
    case_path = pytester.path / written.group(1)
    replay = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded", str(case_path))
    replay.assert_outcomes(passed=1)
    assert "Traceback" not in output
    return yaml.safe_load(case_path.read_text(encoding="utf-8")), output


def golden_view(case: dict) -> dict:
    """What a promoted case says about the call, compactly: model, messages (role, start
    of the text, tool calls, tool call id), tools, observed tool calls, output, finish
    reason, usage and the "not carried" list."""
    observed = case.get("observed", {})
    notes = (case.get("context") or {}).get("notes", "")
    lost = [line for line in notes.splitlines() if line.startswith("not carried: ")]
    return {
        "model": case["model"]["name"],
        "params": case["model"].get("params", {}),
        "messages": [
            (
                m["role"],
                _start(m.get("content")),
                [c["function"]["name"] for c in m.get("tool_calls") or []],
                m.get("tool_call_id"),
            )
            for m in case["request"]["messages"]
        ],
        "tools": [t["function"]["name"] for t in case["request"].get("tools") or []],
        "tool_calls": [
            (c["name"], c.get("arguments"), c.get("id")) for c in observed.get("tool_calls", [])
        ],
        "output": _start(observed.get("output")),
        "finish_reason": observed.get("finish_reason"),
        "usage": observed.get("usage"),
        "not_carried": lost[0].removeprefix("not carried: ") if lost else None,
    }


def _start(text: object) -> object:
    return text[:40] if isinstance(text, str) else text


def inspected(pytester: pytest.Pytester, path: Path) -> str:
    result = pytester.runpytest("--llm-inspect-trace", str(path))
    assert result.ret == 0, result.stdout.str()
    return result.stdout.str()


def promoted_view(pytester: pytest.Pytester, tool: str, name: str, *args: str):
    """:func:`promoted` on the sample ``tests/data/traces/TOOL/NAME.json``: the case's
    golden view, the case, the command's output and the sample's path."""
    path = sample(pytester, tool, name)
    case, output = promoted(pytester, path, *args)
    return golden_view(case), case, output, path
