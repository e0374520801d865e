"""Every command-line flag and ini key of the plugin, and how they resolve into settings.

All options are declared here, from the tables below, in the one ``--help`` group.
Precedence is command line > ini > default, resolved here and nowhere else. The
settings types themselves (:mod:`llm_regressions.settings`) know nothing of pytest: a
bad value raises ``SettingsError`` there and becomes ``pytest.UsageError`` here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from llm_regressions.settings import (
    DEFAULT_CACHE_DIR,
    DEFAULT_CONCURRENCY,
    DEFAULT_DIAGNOSE_RERUNS,
    DEFAULT_DIAGNOSE_VARIANT_RUNS,
    DEFAULT_GOLDEN_MIN,
    DEFAULT_MONITORS,
    DEFAULT_PATHS,
    DEFAULT_PROMOTE_DIR,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    PROMPT_MODES,
    REPLAY_MODES,
    GateSettings,
    MonitorSettings,
    PromoteSettings,
    Settings,
    SettingsError,
    Shard,
    duration,
    number,
    parse_label_rates,
    rate,
)

SETTINGS_KEY = pytest.StashKey[Settings]()
GATE_SETTINGS_KEY = pytest.StashKey[GateSettings]()
GROUP = ("llm-regressions", "LLM regression cases (pytest-llm-regressions)")


@dataclass(frozen=True)
class Flag:
    """One command-line option: its name, ``addoption`` keywords, and the master flags
    it is a companion of (given without any of them it would do nothing: refused)."""

    name: str
    help: str
    options: dict[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()

    @property
    def dest(self) -> str:
        return self.options.get("dest") or self.name.lstrip("-").replace("-", "_")


def _companions(flags: tuple[Flag, ...], *masters: str) -> tuple[Flag, ...]:
    return tuple(replace(f, needs=masters) for f in flags)


def _flag(name: str, help: str, **options: Any) -> Flag:
    return Flag(name, help, options)


def _count(name: str, metavar: str, help: str) -> Flag:
    return _flag(name, help, type=int, default=None, metavar=metavar)


MASTER = _flag(
    "--llm-regressions",
    "Collect the YAML regression cases (ini llm_regressions_paths, default "
    "'regressions/') and run them. Without this flag the plugin collects nothing.",
    action="store_true",
)
RUN_FLAGS = (
    MASTER,
    *_companions(
        (
            _flag(
                "--llm-replay",
                "How cases get an answer to score. live: call the pinned model (default); "
                "cached: reuse stored responses for identical requests; recorded: no model call, "
                "verify each case's checks FAIL on its observed output and PASS on its expected "
                "one (ini llm_regressions_replay).",
                choices=REPLAY_MODES,
                default=None,
            ),
            _flag(
                "--llm-prompt",
                "For cases with a prompt: section (template or render hook). current: send "
                "the prompt as the code renders it today (default; a pull request that edits a "
                "prompt is exercised); frozen: send the recorded request.messages (model "
                "upgrades). Either way the report shows how the two differ (ini "
                "llm_regressions_prompt).",
                choices=PROMPT_MODES,
                default=None,
            ),
        ),
        "llm_regressions",
    ),
)

REPLAY_FLAGS = _companions(
    (
        _count(
            "--llm-concurrency",
            "N",
            "Model calls in flight at once, per process (ini llm_regressions_concurrency, "
            f"default {DEFAULT_CONCURRENCY}). Results are still reported in pytest's order.",
        ),
        _flag(
            "--llm-model",
            "Replay every case on this litellm model instead of its pinned one "
            "(a model-upgrade check); reports name both models.",
            default=None,
            metavar="NAME",
        ),
        _flag(
            "--llm-api-base",
            "Send every model call (replays and llm_judge) to this OpenAI-compatible "
            "endpoint, e.g. a local vLLM or a proxy (ini llm_regressions_api_base). A case's "
            "own model.params.api_base still wins.",
            default=None,
            metavar="URL",
        ),
        _flag(
            "--llm-strict-pins",
            "Make a model name without a snapshot/version (gpt-4o instead of "
            "gpt-4o-2024-08-06) an error instead of a warning. Names matching ini "
            "llm_regressions_unpinned_models are exempt.",
            action="store_true",
            default=False,
        ),
        _count(
            "--llm-repeat",
            "N",
            "Run every case N times (overrides each case's repeat:); the verdict is the "
            "pass rate against the case's min_pass_rate.",
        ),
        _count(
            "--llm-repeat-max",
            "N",
            "Adaptive repeats for every case: after its own runs (or --llm-repeat's), run a "
            "case whose verdict is still inconclusive again, up to N runs in all, stopping as "
            "soon as it passes or fails. Like 'repeat: {min: 2, max: N}' in a case file.",
        ),
        _count(
            "--llm-judge-repeat",
            "K",
            "Ask the llm_judge model K times per answer and require agreement; a judge "
            "that disagrees with itself is an error ('unstable judge'), not a regression "
            "(default 1).",
        ),
        _flag(
            "--llm-timeout",
            f"Timeout of one model call attempt (ini llm_regressions_timeout, default "
            f"{DEFAULT_TIMEOUT:g}).",
            type=float,
            default=None,
            metavar="SECONDS",
        ),
        _count(
            "--llm-retries",
            "N",
            "Retries of a failed model call, by litellm's rule (408, 409, 429, 5xx and "
            "dropped connections; never another 4xx): after a 429 with its backoff "
            "(retry-after when given), at once after the others (ini "
            f"llm_regressions_retries, default {DEFAULT_RETRIES}).",
        ),
        _flag(
            "--llm-max-cost",
            "Budget for the session in USD (litellm's cost table): a run whose estimate "
            "(see --llm-estimate) is over it refuses to start; once spent, no new call is "
            "sent and the cases left are skipped with the reason (ini "
            "llm_regressions_max_cost).",
            type=float,
            default=None,
            metavar="USD",
        ),
        _flag(
            "--llm-max-cost-partial",
            "With a budget (--llm-max-cost or its ini) the estimate does not fit: run the "
            "cases that fit, golden cases first, and skip the rest as not sent (they count "
            "as not passed) instead of refusing to start.",
            action="store_true",
            default=False,
        ),
        _flag(
            "--llm-estimate",
            "Send nothing: print the calls the run would make (repeats and llm_judge calls "
            "included; adaptive repeats at their minimum, with what they may add) and their "
            "expected cost per model, from litellm's price table and each case's recorded "
            "token usage; in cached mode, calls the cache answers are not counted.",
            action="store_true",
            default=False,
        ),
    ),
    "llm_regressions",
)

DIAGNOSE_FLAG = _flag(
    "--llm-diagnose",
    "After the verdict of every failing case (and every 'status: open' case), look for "
    "the cause: rerun its exact request at temperature 0 (is the failure stable?), rerun "
    "it without each prompt element in turn (system message, few-shot examples, retrieved "
    "context, unused tools, each template variable), compare open and closed book, check "
    "the request and answer against the model's limits, and say the likely cause in one "
    "line. Live or cached runs; the calls go through the same engine and budget. Never "
    "changes a verdict.",
    action="store_true",
    default=False,
)
DIAGNOSE_FLAGS = (
    replace(DIAGNOSE_FLAG, needs=("llm_regressions",)),
    *_companions(
        (
            _count(
                "--llm-diagnose-reruns",
                "N",
                "With --llm-diagnose: reruns of the exact request that measure how often "
                f"the failure reproduces (default {DEFAULT_DIAGNOSE_RERUNS}).",
            ),
            _count(
                "--llm-diagnose-variant-runs",
                "N",
                "With --llm-diagnose: runs of each variant with one element removed "
                f"(default {DEFAULT_DIAGNOSE_VARIANT_RUNS}).",
            ),
        ),
        "llm_diagnose",
    ),
)

GATE_FLAGS = _companions(
    (
        _flag(
            "--llm-golden",
            "Deploy gate: run golden cases only; every golden 'status: fixed' case must "
            "pass and the golden set must hold at least ini llm_regressions_golden_min cases "
            f"(default {DEFAULT_GOLDEN_MIN}). Open golden cases are reported, not gated.",
            action="store_true",
            default=False,
        ),
        _flag(
            "--llm-min-pass-rate",
            "Decide the exit status by the pass rate (0-1) of the selected 'status: fixed' "
            "cases instead of by any failure (failures are still reported). Errors and cases "
            "left unsent (--llm-max-cost) count as not passed; other skipped and open cases "
            "are left out. Per-label minimums: ini "
            "llm_regressions_label_min_pass_rate.",
            type=float,
            default=None,
            metavar="RATE",
        ),
        _flag(
            "--llm-report",
            "Write the JSON report (format v1: every run of every case, aggregates, "
            "plugin version, git commit) to FILE, atomically. It is what --llm-baseline, "
            "'python -m llm_regressions report merge' and '... gate' read.",
            default=None,
            metavar="FILE",
        ),
        _flag(
            "--llm-report-md",
            "Write a short Markdown summary (regressions first) to FILE. It is also "
            "appended to $GITHUB_STEP_SUMMARY whenever that variable is set.",
            default=None,
            metavar="FILE",
        ),
        _flag(
            "--llm-report-html",
            "Write the HTML report to FILE, atomically: one self-contained offline page "
            "(summary, gate, charts, the baseline comparison, every case with its runs, "
            "checks and diffs; filters by label, verdict, golden and diff bucket).",
            default=None,
            metavar="FILE",
        ),
        _flag(
            "--llm-baseline",
            "Compare with an earlier --llm-report: a case that passed there and fails "
            "now is a regression and fails the session; fixed, new, removed and newly flaky "
            "cases and latency/cost changes are listed.",
            default=None,
            metavar="FILE",
        ),
        _flag(
            "--llm-baseline-max-cost-increase",
            "Fail when the mean cost per case grew by more than FRACTION over the "
            "baseline (0.2 = 20%%).",
            type=float,
            default=None,
            metavar="FRACTION",
        ),
        _flag(
            "--llm-baseline-max-p95-increase",
            "Fail when the p95 latency grew by more than FRACTION over the baseline.",
            type=float,
            default=None,
            metavar="FRACTION",
        ),
        _flag(
            "--llm-shard",
            "Run shard K of N (1-based): a case belongs to one shard by a hash of its id, "
            "the same on every machine, so N jobs partition the set.",
            default=None,
            metavar="K/N",
        ),
        _flag(
            "--llm-changed-since",
            "Run only the cases a change since git REF (a branch, tag or commit, e.g. "
            "origin/main) can affect, plus every golden case: those whose case file "
            "changed (a new case, a new pinned model), whose prompt template changed, or "
            "whose render hook, app target or python check module (or a project module it "
            "imports) changed. Changes are REF against the working tree, uncommitted and "
            "untracked files included; the summary says why each case ran and how many "
            "calls the others saved. Needs git and REF in the checkout (a usage error "
            "otherwise, never a run of everything).",
            default=None,
            metavar="REF",
        ),
        _flag(
            "--llm-allow-inconclusive",
            "Do not fail the run on inconclusive cases (runs too few to tell a pass from a "
            "regression): skip them instead, and leave them out of pass rates and gates. "
            "They are still listed, with 'run more repeats' as the fix.",
            action="store_true",
            default=False,
        ),
        _flag(
            "--llm-update-status",
            "After a live run, rewrite 'status: open' to 'status: fixed' in the files of "
            "open cases that passed every run (one line changed per case) and list them. "
            "Refused under -n. Ini llm_regressions_update_status = true turns it on by "
            "default, except when $CI is set: in CI only the explicit flag does.",
            action="store_true",
            default=False,
        ),
    ),
    "llm_regressions",
)

TRACE_FLAGS = (
    _flag(
        "--llm-inspect-trace",
        "Print FILE's span tree in time order (kind, latency, tokens, status, model, "
        "finish reason), the failure signals found and the first suspect span, then exit "
        "without running tests. Reads OTLP/JSON (OpenLLMetry, OpenInference, GenAI, "
        "Langfuse, litellm OTel), litellm logging payloads, LangSmith runs, Langfuse API "
        "observations, console exporter output and the plugin's own JSON. Several files "
        "or a folder (its .json/.jsonl files, recursively): the failing LLM spans of all "
        "of them grouped into failure clusters, one representative each.",
        action="extend",
        nargs="+",
        default=None,
        metavar="FILE|DIR",
    ),
    *_companions(
        (
            _flag(
                "--llm-known-good",
                "With --llm-inspect-trace BAD: compare BAD with this known-good trace of "
                "the same workflow, step by step (spans aligned by kind and name), and "
                "mark the first span that got the same input and gave a different output.",
                metavar="FILE",
            ),
        ),
        "llm_inspect_trace",
    ),
    _flag(
        "--promote-trace",
        "Turn the failing LLM span of trace FILE into a regression case under "
        "regressions/<label>/ (ini llm_regressions_promote_dir), then exit. Needs "
        "--promote-label and at least one check (--promote-check or --promote-suggested). "
        "Secrets are redacted and the checks must fail on the recorded output before "
        "anything is written.",
        metavar="FILE",
    ),
    *_companions(
        (
            _flag(
                "--promote-label",
                "With --promote-trace (required): the failure mode in snake_case, e.g. "
                "stale_policy_retrieval. Also the folder the case is written to.",
                metavar="LABEL",
            ),
            _flag(
                "--promote-golden",
                "With --promote-trace: mark the case golden (it gates deploys).",
                action="store_true",
            ),
            _flag(
                "--promote-session",
                "With --promote-trace: promote the whole agent run (every LLM and tool span "
                "of the trace, in order, with the tool results) into one session case, "
                "replayed step by step (docs/sessions.md).",
                action="store_true",
            ),
            _flag(
                "--promote-span",
                "Promote this LLM span (hex id, as --llm-inspect-trace shows it) instead of "
                "the one the failure signals point at.",
                metavar="ID",
            ),
            _flag(
                "--promote-trace-id",
                "Pick one trace from a file that holds several.",
                metavar="ID",
            ),
            _flag(
                "--promote-check",
                "A check for the case, as YAML: --promote-check 'not_contains: 30 days'. "
                "Repeatable.",
                action="append",
                default=[],
                metavar="CHECK",
                dest="promote_checks",
            ),
            _flag(
                "--promote-expected",
                "A known-good answer (the checks must pass on it). --promote-expected=@FILE "
                "reads it from FILE (write the '=': pytest itself expands a separate @FILE "
                "argument, one argument per line).",
                metavar="TEXT|@FILE",
            ),
            _flag(
                "--promote-suggested",
                "Add the checks suggested by the failure signals (json_valid for malformed "
                "JSON, finish_reason: stop for truncation, tool_not_called for a loop...).",
                action="store_true",
            ),
            _flag(
                "--promote-unverified",
                "Write the case even when its checks do not fail on the recorded output "
                "(tagged 'unverified').",
                action="store_true",
            ),
            _flag(
                "--promote-force",
                "Overwrite an existing case file and allow promoting the same span again "
                "(the replaced case's status and golden flag are kept, and said).",
                action="store_true",
            ),
        ),
        "promote_trace",
    ),
    *_companions(
        (
            _flag(
                "--promote-redact-pattern",
                "Also redact matches of REGEX (repeatable), in the case and in what "
                "--promote-trace and --llm-inspect-trace print; API keys, tokens, private "
                "keys, Authorization headers, passwords in URLs and secret-named fields "
                "always are.",
                action="append",
                default=[],
                metavar="REGEX",
                dest="promote_redact_patterns",
            ),
            _flag(
                "--promote-logs",
                "OTLP/JSON logs file whose records carry the message content (GenAI "
                "conventions in event mode), joined to the spans by trace and span id. Also "
                "used by --llm-inspect-trace.",
                metavar="FILE",
            ),
        ),
        "promote_trace",
        "llm_inspect_trace",
    ),
    *_companions(
        (
            _flag(
                "--promote-template",
                "With --promote-trace: replay the case on the current prompt template PATH "
                "(a YAML file of chat messages with {{variable}} slots). The variables are taken "
                "from the trace's prompt-assembly span input; the case gets a prompt: section, "
                "and any difference between the rendering and the recorded messages is shown.",
                metavar="PATH",
            ),
            _flag(
                "--promote-render",
                "With --promote-trace: like --promote-template, for the app's own prompt "
                "function (called with the recorded variables as keyword arguments).",
                metavar="MODULE:FUNCTION",
            ),
            _flag(
                "--promote-target",
                "With --promote-trace: replay the case by calling the app's entry point "
                "with the root span's recorded input (target: and input: sections); its litellm "
                "calls are captured and checked.",
                metavar="MODULE:FUNCTION",
            ),
        ),
        "promote_trace",
    ),
)

MONITOR_FLAGS = (
    _flag(
        "--llm-monitor",
        "Score production traces (files or folders, every format --promote-trace reads) "
        "with the rules of monitors.yaml (ini llm_regressions_monitors): metrics per time "
        "window and one test per alert; failing spans are listed with their promote "
        "command. Runs instead of the tests.",
        nargs="+",
        metavar="PATH",
    ),
    *_companions(
        (
            _flag(
                "--llm-monitor-rules",
                "The monitor rules file, instead of ini llm_regressions_monitors "
                f"(default {DEFAULT_MONITORS} in the rootdir).",
                metavar="FILE",
            ),
            _flag(
                "--llm-monitor-sample",
                "Score this share (0-1) of the traces, chosen by trace id: the same traces "
                "on every run.",
                type=float,
                metavar="RATE",
            ),
            _flag(
                "--llm-monitor-window",
                "Length of a metrics window, cut from the span timestamps: 90s, 30m, 1h "
                "(default) or 1d.",
                metavar="DURATION",
            ),
            _flag(
                "--llm-monitor-history",
                "JSON lines file of earlier runs' windows: read for baselines, then this "
                "run's windows are appended.",
                metavar="FILE",
            ),
        ),
        "llm_monitor",
    ),
)

#: ini keys: (name, help, addini keywords).
INI_KEYS = (
    (
        "llm_regressions_paths",
        "Folders (relative to the rootdir) holding regression case files.",
        {"type": "args", "default": list(DEFAULT_PATHS)},
    ),
    (
        "llm_regressions_replay",
        "Default replay mode: live, cached or recorded.",
        {"default": "live"},
    ),
    (
        "llm_regressions_prompt",
        "Default for --llm-prompt: current or frozen.",
        {"default": "current"},
    ),
    (
        "llm_regressions_concurrency",
        "Model calls in flight at once, per process (--llm-concurrency wins).",
        {"default": str(DEFAULT_CONCURRENCY)},
    ),
    (
        "llm_regressions_api_base",
        "OpenAI-compatible endpoint for every model call (--llm-api-base wins).",
        {"default": ""},
    ),
    (
        "llm_regressions_unpinned_models",
        "Glob patterns of model names that need no snapshot pin, e.g. 'ollama/*' for local models.",
        {"type": "args", "default": []},
    ),
    (
        "llm_regressions_judge_model",
        "Pinned model for llm_judge checks that do not name one.",
        {"default": ""},
    ),
    (
        "llm_regressions_timeout",
        "Seconds one model call attempt may take (--llm-timeout wins).",
        {"default": str(DEFAULT_TIMEOUT)},
    ),
    (
        "llm_regressions_retries",
        "Retries of a failed model call (--llm-retries wins).",
        {"default": str(DEFAULT_RETRIES)},
    ),
    (
        "llm_regressions_max_cost",
        "Session budget in US dollars; empty means no limit (--llm-max-cost wins).",
        {"default": ""},
    ),
    (
        "llm_regressions_cache_dir",
        "Folder of the --llm-replay cached response store and of the parsed case files "
        "kept between runs, relative to the rootdir.",
        {"default": DEFAULT_CACHE_DIR},
    ),
    (
        "llm_regressions_golden_min",
        "Fewest golden cases --llm-golden accepts.",
        {"default": str(DEFAULT_GOLDEN_MIN)},
    ),
    (
        "llm_regressions_label_min_pass_rate",
        "Per-label minimum pass rates, one 'label = rate' a line, checked whenever "
        "--llm-min-pass-rate is given.",
        {"type": "linelist", "default": []},
    ),
    (
        "llm_regressions_update_status",
        "Default for --llm-update-status outside CI.",
        {"type": "bool", "default": False},
    ),
    (
        "llm_regressions_promote_dir",
        "Folder (relative to the rootdir) --promote-trace writes cases into.",
        {"default": DEFAULT_PROMOTE_DIR},
    ),
    (
        "llm_regressions_monitors",
        "The --llm-monitor rules file, relative to the rootdir (--llm-monitor-rules wins).",
        {"default": DEFAULT_MONITORS},
    ),
)


def add_options(parser: pytest.Parser) -> None:
    """Declare every flag and ini key, all under one ``--help`` group."""
    group = parser.getgroup(*GROUP)
    for flag in _all_flags():
        group.addoption(flag.name, **{"dest": flag.dest, **flag.options}, help=flag.help)
    for name, help_text, options in INI_KEYS:
        parser.addini(name, help=help_text, **options)


#: Companions of --llm-regressions that also go with --llm-monitor: the reports, and the
#: budget and call settings of its llm_judge rules (the other replay flags do not).
MONITOR_COMPANIONS = (
    "--llm-report",
    "--llm-report-md",
    "--llm-report-html",
    "--llm-max-cost",
    "--llm-api-base",
    "--llm-judge-repeat",
    "--llm-timeout",
    "--llm-retries",
    "--llm-concurrency",
)


def _all_flags() -> tuple[Flag, ...]:
    flags = (*RUN_FLAGS, *REPLAY_FLAGS, *DIAGNOSE_FLAGS, *GATE_FLAGS)
    shared = tuple(
        replace(f, needs=(*f.needs, "llm_monitor")) if f.name in MONITOR_COMPANIONS else f
        for f in flags
    )
    return (*shared, *TRACE_FLAGS, *MONITOR_FLAGS)


def check_companions(config: pytest.Config) -> None:
    """A companion flag given without its master flag would be silently ignored (a
    ``--llm-replay recorded`` without ``--llm-regressions`` runs the unit tests): refuse."""
    flags = {f.dest: f for f in _all_flags()}
    for flag in flags.values():
        if (
            flag.needs
            and _given(config, flag)
            and not any(_given(config, flags[master]) for master in flag.needs)
        ):
            masters = " or ".join(flags[master].name for master in flag.needs)
            raise pytest.UsageError(f"{flag.name} needs {masters}: without it, it does nothing")


def _given(config: pytest.Config, flag: Flag) -> bool:
    return config.getoption(flag.dest) not in (None, False, [])


def configure(config: pytest.Config) -> Settings:
    """Check the flags go together; resolve every settings object once, into
    ``config.stash``."""
    check_companions(config)
    with _usage_errors():
        settings = _settings(config)
        config.stash[SETTINGS_KEY] = settings
        if settings.enabled and settings.repeat_max and not settings.calls_models:
            raise SettingsError("--llm-repeat-max needs a live or cached run, not recorded")
        if settings.enabled and config.getoption("llm_diagnose") and not settings.calls_models:
            raise SettingsError(
                "--llm-diagnose reruns cases on their model: it needs a live or cached run, "
                "not recorded (recorded mode has no model to ask)"
            )
        _check_estimate(config, settings)
        if settings.enabled:
            config.stash[GATE_SETTINGS_KEY] = _gate_settings(config, settings)
    return settings


@contextlib.contextmanager
def _usage_errors() -> Iterator[None]:
    try:
        yield
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None


#: What a config that never went through ``pytest_configure`` gets (built once: every
#: hook asks, once per test, so a new default each time showed up in profiles).
_DEFAULT_SETTINGS = Settings()
_DEFAULT_GATE_SETTINGS = GateSettings()


def get_settings(config: pytest.Config) -> Settings:
    return config.stash.get(SETTINGS_KEY, _DEFAULT_SETTINGS)


def get_gate_settings(config: pytest.Config) -> GateSettings:
    return config.stash.get(GATE_SETTINGS_KEY, _DEFAULT_GATE_SETTINGS)


def _choice(config: pytest.Config, dest: str, ini: str, choices: tuple[str, ...]) -> str:
    value = config.getoption(dest) or config.getini(ini)
    if value not in choices:
        raise SettingsError(f"{ini} = {value!r}: choose one of {', '.join(choices)}")
    return value


def _settings(config: pytest.Config) -> Settings:
    opt, ini = config.getoption, config.getini
    return Settings(
        enabled=bool(opt("llm_regressions")),
        replay=_choice(config, "llm_replay", "llm_regressions_replay", REPLAY_MODES),
        paths=tuple(ini("llm_regressions_paths")) or DEFAULT_PATHS,
        concurrency=_pick(
            config, "llm_concurrency", "llm_regressions_concurrency", int, 1, DEFAULT_CONCURRENCY
        ),
        model_override=opt("llm_model") or None,
        api_base=_api_base(opt("llm_api_base") or ini("llm_regressions_api_base") or None),
        strict_pins=bool(opt("llm_strict_pins")),
        unpinned_ok=tuple(ini("llm_regressions_unpinned_models")),
        repeat=_positive(opt("llm_repeat"), "--llm-repeat"),
        repeat_max=_repeat_max(config),
        judge_repeat=_positive(opt("llm_judge_repeat"), "--llm-judge-repeat") or 1,
        judge_model=ini("llm_regressions_judge_model") or None,
        timeout=_pick(
            config, "llm_timeout", "llm_regressions_timeout", float, 0.001, DEFAULT_TIMEOUT
        ),
        retries=_pick(config, "llm_retries", "llm_regressions_retries", int, 0, DEFAULT_RETRIES),
        max_cost=_pick(config, "llm_max_cost", "llm_regressions_max_cost", float, 0),
        max_cost_partial=bool(opt("llm_max_cost_partial")),
        estimate=bool(opt("llm_estimate")),
        cache_dir=ini("llm_regressions_cache_dir") or DEFAULT_CACHE_DIR,
        prompt=_choice(config, "llm_prompt", "llm_regressions_prompt", PROMPT_MODES),
        **_diagnose_runs(config),
    )


def _diagnose_runs(config: pytest.Config) -> dict[str, int]:
    """--llm-diagnose's reruns and variant runs (0 and 0 without the flag)."""
    if not config.getoption("llm_diagnose"):
        return {}
    reruns = _positive(config.getoption("llm_diagnose_reruns"), "--llm-diagnose-reruns")
    runs = _positive(config.getoption("llm_diagnose_variant_runs"), "--llm-diagnose-variant-runs")
    return {
        "diagnose_reruns": reruns or DEFAULT_DIAGNOSE_RERUNS,
        "diagnose_variant_runs": runs or DEFAULT_DIAGNOSE_VARIANT_RUNS,
    }


def _api_base(url: str | None) -> str | None:
    """An endpoint without its scheme would reach litellm as a path and fail as a
    retried "server error": refuse it here, naming the fix."""
    if url is None or url.startswith(("http://", "https://")):
        return url
    raise SettingsError(
        f"--llm-api-base / llm_regressions_api_base {url!r} has no scheme: write "
        f"http://{url} (or https://)"
    )


def _check_estimate(config: pytest.Config, settings: Settings) -> None:
    if settings.max_cost_partial and settings.max_cost is None:
        raise SettingsError(
            "--llm-max-cost-partial needs a budget: --llm-max-cost USD or ini "
            "llm_regressions_max_cost"
        )
    if settings.estimate and getattr(config.option, "numprocesses", None):
        raise SettingsError(
            "--llm-estimate sends nothing, so it gains nothing from -n: run it with -n 0"
        )


def _repeat_max(config: pytest.Config) -> int | None:
    most = _positive(config.getoption("llm_repeat_max"), "--llm-repeat-max")
    if most is None:
        return None
    fewest = config.getoption("llm_repeat")
    if fewest is not None and most < fewest:
        raise SettingsError(f"--llm-repeat-max {most} is below --llm-repeat {fewest}")
    return most


def _positive(value: int | None, flag: str) -> int | None:
    if value is not None and value < 1:
        raise SettingsError(f"{flag} must be 1 or more, got {value}")
    return value


def _pick(
    config: pytest.Config, dest: str, ini: str, kind: type, minimum: float, default: Any = None
) -> Any:
    """Command line > ini > ``default``; an empty ini value means 'not set'."""
    value = config.getoption(dest)
    if value is None:
        text = str(config.getini(ini)).strip()
        if not text:
            return default
        value = number(text, kind, ini)
    if value < minimum:
        raise SettingsError(f"{ini} / --{dest.replace('_', '-')} must be >= {minimum:g}")
    return value


def _gate_settings(config: pytest.Config, settings: Settings) -> GateSettings:
    opt = config.getoption
    shard = opt("llm_shard")
    gate = GateSettings(
        golden=bool(opt("llm_golden")),
        golden_min=number(
            config.getini("llm_regressions_golden_min"), int, "llm_regressions_golden_min"
        ),
        min_pass_rate=rate(opt("llm_min_pass_rate"), "--llm-min-pass-rate"),
        label_min_pass_rate=parse_label_rates(config.getini("llm_regressions_label_min_pass_rate")),
        report=opt("llm_report"),
        report_md=opt("llm_report_md"),
        report_html=opt("llm_report_html"),
        baseline=opt("llm_baseline"),
        max_cost_increase=opt("llm_baseline_max_cost_increase"),
        max_p95_increase=opt("llm_baseline_max_p95_increase"),
        shard=Shard.parse(shard) if shard else None,
        changed_since=_changed_since(opt("llm_changed_since")),
        update_status=_update_status(config),
        allow_inconclusive=bool(opt("llm_allow_inconclusive")),
    )
    if gate.update_status and not settings.calls_models:
        raise SettingsError("--llm-update-status needs a live or cached run, not recorded")
    return gate


def _changed_since(ref: str | None) -> str | None:
    if ref is not None and not ref.strip():
        raise SettingsError("--llm-changed-since needs a git ref, e.g. origin/main")
    return ref.strip() if ref is not None else None


def _update_status(config: pytest.Config) -> bool:
    """The flag always counts; the ini default only outside CI, so a shared config
    never makes CI jobs edit their checkout. Never under -n: rewriting case files is a
    deliberate local step, not a side effect of a parallel (CI-style) run."""
    wanted = bool(config.getoption("llm_update_status")) or (
        bool(config.getini("llm_regressions_update_status")) and not os.environ.get("CI")
    )
    if wanted and getattr(config.option, "numprocesses", None):
        raise SettingsError(
            "--llm-update-status is refused under -n: run the live set without xdist "
            "to update case files"
        )
    return wanted


def promote_settings(config: pytest.Config) -> PromoteSettings:
    """The trace commands' settings. Read in ``pytest_cmdline_main``, which runs before
    ``pytest_configure`` (so never from the stash)."""
    opt = config.getoption
    return PromoteSettings(
        inspect=tuple(opt("llm_inspect_trace") or ()),
        known_good=opt("llm_known_good"),
        trace=opt("promote_trace"),
        label=opt("promote_label"),
        golden=bool(opt("promote_golden")),
        session=bool(opt("promote_session")),
        span_id=opt("promote_span"),
        trace_id=opt("promote_trace_id"),
        checks=tuple(opt("promote_checks")),
        expected=opt("promote_expected"),
        suggested=bool(opt("promote_suggested")),
        unverified=bool(opt("promote_unverified")),
        force=bool(opt("promote_force")),
        redact_patterns=tuple(opt("promote_redact_patterns")),
        logs=opt("promote_logs"),
        template=opt("promote_template"),
        render=opt("promote_render"),
        target=opt("promote_target"),
        out_dir=config.getini("llm_regressions_promote_dir") or DEFAULT_PROMOTE_DIR,
    )


def monitor_settings(config: pytest.Config) -> MonitorSettings:
    """The ``--llm-monitor`` settings; refuses a monitor run mixed with a case run."""
    opt = config.getoption
    paths = tuple(opt("llm_monitor") or ())
    if not paths:
        return MonitorSettings()
    with _usage_errors():
        if opt("llm_regressions"):
            raise SettingsError(
                "--llm-monitor runs instead of the cases: run --llm-regressions separately"
            )
        if getattr(config.option, "numprocesses", None):
            raise SettingsError(
                "--llm-monitor reads the logs once, in one process: run it with -n 0"
            )
        window = opt("llm_monitor_window")
        return MonitorSettings(
            paths=paths,
            rules=opt("llm_monitor_rules") or config.getini("llm_regressions_monitors"),
            sample=_sample(opt("llm_monitor_sample")),
            window_s=duration(window, "--llm-monitor-window") if window else 3600.0,
            history=opt("llm_monitor_history"),
            report=opt("llm_report"),
            report_md=opt("llm_report_md"),
            report_html=opt("llm_report_html"),
        )


def _sample(value: float | None) -> float:
    if value is None:
        return 1.0
    if not 0 < value <= 1:
        raise SettingsError(f"--llm-monitor-sample must be above 0 and at most 1, got {value:g}")
    return value
