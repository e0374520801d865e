"""Command-line and ini options: declared in one group, resolved into :class:`Settings`.

Precedence is command line > ini > default, resolved here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

REPLAY_MODES = ("live", "cached", "recorded")
PROMPT_MODES = ("current", "frozen")
DEFAULT_PATHS = ["regressions"]
DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 2
DEFAULT_CACHE_DIR = ".llm_regressions_cache"

SETTINGS_KEY = pytest.StashKey["Settings"]()


def option_group(parser: pytest.Parser) -> pytest.OptionGroup:
    """The one ``--help`` group every option of the plugin is declared in."""
    return parser.getgroup("llm-regressions", "LLM regression cases (pytest-llm-regressions)")


def add_options(parser: pytest.Parser) -> None:
    group = option_group(parser)
    group.addoption(
        "--llm-regressions",
        action="store_true",
        dest="llm_regressions",
        help="Collect the YAML regression cases (ini llm_regressions_paths, default "
        "'regressions/') and run them. Without this flag the plugin collects nothing.",
    )
    group.addoption(
        "--llm-replay",
        choices=REPLAY_MODES,
        default=None,
        dest="llm_replay",
        help="How cases get an answer to score. live: call the pinned model (default); "
        "cached: reuse stored responses for identical requests; recorded: no model call, "
        "verify each case's checks FAIL on its observed output and PASS on its expected "
        "one (ini llm_regressions_replay).",
    )
    group.addoption(
        "--llm-prompt",
        choices=PROMPT_MODES,
        default=None,
        dest="llm_prompt",
        help="For cases with a prompt: section (template or render hook). current: send "
        "the prompt as the code renders it today (default; a pull request that edits a "
        "prompt is exercised); frozen: send the recorded request.messages (model "
        "upgrades). Either way the report shows how the two differ (ini "
        "llm_regressions_prompt).",
    )
    _add_replay_options(group)
    _add_replay_ini(parser)
    parser.addini(
        "llm_regressions_paths",
        type="args",
        default=DEFAULT_PATHS,
        help="Folders (relative to the rootdir) holding regression case files.",
    )
    parser.addini(
        "llm_regressions_replay",
        default="live",
        help="Default replay mode: live, cached or recorded.",
    )
    parser.addini(
        "llm_regressions_prompt",
        default="current",
        help="Default for --llm-prompt: current or frozen.",
    )


def _add_replay_options(group: pytest.OptionGroup) -> None:
    """Options of live and cached replay: where calls go, how many, how often, how dear."""
    group.addoption(
        "--llm-concurrency",
        type=int,
        default=None,
        metavar="N",
        help="Model calls in flight at once, per process (ini llm_regressions_concurrency, "
        f"default {DEFAULT_CONCURRENCY}). Results are still reported in pytest's order.",
    )
    group.addoption(
        "--llm-model",
        default=None,
        metavar="NAME",
        help="Replay every case on this litellm model instead of its pinned one "
        "(a model-upgrade check); reports name both models.",
    )
    group.addoption(
        "--llm-api-base",
        default=None,
        metavar="URL",
        help="Send every model call (replays and llm_judge) to this OpenAI-compatible "
        "endpoint, e.g. a local vLLM or a proxy (ini llm_regressions_api_base). A case's "
        "own model.params.api_base still wins.",
    )
    group.addoption(
        "--llm-strict-pins",
        action="store_true",
        default=False,
        help="Make a model name without a snapshot/version (gpt-4o instead of "
        "gpt-4o-2024-08-06) an error instead of a warning. Names matching ini "
        "llm_regressions_unpinned_models are exempt.",
    )
    group.addoption(
        "--llm-repeat",
        type=int,
        default=None,
        metavar="N",
        help="Run every case N times (overrides each case's repeat:); the verdict is the "
        "pass rate against the case's min_pass_rate.",
    )
    group.addoption(
        "--llm-judge-repeat",
        type=int,
        default=None,
        metavar="K",
        help="Ask the llm_judge model K times per answer and require agreement; a judge "
        "that disagrees with itself is an error ('unstable judge'), not a regression "
        "(default 1).",
    )
    group.addoption(
        "--llm-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help=f"Timeout of one model call attempt (ini llm_regressions_timeout, default "
        f"{DEFAULT_TIMEOUT:g}).",
    )
    group.addoption(
        "--llm-retries",
        type=int,
        default=None,
        metavar="N",
        help="Retries of a failed model call, done by litellm: with exponential backoff "
        "after a 429, at once after other failures (ini llm_regressions_retries, "
        f"default {DEFAULT_RETRIES}).",
    )
    group.addoption(
        "--llm-max-cost",
        type=float,
        default=None,
        metavar="USD",
        help="Stop sending new model calls once this session has spent USD dollars "
        "(litellm's cost table); cases left unsent are skipped with the reason "
        "(ini llm_regressions_max_cost).",
    )


def _add_replay_ini(parser: pytest.Parser) -> None:
    parser.addini(
        "llm_regressions_concurrency",
        default=str(DEFAULT_CONCURRENCY),
        help="Model calls in flight at once, per process (--llm-concurrency wins).",
    )
    parser.addini(
        "llm_regressions_api_base",
        default="",
        help="OpenAI-compatible endpoint for every model call (--llm-api-base wins).",
    )
    parser.addini(
        "llm_regressions_unpinned_models",
        type="args",
        default=[],
        help="Glob patterns of model names that need no snapshot pin, e.g. 'ollama/*' "
        "for local models.",
    )
    parser.addini(
        "llm_regressions_judge_model",
        default="",
        help="Pinned model for llm_judge checks that do not name one.",
    )
    parser.addini(
        "llm_regressions_timeout",
        default=str(DEFAULT_TIMEOUT),
        help="Seconds one model call attempt may take (--llm-timeout wins).",
    )
    parser.addini(
        "llm_regressions_retries",
        default=str(DEFAULT_RETRIES),
        help="Retries of a failed model call (--llm-retries wins).",
    )
    parser.addini(
        "llm_regressions_max_cost",
        default="",
        help="Session budget in US dollars; empty means no limit (--llm-max-cost wins).",
    )
    parser.addini(
        "llm_regressions_cache_dir",
        default=DEFAULT_CACHE_DIR,
        help="Folder of the --llm-replay cached response store, relative to the rootdir.",
    )


@dataclass(frozen=True)
class Settings:
    """Everything the plugin needs to know about this session, resolved once."""

    enabled: bool = False
    replay: str = "live"
    paths: list[str] = field(default_factory=lambda: list(DEFAULT_PATHS))
    concurrency: int = DEFAULT_CONCURRENCY
    model_override: str | None = None
    api_base: str | None = None
    strict_pins: bool = False
    unpinned_ok: tuple[str, ...] = ()
    repeat: int | None = None
    judge_repeat: int = 1
    judge_model: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    retries: int = DEFAULT_RETRIES
    max_cost: float | None = None
    cache_dir: str = DEFAULT_CACHE_DIR
    prompt: str = "current"

    @property
    def calls_models(self) -> bool:
        """True when cases get their answers from a model (live or cached replay)."""
        return self.enabled and self.replay != "recorded"

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        replay = config.getoption("llm_replay") or config.getini("llm_regressions_replay")
        if replay not in REPLAY_MODES:
            raise pytest.UsageError(
                f"llm_regressions_replay = {replay!r}: choose one of {', '.join(REPLAY_MODES)}"
            )
        max_cost = _pick(config, "llm_max_cost", "llm_regressions_max_cost", float, 0)
        prompt = config.getoption("llm_prompt") or config.getini("llm_regressions_prompt")
        if prompt not in PROMPT_MODES:
            raise pytest.UsageError(
                f"llm_regressions_prompt = {prompt!r}: choose one of {', '.join(PROMPT_MODES)}"
            )
        return cls(
            enabled=bool(config.getoption("llm_regressions")),
            replay=replay,
            paths=list(config.getini("llm_regressions_paths")) or list(DEFAULT_PATHS),
            concurrency=_pick(
                config,
                "llm_concurrency",
                "llm_regressions_concurrency",
                int,
                1,
                DEFAULT_CONCURRENCY,
            ),
            model_override=config.getoption("llm_model") or None,
            api_base=config.getoption("llm_api_base")
            or config.getini("llm_regressions_api_base")
            or None,
            strict_pins=bool(config.getoption("llm_strict_pins")),
            unpinned_ok=tuple(config.getini("llm_regressions_unpinned_models")),
            repeat=_positive(config.getoption("llm_repeat"), "--llm-repeat"),
            judge_repeat=_positive(config.getoption("llm_judge_repeat"), "--llm-judge-repeat") or 1,
            judge_model=config.getini("llm_regressions_judge_model") or None,
            timeout=_pick(
                config, "llm_timeout", "llm_regressions_timeout", float, 0.001, DEFAULT_TIMEOUT
            ),
            retries=_pick(
                config, "llm_retries", "llm_regressions_retries", int, 0, DEFAULT_RETRIES
            ),
            max_cost=max_cost,
            cache_dir=config.getini("llm_regressions_cache_dir") or DEFAULT_CACHE_DIR,
            prompt=prompt,
        )


def _positive(value: int | None, flag: str) -> int | None:
    if value is not None and value < 1:
        raise pytest.UsageError(f"{flag} must be 1 or more, got {value}")
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
        try:
            value = kind(text)
        except ValueError:
            raise pytest.UsageError(f"{ini} = {text!r} is not a valid {kind.__name__}") from None
    if value < minimum:
        raise pytest.UsageError(f"{ini} / --{dest.replace('_', '-')} must be >= {minimum:g}")
    return value


def get_settings(config: pytest.Config) -> Settings:
    return config.stash.get(SETTINGS_KEY, Settings())
