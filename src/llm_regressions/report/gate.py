"""The deploy gate: from case records (and a baseline) to pass/fail and the reasons.

No printing and no pytest: the plugin and ``python -m llm_regressions gate`` call the
same :func:`evaluate`, so a merged set of shard reports gets the verdict a single run
would have had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llm_regressions.report.baseline import compare
from llm_regressions.report.metrics import cleared, pass_rate
from llm_regressions.settings import GateSettings


@dataclass
class GateResult:
    """``failures`` fail the session; ``warnings`` and ``notes`` are only shown."""

    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    comparison: dict[str, Any] | None = None
    #: True when a threshold (golden gate, min pass rate) decides the exit status,
    #: rather than "any failed case fails the session".
    decides: bool = False
    #: case id -> (mark, failure) for each failure about one case ("golden", "passed
    #: in the baseline"), so a summary can name each case once, beside its own line.
    case_failures: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def fail_case(self, case_id: str, mark: str, message: str) -> None:
        self.failures.append(message)
        self.case_failures.setdefault(case_id, []).append((mark, message))

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "decides": self.decides,
            "failures": self.failures,
            "warnings": self.warnings,
            "notes": self.notes,
            "baseline": self.comparison,
        }


def _golden(records: list[dict[str, Any]], settings: GateSettings, out: GateResult) -> None:
    golden = [r for r in records if r["golden"]]
    if len(golden) < settings.golden_min:
        missing = settings.golden_min - len(golden)
        out.failures.append(
            f"golden set too small: {len(golden)} case(s), needs {settings.golden_min} "
            f"({missing} missing; ini llm_regressions_golden_min)"
        )
    for r in golden:
        if r["status"] == "fixed" and not cleared(r):
            out.fail_case(r["id"], "golden", f"golden case {r['id']} did not pass ({r['outcome']})")
        elif r["status"] == "open":
            if r["outcome"] == "xfailed":
                still = "still reproduces"
            elif r["outcome"] == "passed" and r["pass_rate"] is None:
                still = "catches its recorded bug"  # recorded mode: nothing was replayed
            else:
                still = f"now {r['outcome']}"
            out.notes.append(f"open golden case {r['id']} ({still}; not gated)")


def _min_rates(records: list[dict[str, Any]], settings: GateSettings, out: GateResult) -> None:
    passed, total = pass_rate(records)
    if total and passed / total < settings.min_pass_rate - 1e-9:
        out.failures.append(
            f"pass rate {passed}/{total} = {passed / total:.1%} is below "
            f"--llm-min-pass-rate {settings.min_pass_rate:.1%}"
        )
    for label, need in settings.label_min_pass_rate:
        passed, total = pass_rate(r for r in records if r["label"] == label)
        if total and passed / total < need - 1e-9:
            out.failures.append(
                f"label {label}: pass rate {passed}/{total} = {passed / total:.1%} is below "
                f"{need:.1%} (ini llm_regressions_label_min_pass_rate)"
            )


def _baseline(
    records: list[dict[str, Any]], baseline: dict[str, Any], s: GateSettings, out: GateResult
) -> None:
    cmp = compare(records, baseline, s.golden, s.shard)
    out.comparison = cmp
    out.warnings += cmp["warnings"]
    for case_id in cmp["buckets"]["regressed"]:
        why = cmp["causes"].get(case_id)
        message = f"regression: {case_id} passed in the baseline and fails now" + (
            f" ({'; '.join(why)})" if why else ""
        )
        out.fail_case(case_id, "passed in the baseline", message)
    for key, limit, flag in (
        ("cost_per_case_usd", s.max_cost_increase, "--llm-baseline-max-cost-increase"),
        ("p95_latency_ms", s.max_p95_increase, "--llm-baseline-max-p95-increase"),
    ):
        change = cmp[key]["change"]
        if limit is not None and change is not None and change > limit + 1e-9:
            out.failures.append(
                f"{key.replace('_', ' ')} rose {change:+.1%} over the baseline "
                f"({cmp[key]['baseline']:.6g} -> {cmp[key]['current']:.6g}), more than {flag} "
                f"{limit:.0%}"
            )


def evaluate(
    records: list[dict[str, Any]],
    settings: GateSettings,
    baseline: dict[str, Any] | None,
    incomplete: str | None = None,
) -> GateResult:
    """``incomplete``: why the run did not cover its selection; no gate passes then."""
    out = GateResult(decides=settings.golden or settings.min_pass_rate is not None)
    if settings.golden:
        _golden(records, settings, out)
    if settings.min_pass_rate is not None:
        _min_rates(records, settings, out)
    if baseline is not None:
        _baseline(records, baseline, settings, out)
    if incomplete:
        out.failures.append(f"incomplete run ({incomplete}): no gate passes on it")
    return out


def exit_code(records: list[dict[str, Any]], result: GateResult) -> int:
    """0 or 1 as pytest would end a run of these cases under this gate (for the CLI)."""
    if not result.passed:
        return 1
    if result.decides:
        return 0
    return int(any(r["outcome"] in ("failed", "error") for r in records))
