"""Per-window metrics of production spans, windows cut from the spans' own timestamps.

A :class:`Window` adds up one time window's spans as they stream past (counts, sums and
one float per latency), so memory grows with the number of windows, not of spans. Its
:meth:`Window.summary` is the plain form the report, the alerts and the history file use.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
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
    cost_usd: float = 0.0
    tenants: dict[str, list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0, 0.0])
    )
    chars: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))

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
        self.cost_usd += cost or 0.0
        totals = self.tenants[tenant]
        totals[0] += 1
        totals[1] += tokens
        totals[2] += cost or 0.0
        if chars:
            counts = self.chars[model]
            counts[0] += 1
            counts[1] += chars[0]
            counts[2] += chars[1]

    def add_tool(self, name: str, ok: bool) -> None:
        self.tool_calls[name] += 1
        if not ok:
            self.tool_failures[name] += 1

    def summary(self) -> dict[str, Any]:
        """The window's metrics as plain JSON."""
        ordered = sorted(self.latencies)
        spans = self.spans or None
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
            "cost_usd": {
                "total": self.cost_usd,
                "per_request": self.cost_usd / spans if spans else None,
            },
            "tenants": {
                name: {
                    "requests": int(n),
                    "tokens": int(t),
                    "cost_usd": c,
                    "cost_per_request": c / n,
                }
                for name, (n, t, c) in sorted(self.tenants.items())
            },
            "non_ascii": {
                model: {"responses": n, "share": bad / chars if chars else 0.0, "chars": chars}
                for model, (n, bad, chars) in sorted(self.chars.items())
            },
        }


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

    def at(self, ns: int) -> Window:
        start = ns - ns % self.length_ns
        window = self.by_start.get(start)
        if window is None:
            window = self.by_start[start] = Window(start, self.length_ns)
        return window

    def summaries(self) -> list[dict[str, Any]]:
        return [self.by_start[start].summary() for start in sorted(self.by_start)]
