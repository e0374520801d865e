"""Benchmark: ``--llm-inspect-trace`` on a generated OTLP/JSON trace of 10,000 spans.

Prints figures (file size, read time, diagnose+render time); it asserts nothing.
Run: ``PYTHONPATH=src python bench/inspect_trace.py [SPANS]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would shadow
# the standard library's ``inspect`` (which dataclasses imports): drop that folder.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from llm_regressions.traces import read_trace  # noqa: E402
from llm_regressions.traces.inspection import render  # noqa: E402

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def _attr(key: str, value: object) -> dict:
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": str(value)}}


def _span(index: int, parent: str | None, name: str, attributes: dict) -> dict:
    start = 1_795_000_000_000_000_000 + index * 1_000_000
    span = {
        "traceId": TRACE_ID,
        "spanId": f"{index + 1:016x}",
        "name": name,
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 800_000),
        "attributes": [_attr(k, v) for k, v in attributes.items()],
        "status": {},
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def generate(count: int) -> dict:
    """An agent workflow: per step an LLM call (with a growing conversation), a tool
    call and every 10th step a retrieval, under one root."""
    spans = [_span(0, None, "agent.workflow", {"traceloop.span.kind": "workflow"})]
    root = spans[0]["spanId"]
    history = [{"role": "system", "parts": [{"type": "text", "content": "You are an agent."}]}]
    for index in range(1, count):
        kind = index % 3
        if kind == 0:
            spans.append(
                _span(
                    index,
                    root,
                    "lookup.tool",
                    {
                        "traceloop.span.kind": "tool",
                        "traceloop.entity.name": "lookup",
                        "traceloop.entity.input": json.dumps({"args": [], "kwargs": {"id": index}}),
                        "traceloop.entity.output": json.dumps({"id": index, "rows": [1, 2]}),
                    },
                )
            )
        elif kind == 1:
            history = history[-6:] + [
                {"role": "user", "parts": [{"type": "text", "content": f"step {index}"}]}
            ]
            output = [
                {
                    "role": "assistant",
                    "parts": [{"type": "text", "content": f"answer {index}"}],
                    "finish_reason": "stop",
                }
            ]
            spans.append(
                _span(
                    index,
                    root,
                    "openai.chat",
                    {
                        "gen_ai.operation.name": "chat",
                        "gen_ai.request.model": "gpt-4o-mini",
                        "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
                        "gen_ai.input.messages": json.dumps(history),
                        "gen_ai.output.messages": json.dumps(output),
                        "gen_ai.usage.input_tokens": 100 + index,
                        "gen_ai.usage.output_tokens": 12,
                    },
                )
            )
        else:
            docs = [{"id": f"kb-{index}", "content": "text", "updated_at": "2026-01-01"}]
            spans.append(
                _span(
                    index,
                    root,
                    "retrieve.task",
                    {
                        "traceloop.span.kind": "task",
                        "traceloop.entity.input": json.dumps({"args": ["q"], "kwargs": {}}),
                        "traceloop.entity.output": json.dumps(docs),
                    },
                )
            )
    return {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {}, "spans": spans}]}]}


def main(count: int = 10_000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trace.json"
        path.write_text(json.dumps(generate(count)), encoding="utf-8")
        size = path.stat().st_size / 1_048_576
        started = time.perf_counter()
        trace = read_trace(path)
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        report = render(trace, str(path))
        render_s = time.perf_counter() - started
    print(f"spans:             {len(trace.spans)}")
    print(f"file size:         {size:.1f} MB")
    print(f"read + detect:     {read_s:.3f} s")
    print(f"diagnose + render: {render_s:.3f} s ({report.count(chr(10))} lines)")
    print(f"total:             {read_s + render_s:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
