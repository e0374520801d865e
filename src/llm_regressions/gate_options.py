"""Options of deploy gating, reports, sharding and status updates.

Declared in the plugin's one ``llm-regressions`` help group and resolved into
:class:`GateSettings`, kept apart from the replay :class:`~llm_regressions.options.Settings`
so the two can grow without touching each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

from llm_regressions.options import option_group

DEFAULT_GOLDEN_MIN = 20
GATE_SETTINGS_KEY = pytest.StashKey["GateSettings"]()


def add_options(parser: pytest.Parser) -> None:
    group = option_group(parser)
    group.addoption(
        "--llm-golden",
        action="store_true",
        default=False,
        help="Deploy gate: run golden cases only; every golden 'status: fixed' case must "
        "pass and the golden set must hold at least ini llm_regressions_golden_min cases "
        f"(default {DEFAULT_GOLDEN_MIN}). Open golden cases are reported, not gated.",
    )
    group.addoption(
        "--llm-min-pass-rate",
        type=float,
        default=None,
        metavar="RATE",
        help="Decide the exit status by the pass rate (0-1) of the selected 'status: fixed' "
        "cases instead of by any failure (failures are still reported). Errors count as "
        "not passed; skipped and open cases are left out. Per-label minimums: ini "
        "llm_regressions_label_min_pass_rate.",
    )
    group.addoption(
        "--llm-report",
        default=None,
        metavar="FILE",
        help="Write the JSON report (format v1: every run of every case, aggregates, "
        "plugin version, git commit) to FILE, atomically. It is what --llm-baseline, "
        "'python -m llm_regressions report merge' and '... gate' read.",
    )
    group.addoption(
        "--llm-report-md",
        default=None,
        metavar="FILE",
        help="Write a short Markdown summary (regressions first) to FILE. It is also "
        "appended to $GITHUB_STEP_SUMMARY whenever that variable is set.",
    )
    group.addoption(
        "--llm-baseline",
        default=None,
        metavar="FILE",
        help="Compare with an earlier --llm-report: a case that passed there and fails "
        "now is a regression and fails the session; fixed, new, removed and newly flaky "
        "cases and latency/cost changes are listed.",
    )
    group.addoption(
        "--llm-baseline-max-cost-increase",
        type=float,
        default=None,
        metavar="FRACTION",
        help="Fail when the mean cost per case grew by more than FRACTION over the "
        "baseline (0.2 = 20%%).",
    )
    group.addoption(
        "--llm-baseline-max-p95-increase",
        type=float,
        default=None,
        metavar="FRACTION",
        help="Fail when the p95 latency grew by more than FRACTION over the baseline.",
    )
    group.addoption(
        "--llm-shard",
        default=None,
        metavar="K/N",
        help="Run shard K of N (1-based): a case belongs to one shard by a hash of its id, "
        "the same on every machine, so N jobs partition the set.",
    )
    group.addoption(
        "--llm-update-status",
        action="store_true",
        default=False,
        help="After a live run, rewrite 'status: open' to 'status: fixed' in the files of "
        "open cases that passed every run (one line changed per case) and list them. "
        "Refused under -n. Ini llm_regressions_update_status = true turns it on by "
        "default, except when $CI is set: in CI only the explicit flag does.",
    )
    parser.addini(
        "llm_regressions_golden_min",
        default=str(DEFAULT_GOLDEN_MIN),
        help="Fewest golden cases --llm-golden accepts.",
    )
    parser.addini(
        "llm_regressions_label_min_pass_rate",
        type="linelist",
        default=[],
        help="Per-label minimum pass rates, one 'label = rate' a line, checked whenever "
        "--llm-min-pass-rate is given.",
    )
    parser.addini(
        "llm_regressions_update_status",
        type="bool",
        default=False,
        help="Default for --llm-update-status outside CI.",
    )


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise pytest.UsageError(f"--llm-shard {text!r}: expected K/N, e.g. 2/4") from None
        if not 1 <= index <= count:
            raise pytest.UsageError(f"--llm-shard {text!r}: K must be between 1 and N")
        return cls(index, count)


@dataclass(frozen=True)
class GateSettings:
    """What this session gates on and what it writes."""

    golden: bool = False
    golden_min: int = DEFAULT_GOLDEN_MIN
    min_pass_rate: float | None = None
    label_min_pass_rate: tuple[tuple[str, float], ...] = ()
    report: str | None = None
    report_md: str | None = None
    baseline: str | None = None
    max_cost_increase: float | None = None
    max_p95_increase: float | None = None
    shard: Shard | None = None
    update_status: bool = False

    @classmethod
    def from_config(cls, config: pytest.Config) -> GateSettings:
        opt = config.getoption
        shard = opt("llm_shard")
        return cls(
            golden=bool(opt("llm_golden")),
            golden_min=_number(config.getini("llm_regressions_golden_min"), int, "golden_min"),
            min_pass_rate=_rate(opt("llm_min_pass_rate"), "--llm-min-pass-rate"),
            label_min_pass_rate=parse_label_rates(
                config.getini("llm_regressions_label_min_pass_rate")
            ),
            report=opt("llm_report"),
            report_md=opt("llm_report_md"),
            baseline=opt("llm_baseline"),
            max_cost_increase=opt("llm_baseline_max_cost_increase"),
            max_p95_increase=opt("llm_baseline_max_p95_increase"),
            shard=Shard.parse(shard) if shard else None,
            update_status=_update_status(config),
        )


def _number(text: str, kind: type, name: str) -> int:
    try:
        return kind(str(text).strip())
    except ValueError:
        raise pytest.UsageError(f"llm_regressions_{name} = {text!r} is not a number") from None


def _rate(value: float | None, name: str) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise pytest.UsageError(f"{name} must be between 0 and 1, got {value:g}")
    return value


def parse_label_rates(lines: list[str]) -> tuple[tuple[str, float], ...]:
    """``["stale_policy = 0.9"]`` -> ``(("stale_policy", 0.9),)``."""
    rates = []
    for line in lines:
        label, sep, rate = line.partition("=")
        if not sep:
            raise pytest.UsageError(
                f"llm_regressions_label_min_pass_rate: {line!r} is not 'label = rate'"
            )
        value = _rate(float(_number(rate, float, "label_min_pass_rate")), label.strip())
        rates.append((label.strip(), value))
    return tuple(rates)


def _update_status(config: pytest.Config) -> bool:
    """The flag always counts; the ini default only outside CI, so a shared config
    never makes CI jobs edit their checkout. Never under -n: rewriting case files is a
    deliberate local step, not a side effect of a parallel (CI-style) run."""
    wanted = bool(config.getoption("llm_update_status")) or (
        bool(config.getini("llm_regressions_update_status")) and not os.environ.get("CI")
    )
    if wanted and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            "--llm-update-status is refused under -n: run the live set without xdist "
            "to update case files"
        )
    return wanted


def get_gate_settings(config: pytest.Config) -> GateSettings:
    return config.stash.get(GATE_SETTINGS_KEY, GateSettings())
