"""The monitor pass: stream every span of the input, sample by trace id, score the LLM
spans each rule matches, and add everything up per window.

Sampling hashes the trace id, so ``--llm-monitor-sample 0.1`` keeps the same traces on
every run and a trace's spans stay together. Failing spans are kept (up to
:data:`MAX_LISTED`) with what promoting them needs.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_regressions.casefile.yamlio import dump_line
from llm_regressions.diagnose.trace_clusters import TRACE_SUFFIXES, trace_files
from llm_regressions.monitor.load import Monitors
from llm_regressions.monitor.score import (
    matches,
    score_span,
    span_case,
    span_result,
    tenant_of,
)
from llm_regressions.monitor.stream import Unreadable, read_spans
from llm_regressions.monitor.windows import Windows
from llm_regressions.traces.model import TOOL, Span

#: Failing spans kept for the list (all are counted).
MAX_LISTED = 500
#: Characters of a failing answer kept for the list and the clusters.
EXCERPT_CHARS = 200
#: Allocations between two young-generation collections during the pass.
GC_THRESHOLD = 50_000


@dataclass
class Failing:
    """A failing span and what promoting it takes."""

    file: str
    trace_id: str
    span_id: str
    rule: str
    label: str
    start_ns: int
    checks: list[dict[str, str]]
    excerpt: str


@dataclass
class MonitorRun:
    """Everything one pass over the input found."""

    windows: Windows
    unreadable: list[Unreadable] = field(default_factory=list)
    files: int = 0
    spans_read: int = 0
    sampled_out: int = 0
    untimed: int = 0
    matched: Counter = field(default_factory=Counter)
    passed: Counter = field(default_factory=Counter)
    failing: list[Failing] = field(default_factory=list)
    failing_total: int = 0
    notes: list[str] = field(default_factory=list)
    unjudged: int = 0  # spans left unscored: their llm_judge call was over the budget


def empty_result(value: Any) -> bool:
    """Nothing came back: no value, an empty one, or an object whose lists and objects
    are all empty (``{"sku": "X", "items": []}``). JSON text is read first."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else None
        except ValueError:
            return False
    if value in (None, "", [], {}):
        return True
    if isinstance(value, dict):
        nested = [v for v in value.values() if isinstance(v, (list, dict))]
        return bool(nested) and not any(nested)
    return False


def kept(trace_id: str, sample: float) -> bool:
    """The same traces on every run: the trace id's hash against the sample rate."""
    if sample >= 1:
        return True
    digest = hashlib.blake2b(trace_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < sample


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Cyclic garbage collection less often during the pass: each span allocates
    hundreds of short-lived containers, freed by reference counting, and the default
    threshold (700) ran a collection every few spans (about a tenth of the time)."""
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def monitor(paths: list[Path], monitors: Monitors, sample: float, window_s: float) -> MonitorRun:
    with _fewer_collections():
        return _monitor(paths, monitors, sample, window_s)


def _monitor(paths: list[Path], monitors: Monitors, sample: float, window_s: float) -> MonitorRun:
    run = MonitorRun(Windows(window_s))
    files, skipped = trace_files([(path, str(path)) for path in paths])
    if skipped:
        run.notes.append(
            f"skipped {len(skipped)} file(s) in the folders not ending in "
            f"{'/'.join(TRACE_SUFFIXES)}: {', '.join(skipped[:5])}"
        )
    for path, _ in files:
        run.files += 1
        for span in read_spans(path, run.unreadable):
            run.spans_read += 1
            if not kept(span.trace_id, sample):
                run.sampled_out += 1
            elif span.start_ns is None:
                run.untimed += 1
            elif span.llm is not None:
                _llm_span(run, monitors, span, str(path))
            elif span.kind == TOOL and span.tool is not None:
                ok = not span.is_error and not empty_result(span.tool.result)
                run.windows.at(span.start_ns).add_tool(span.tool.name, ok)
    return run


def _llm_span(run: MonitorRun, monitors: Monitors, span: Span, file: str) -> None:
    assert span.start_ns is not None and span.llm is not None
    window = run.windows.at(span.start_ns)
    result = span_result(span)
    tenant = tenant_of(span, monitors.config.tenant_keys)
    window.add_llm(
        tenant, result.model or "unknown", result.output, result.latency_ms, result.usage,
        result.cost_usd,
    )  # fmt: skip
    rules = [r for r in monitors.rules if matches(r, span, tenant)]
    if not rules:
        return
    case = span_case(span)
    verdicts = [score_span(rule, case, result) for rule in rules]
    if any(v.unjudged for v in verdicts):
        run.unjudged += 1
        return
    window.scored += 1
    for verdict in verdicts:
        name = verdict.rule.rule.name
        run.matched[name] += 1
        run.passed[name] += verdict.passed
        for check, outcome in verdict.outcomes:
            if outcome.applicable and check.family == "schema":
                window.schema_checked += 1
                window.schema_passed += outcome.passed
    failed = [v for v in verdicts if not v.passed]
    if not failed:
        window.passed += 1
        return
    for verdict in failed:
        window.failed_by_label[verdict.rule.label] += 1
    run.failing_total += 1
    if len(run.failing) < MAX_LISTED:
        run.failing.append(_failing(span, failed[0], file, result.output))


def _failing(span: Span, verdict: Any, file: str, output: str | None) -> Failing:
    assert span.start_ns is not None
    return Failing(
        file=file,
        trace_id=span.trace_id,
        span_id=span.span_id,
        rule=verdict.rule.rule.name,
        label=verdict.rule.label,
        start_ns=span.start_ns,
        checks=[
            {"check": c.describe(), "reason": r.reason, "yaml": dump_line({c.name: c.raw_arg})}
            for c, r in verdict.failing
        ],
        excerpt=(output or "")[:EXCERPT_CHARS],
    )
