"""Benchmark: ``--llm-inspect-trace`` on a generated OTLP/JSON trace of 10,000 spans,
then on folders of 10, 100 and 1,000 generated trace files (failure clusters).

Prints figures (file size, read time, diagnose+render time; for the folders the time
and the peak memory against the file count, with the time per file against the time
reading the same files costs alone, and the peak against the smallest folder's: ideal
1.0x both); it asserts nothing.
Run: ``PYTHONPATH=src python bench/inspect_trace.py [SPANS [FILES...]]``.
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
import tracemalloc  # noqa: E402

from llm_regressions.diagnose import trace_clusters  # noqa: E402
from llm_regressions.traces import read_trace  # noqa: E402
from llm_regressions.traces.inspection import render  # noqa: E402
from llm_regressions.traces.redact import Redactor  # noqa: E402

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


def failing_file(index: int) -> dict:
    """A 60-span agent trace whose every 4th model call was cut off (finish_reason
    length) and every 7th answered nothing: a few patterns, repeated across files."""
    document = generate(60)
    calls = [
        s for s in document["resourceSpans"][0]["scopeSpans"][0]["spans"] if "chat" in s["name"]
    ]
    for number, span in enumerate(calls):
        attributes = {a["key"]: a for a in span["attributes"]}
        output = json.loads(attributes["gen_ai.output.messages"]["value"]["stringValue"])
        if number % 4 == 0:
            output[0]["finish_reason"] = "length"
        elif number % 7 == 0:
            output[0]["parts"][0]["content"] = ""
        output[0]["parts"][0]["content"] += (
            f" (file {index})" if output[0]["parts"][0]["content"] else ""
        )
        attributes["gen_ai.output.messages"]["value"]["stringValue"] = json.dumps(output)
    return document


def folder(count: int, root: Path) -> list[tuple[Path, str]]:
    root.mkdir()
    for index in range(count):
        (root / f"trace-{index:05d}.json").write_text(json.dumps(failing_file(index)))
    return [(root, root.name)]


def timed_clusters(targets: list[tuple[Path, str]]) -> tuple[float, float, str]:
    """(seconds for the whole command body, seconds reading the same files alone, the
    report)."""
    files, _ = trace_clusters.trace_files(targets)
    started = time.perf_counter()
    for path, _ in files:
        read_trace(path)
    reading = time.perf_counter() - started
    started = time.perf_counter()
    seen, unreadable = trace_clusters.inspect_files(files, Redactor())
    report = trace_clusters.render(seen, unreadable, [], [])
    return time.perf_counter() - started, reading, report


def peak_mb(targets: list[tuple[Path, str]]) -> float:
    tracemalloc.start()
    files, _ = trace_clusters.trace_files(targets)
    trace_clusters.inspect_files(files, Redactor())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1_048_576


def main_folders(counts: list[int]) -> None:
    print()
    print("folders of 60-span trace files (failure clusters):")
    print(f"{'files':>7}  {'seconds':>8}  {'ms/file':>8}  {'vs reading alone':>16}  {'peak MB':>8}")
    smallest = None
    with tempfile.TemporaryDirectory() as scratch:
        for count in counts:
            targets = folder(count, Path(scratch) / f"f{count}")
            total, reading, report = timed_clusters(targets)
            peak = peak_mb(targets)
            smallest = smallest or peak
            print(
                f"{count:>7}  {total:8.2f}  {1000 * total / count:8.2f}  "
                f"{total / reading:15.2f}x  {peak:8.1f} ({peak / smallest:.2f}x the smallest)"
            )
    print(report.splitlines()[0])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
    main_folders([int(a) for a in sys.argv[2:]] or [10, 100, 1000])
