"""One span -> the few figures the monitor pass adds up (its fact), scored where it is read.

Reading and scoring a span is nearly all of a monitor run's time, and needs only the span
and the rules; adding up needs the run (windows, counters, the failing list) and the
input order (float sums, the first failing spans). So a span becomes a small picklable
:data:`Fact` (a worker process can compute it), and :func:`apply` adds facts to the run
(:class:`MonitorRun`) in input order: a run reads the same whether its facts came from
one process or several.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from llm_regressions.casefile.yamlio import dump_line
from llm_regressions.monitor.load import Monitors
from llm_regressions.monitor.score import (
    answers_only,
    matches,
    score_span,
    span_case,
    span_result,
    tenant_of,
)
from llm_regressions.monitor.stream import Unreadable, read_spans
from llm_regressions.monitor.windows import Windows, non_ascii, tokens_of
from llm_regressions.traces.model import TOOL, Span

#: Failing spans kept for the list (all are counted).
MAX_LISTED = 500
#: Characters of a failing answer kept for the list and the clusters.
EXCERPT_CHARS = 200
#: Facts of spans that add nothing but their count.
SAMPLED_OUT, UNTIMED, OTHER = "sampled_out", "untimed", "other"


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
    workers: int = 1  # processes that read the input


def _pickled_as_tuple(fact: tuple) -> tuple:
    """How a fact travels from a worker process: its class and its values, rebuilt by
    ``tuple.__new__`` (a NamedTuple's own pickling calls two Python functions per fact,
    and 100,000s of facts travel)."""
    return tuple.__new__, (type(fact), tuple(fact))


class ToolFact(NamedTuple):
    start_ns: int
    name: str
    ok: bool

    __reduce__ = _pickled_as_tuple


class Verdict(NamedTuple):
    """The rules' verdicts on one span: per matched rule (name, passed, schema checks
    run, schema checks passed); the labels of the failed rules; the first failure."""

    rules: list[tuple[str, bool, int, int]]
    failed_labels: list[str]
    failing: Failing | None

    __reduce__ = _pickled_as_tuple


class LlmFact(NamedTuple):
    start_ns: int
    tenant: str
    model: str
    chars: tuple[int, int] | None  # (non-ASCII characters, characters) of the answer
    latency_ms: float | None
    tokens: int  # windows.tokens_of(usage)
    cost_usd: float | None
    #: None: no rule matched; a string: why a judge call was not sent (not scored).
    verdict: Verdict | str | None

    __reduce__ = _pickled_as_tuple


Fact = str | ToolFact | LlmFact


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


def fact_of(span: Span, monitors: Monitors, sample: float, file: str) -> Fact:
    """What ``span`` adds to the run."""
    if not kept(span.trace_id, sample):
        return SAMPLED_OUT
    if span.start_ns is None:
        return UNTIMED
    if span.llm is not None:
        return _llm_fact(span, monitors, file)
    if span.kind == TOOL and span.tool is not None:
        ok = not span.is_error and not empty_result(span.tool.result)
        return ToolFact(span.start_ns, span.tool.name, ok)
    return OTHER


def _llm_fact(span: Span, monitors: Monitors, file: str) -> LlmFact:
    assert span.start_ns is not None
    result = span_result(span)
    tenant = tenant_of(span, monitors.config.tenant_keys)
    output = result.output
    chars = (non_ascii(output), len(output)) if output else None
    figures = (span.start_ns, tenant, result.model or "unknown", chars, result.latency_ms,
               tokens_of(result.usage), result.cost_usd)  # fmt: skip
    return LlmFact(*figures, _verdict(span, monitors, tenant, result, file))


def _verdict(span: Span, monitors: Monitors, tenant: str, result: Any, file: str) -> Any:
    """The matching rules' verdict (None: no rule matched; text: not judged, why)."""
    rules = [r for r in monitors.rules if matches(r, span, tenant)]
    if not rules:
        return None
    case = span_case(span)
    verdicts = [score_span(rule, case, result) for rule in rules]
    unjudged = next((v.unjudged for v in verdicts if v.unjudged), None)
    if unjudged:
        return unjudged
    figures, failed = [], []
    for verdict in verdicts:
        schema = [o.passed for c, o in verdict.outcomes if o.applicable and c.family == "schema"]
        passed = verdict.passed
        figures.append((verdict.rule.rule.name, passed, len(schema), sum(schema)))
        if not passed:
            failed.append(verdict)
    first = _failing(span, failed[0], file, result.output) if failed else None
    return Verdict(figures, [v.rule.label for v in failed], first)


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
            {"check": described, "reason": r.reason, "yaml": line}
            for c, r in verdict.failing
            for described, line in (_written(c),)
        ],
        excerpt=(output or "")[:EXCERPT_CHARS],
    )


@lru_cache(maxsize=1024)
def _written(check: Any) -> tuple[str, str]:
    """A check as the list shows it and as its YAML line (once per check, not per span:
    a bad day has thousands of failing spans, and a YAML dump takes some 30 us)."""
    return check.describe(), dump_line({check.name: check.raw_arg})


def add_file(run: MonitorRun, path: Path, monitors: Monitors, sample: float) -> None:
    """Read and score one file in this process, adding its spans' facts to ``run``."""
    file = str(path)
    for span in read_spans(path, run.unreadable, answers_only(monitors)):
        apply(run, fact_of(span, monitors, sample, file))


def apply(run: MonitorRun, fact: Fact) -> None:
    """Add one span's fact to the run (in input order)."""
    run.spans_read += 1
    if isinstance(fact, LlmFact):
        _apply_llm(run, fact)
    elif isinstance(fact, ToolFact):
        run.windows.at(fact.start_ns).add_tool(fact.name, fact.ok)
    elif fact == SAMPLED_OUT:
        run.sampled_out += 1
    elif fact == UNTIMED:
        run.untimed += 1


def merge(run: MonitorRun, later: MonitorRun) -> None:
    """Add a run of spans that come after ``run``'s in the input (what a worker process
    applied itself, see monitor/parallel.py): the same as applying their facts here."""
    run.spans_read += later.spans_read
    run.sampled_out += later.sampled_out
    run.untimed += later.untimed
    run.unjudged += later.unjudged
    run.matched.update(later.matched)
    run.passed.update(later.passed)
    run.failing_total += later.failing_total
    run.failing += later.failing[: max(0, MAX_LISTED - len(run.failing))]
    for start, window in later.windows.by_start.items():
        run.windows.at(start).merge(window)


def _apply_llm(run: MonitorRun, fact: LlmFact) -> None:
    window = run.windows.at(fact.start_ns)
    window.add_llm(fact.tenant, fact.model, fact.chars, fact.latency_ms, fact.tokens,
                   fact.cost_usd)  # fmt: skip
    verdict = fact.verdict
    if verdict is None:
        return
    if isinstance(verdict, str):
        run.unjudged += 1
        return
    window.scored += 1
    for name, passed, checked, schema_passed in verdict.rules:
        run.matched[name] += 1
        run.passed[name] += passed
        window.schema_checked += checked
        window.schema_passed += schema_passed
    if not verdict.failed_labels:
        window.passed += 1
        return
    for label in verdict.failed_labels:
        window.failed_by_label[label] += 1
    run.failing_total += 1
    if len(run.failing) < MAX_LISTED and verdict.failing is not None:
        run.failing.append(verdict.failing)
