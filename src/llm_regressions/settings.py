"""What a session was asked to do, as plain frozen dataclasses: replay, gate, promotion.

Nothing here imports pytest, so the standalone ``python -m llm_regressions`` commands
share these types and parsers with the plugin. Bad values raise :class:`SettingsError`
(a ``ValueError``); :mod:`llm_regressions.options` turns that into pytest's usage error,
the command line into ``error: ...`` and exit code 2.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

REPLAY_MODES = ("live", "cached", "recorded")
PROMPT_MODES = ("current", "frozen")
DEFAULT_PATHS = ("regressions",)
DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 2
DEFAULT_CACHE_DIR = ".llm_regressions_cache"
DEFAULT_GOLDEN_MIN = 20
DEFAULT_PROMOTE_DIR = "regressions"
#: --llm-diagnose: reruns of the exact request, runs of each variant.
DEFAULT_DIAGNOSE_RERUNS = 5
DEFAULT_DIAGNOSE_VARIANT_RUNS = 3


class SettingsError(ValueError):
    """A setting has a value the plugin cannot use; ``str()`` names it and says why."""


@dataclass(frozen=True)
class Settings:
    """How cases get their answers: everything replay needs, resolved once."""

    enabled: bool = False
    replay: str = "live"
    paths: tuple[str, ...] = DEFAULT_PATHS
    concurrency: int = DEFAULT_CONCURRENCY
    model_override: str | None = None
    api_base: str | None = None
    strict_pins: bool = False
    unpinned_ok: tuple[str, ...] = ()
    repeat: int | None = None
    repeat_max: int | None = None
    judge_repeat: int = 1
    judge_model: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    max_cost: float | None = None
    #: Over-budget estimate: run what fits (golden first) instead of refusing to start.
    max_cost_partial: bool = False
    #: Print the calls and cost the run would make; send nothing.
    estimate: bool = False
    cache_dir: str = DEFAULT_CACHE_DIR
    prompt: str = "current"
    #: --llm-diagnose: reruns and variant runs per failing (or open) case; 0 is off.
    diagnose_reruns: int = 0
    diagnose_variant_runs: int = 0

    @property
    def diagnose(self) -> bool:
        """Failing and open cases get a root-cause diagnosis after their verdict."""
        return self.calls_models and self.diagnose_reruns > 0

    @property
    def calls_models(self) -> bool:
        """True when cases get their answers from a model (live or cached replay)."""
        return self.enabled and self.replay != "recorded"

    def model_for(self, case: Any) -> str:
        """The model this session replays ``case`` on (``--llm-model`` wins)."""
        return self.model_override or case.model.name

    def runs_for(self, case: Any) -> tuple[int, int]:
        """(min, max) runs of ``case``; a fixed count is both. ``--llm-repeat`` replaces
        the case's ``repeat:``; ``--llm-repeat-max`` lets a case whose verdict is still
        inconclusive after its minimum run up to that many times."""
        low, high = (self.repeat, self.repeat) if self.repeat else case.repeat_bounds
        if self.repeat_max:
            high = self.repeat_max
        return low, max(low, high)


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``: a case belongs to one shard by its id."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise SettingsError(f"--llm-shard {text!r}: expected K/N, e.g. 2/4") from None
        if not 1 <= index <= count:
            raise SettingsError(f"--llm-shard {text!r}: K must be between 1 and N")
        return cls(index, count)

    def holds(self, case_id: str) -> bool:
        """Shards hash the case id (not the node id, not the collection order), so a case
        lands in the same shard on every machine and after files move."""
        digest = hashlib.sha256(case_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


@dataclass(frozen=True)
class GateSettings:
    """What this session gates on and what it writes."""

    golden: bool = False
    golden_min: int = DEFAULT_GOLDEN_MIN
    min_pass_rate: float | None = None
    label_min_pass_rate: tuple[tuple[str, float], ...] = ()
    report: str | None = None
    report_md: str | None = None
    report_html: str | None = None
    baseline: str | None = None
    max_cost_increase: float | None = None
    max_p95_increase: float | None = None
    shard: Shard | None = None
    #: ``--llm-changed-since``: the git ref; only cases a change since it can affect
    #: (and every golden case) run.
    changed_since: str | None = None
    update_status: bool = False
    #: Inconclusive cases are skipped (not counted) instead of failing the run.
    allow_inconclusive: bool = False


@dataclass(frozen=True)
class PromoteSettings:
    """The trace commands: ``--llm-inspect-trace`` and ``--promote-trace`` with its
    ``--promote-*`` companions, as given (paths relative to the invocation folder)."""

    inspect: tuple[str, ...] = ()
    known_good: str | None = None
    trace: str | None = None
    label: str | None = None
    golden: bool = False
    session: bool = False
    span_id: str | None = None
    trace_id: str | None = None
    checks: tuple[str, ...] = ()
    expected: str | None = None
    suggested: bool = False
    unverified: bool = False
    force: bool = False
    redact_patterns: tuple[str, ...] = ()
    logs: str | None = None
    template: str | None = None
    render: str | None = None
    target: str | None = None
    out_dir: str = DEFAULT_PROMOTE_DIR

    @property
    def wanted(self) -> bool:
        """True when the session is a trace command, not a test run."""
        return bool(self.inspect or self.trace)


DEFAULT_MONITORS = "monitors.yaml"
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class MonitorSettings:
    """``--llm-monitor`` and its companions (paths relative to the invocation folder;
    ``rules`` relative to the rootdir)."""

    paths: tuple[str, ...] = ()
    rules: str = DEFAULT_MONITORS
    sample: float = 1.0
    window_s: float = 3600.0
    history: str | None = None
    report: str | None = None
    report_md: str | None = None
    report_html: str | None = None

    @property
    def wanted(self) -> bool:
        return bool(self.paths)


def duration(text: str, name: str) -> float:
    """``"30m"``, ``"1h"``, ``"1d"``, ``"90s"`` -> seconds."""
    value, unit = text.strip()[:-1], text.strip()[-1:].lower()
    if unit not in _DURATION_UNITS:
        raise SettingsError(f"{name} {text!r}: write a number and a unit: 90s, 30m, 1h or 1d")
    seconds = number(value, float, name) * _DURATION_UNITS[unit]
    if seconds <= 0:
        raise SettingsError(f"{name} {text!r} must be longer than zero")
    return seconds


def rate(value: float | None, name: str) -> float | None:
    """A fraction between 0 and 1 (or None, not given)."""
    if value is not None and not 0.0 <= value <= 1.0:
        raise SettingsError(f"{name} must be between 0 and 1, got {value:g}")
    return value


def number(text: Any, kind: type, name: str) -> Any:
    """An ini value as an int/float; ``name`` is the ini key shown on error."""
    try:
        return kind(str(text).strip())
    except ValueError:
        raise SettingsError(f"{name} = {text!r} is not a valid {kind.__name__}") from None


def parse_label_rates(
    lines: list[str], source: str = "llm_regressions_label_min_pass_rate"
) -> tuple[tuple[str, float], ...]:
    """``["stale_policy = 0.9"]`` -> ``(("stale_policy", 0.9),)``; ``source`` names
    where the lines came from (the ini key, or a command-line flag) in errors."""
    rates = []
    for line in lines:
        label, sep, value = line.partition("=")
        if not sep:
            raise SettingsError(f"{source}: {line!r} is not 'label = rate'")
        parsed = number(value, float, source)
        rates.append((label.strip(), rate(parsed, label.strip())))
    return tuple(rates)
