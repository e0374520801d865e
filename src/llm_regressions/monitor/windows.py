"""Per-window metrics of production spans, windows cut from the spans' own timestamps.

A :class:`Window` adds up one time window's spans as they stream past (counts, and one
float per latency and per cost), so memory grows by 24 bytes a span at most. Its
:meth:`Window.summary` is the plain form the report, the alerts and the history file use.

Costs are kept, not summed, until the summary: float addition is not associative, and a
worker's windows (:meth:`Window.merge`) must give the parent the sum one process makes,
adding every cost in input order.
"""

from __future__ import annotations

import operator
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import reduce
from typing import Any

from llm_regressions.report.metrics import percentile


def iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def non_ascii(text: str) -> int:
    """Characters above U+007F in ``text``."""
    return len(text) - len(text.encode("ascii", "ignore"))


def _rate(passed: int, total: int) -> float | None:
    return passed / total if total else None


@dataclass
class Window:
    """One window's running totals."""

    start_ns: int
    length_ns: int
    spans: int = 0
    scored: int = 0
    passed: int = 0
    failed_by_label: Counter = field(default_factory=Counter)
    latencies: array = field(default_factory=lambda: array("d"))
    tool_calls: Counter = field(default_factory=Counter)
    tool_failures: Counter = field(default_factory=Counter)
    schema_checked: int = 0
    schema_passed: int = 0
    tokens: int = 0
    costs: array = field(default_factory=lambda: array("d"))  # one a span, 0.0 for none
    #: Per tenant: [requests, tokens, costs]
    tenants: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(_tenant))
    #: Per model: [answers, non-ASCII characters, characters]
    chars: dict[str, list[int]] = field(default_factory=lambda: defaultdict(_three_counts))

    def add_llm(
        self, tenant: str, model: str, chars: tuple[int, int] | None, latency, tokens: int, cost
    ) -> None:
        """One LLM span's operational figures (whether or not a rule scored it); ``chars``:
        its answer's non-ASCII characters and length (None: no answer); ``tokens``: see
        :func:`tokens_of`."""
        self.spans += 1
        if latency is not None:
            self.latencies.append(latency)
        self.tokens += tokens
        cost = cost or 0.0
        self.costs.append(cost)
        totals = self.tenants[tenant]
        totals[0] += 1
        totals[1] += tokens
        totals[2].append(cost)
        if chars:
            counts = self.chars[model]
            counts[0] += 1
            counts[1] += chars[0]
            counts[2] += chars[1]

    def add_tool(self, name: str, ok: bool) -> None:
        self.tool_calls[name] += 1
        if not ok:
            self.tool_failures[name] += 1

    def merge(self, later: Window) -> None:
        """Add a window of the same time whose spans come after this one's in the input:
        the same totals as adding its spans here one by one."""
        self.spans += later.spans
        self.scored += later.scored
        self.passed += later.passed
        self.failed_by_label.update(later.failed_by_label)
        self.latencies.extend(later.latencies)
        self.tool_calls.update(later.tool_calls)
        self.tool_failures.update(later.tool_failures)
        self.schema_checked += later.schema_checked
        self.schema_passed += later.schema_passed
        self.tokens += later.tokens
        self.costs.extend(later.costs)
        for tenant, (requests, tokens, costs) in later.tenants.items():
            totals = self.tenants[tenant]
            totals[0] += requests
            totals[1] += tokens
            totals[2].extend(costs)
        for model, counts in later.chars.items():
            mine = self.chars[model]
            for i, count in enumerate(counts):
                mine[i] += count

    def summary(self) -> dict[str, Any]:
        """The window's metrics as plain JSON."""
        ordered = sorted(self.latencies)
        spans = self.spans or None
        cost = in_order_sum(self.costs)
        return {
            "start": iso(self.start_ns),
            "end": iso(self.start_ns + self.length_ns),
            "start_ns": self.start_ns,
            "spans": self.spans,
            "eval": {"scored": self.scored, "passed": self.passed},
            "eval_pass_rate": _rate(self.passed, self.scored),
            "failure_rate_by_label": {
                label: count / self.scored for label, count in sorted(self.failed_by_label.items())
            },
            "latency_ms": {f"p{q}": percentile(ordered, q) for q in (50, 95, 99)},
            "tools": {
                name: {"calls": calls, "failed": self.tool_failures[name]}
                for name, calls in sorted(self.tool_calls.items())
            },
            "tool_success_rate": _rate(
                sum(self.tool_calls.values()) - sum(self.tool_failures.values()),
                sum(self.tool_calls.values()),
            ),
            "schema": {"checked": self.schema_checked, "passed": self.schema_passed},
            "schema_pass_rate": _rate(self.schema_passed, self.schema_checked),
            "tokens": {"total": self.tokens, "per_request": self.tokens / spans if spans else None},
            "cost_usd": {"total": cost, "per_request": cost / spans if spans else None},
            "tenants": {
                name: {
                    "requests": int(n),
                    "tokens": int(t),
                    "cost_usd": (c := in_order_sum(costs)),
                    "cost_per_request": c / n,
                }
                for name, (n, t, costs) in sorted(self.tenants.items())
            },
            "non_ascii": {
                model: {"responses": n, "share": bad / chars if chars else 0.0, "chars": chars}
                for model, (n, bad, chars) in sorted(self.chars.items())
            },
        }


def _tenant() -> list[Any]:
    return [0, 0, array("d")]


def _three_counts() -> list[int]:
    return [0, 0, 0]


def in_order_sum(values: array) -> float:
    """Left to right, as a running total adds them (``sum`` compensates rounding on
    Python 3.12 and later, which would change the last digits between versions)."""
    return reduce(operator.add, values, 0.0)


def tokens_of(usage: dict[str, int] | None) -> int:
    """The tokens a call used: its total, else its parts added up (0: none recorded)."""
    if not usage:
        return 0
    if usage.get("total_tokens"):
        return int(usage["total_tokens"])
    return sum(
        int(usage.get(k) or 0)
        for k in ("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens")
    )


class Windows:
    """The windows of a run, created as spans arrive in any order."""

    def __init__(self, length_s: float) -> None:
        self.length_ns = int(length_s * 1e9)
        self.by_start: dict[int, Window] = {}

    def empty(self) -> Windows:
        """No windows yet, of the same length."""
        fresh = Windows(0)
        fresh.length_ns = self.length_ns
        return fresh

    def at(self, ns: int) -> Window:
        start = ns - ns % self.length_ns
        window = self.by_start.get(start)
        if window is None:
            window = self.by_start[start] = Window(start, self.length_ns)
        return window

    def summaries(self) -> list[dict[str, Any]]:
        return [self.by_start[start].summary() for start in sorted(self.by_start)]
