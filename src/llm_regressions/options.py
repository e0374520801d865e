"""Command-line and ini options: declared in one group, resolved into :class:`Settings`.

Precedence is command line > ini > default, resolved here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

REPLAY_MODES = ("live", "cached", "recorded")
DEFAULT_PATHS = ["regressions"]

SETTINGS_KEY = pytest.StashKey["Settings"]()


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("llm-regressions", "LLM regression cases (pytest-llm-regressions)")
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


@dataclass(frozen=True)
class Settings:
    """Everything the plugin needs to know about this session, resolved once."""

    enabled: bool = False
    replay: str = "live"
    paths: list[str] = field(default_factory=lambda: list(DEFAULT_PATHS))

    @classmethod
    def from_config(cls, config: pytest.Config) -> Settings:
        replay = config.getoption("llm_replay") or config.getini("llm_regressions_replay")
        if replay not in REPLAY_MODES:
            raise pytest.UsageError(
                f"llm_regressions_replay = {replay!r}: choose one of {', '.join(REPLAY_MODES)}"
            )
        return cls(
            enabled=bool(config.getoption("llm_regressions")),
            replay=replay,
            paths=list(config.getini("llm_regressions_paths")) or list(DEFAULT_PATHS),
        )


def get_settings(config: pytest.Config) -> Settings:
    return config.stash.get(SETTINGS_KEY, Settings())
