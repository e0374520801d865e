"""What the plugin's hooks do for replay: each function is one hook's body.

Kept out of ``plugin.py`` so that module stays wiring only and cheap to import.
"""

from __future__ import annotations

import pytest

from llm_regressions.options import Settings, get_settings
from llm_regressions.replay import pins
from llm_regressions.replay.request import effective_model
from llm_regressions.replay.session import (
    PLUGIN_NAME,
    ReplaySession,
    is_xdist_controller,
    is_xdist_worker,
    replay_session,
)
from llm_regressions.replay.summary import LiveSummary

SUMMARY_PLUGIN = "llm-regressions-summary"

#: Warnings (message regex) litellm's own code raises while it imports and works, which
#: say nothing about the user's cases (pydantic building schemas of litellm's types).
THIRD_PARTY_NOISE = (
    r"Items? .* (is|are) using the .ReadOnly. qualifier",
    r"Pydantic serializer warnings",
)


def configure(config: pytest.Config, settings: Settings) -> None:
    """Create the session's replay state."""
    config.pluginmanager.register(ReplaySession(config, settings), PLUGIN_NAME)
    if not is_xdist_worker(config):
        from llm_regressions.promptreport import PromptSummary

        config.pluginmanager.register(LiveSummary(), SUMMARY_PLUGIN)
        config.pluginmanager.register(PromptSummary(), "llm-regressions-prompts")
    # Any mode may call a model (llm_judge does in recorded). These ini lines win over a
    # user's `filterwarnings = error` in pytest's collection and test phases.
    for message in THIRD_PARTY_NOISE:
        config.addinivalue_line("filterwarnings", f"ignore:{message}:UserWarning")


def start_session(config: pytest.Config, settings: Settings) -> None:
    """Start importing litellm in the background while pytest collects (live replay).

    Here, not in ``pytest_configure``: pytest (8.x) runs that hook inside a
    ``catch_warnings`` block, which would drop the process-wide filter below as soon as
    it returns. The filter keeps :data:`THIRD_PARTY_NOISE` quiet while the import runs
    outside pytest's collection and test phases (it would print to stderr there)."""
    if not settings.calls_models or config.option.collectonly or is_xdist_controller(config):
        return
    import warnings

    from llm_regressions.replay import client

    for message in THIRD_PARTY_NOISE:
        warnings.filterwarnings("ignore", message=message, category=UserWarning)
    client.begin_import()


def start_run(session: pytest.Session) -> None:
    """Queue every selected case's calls (xdist workers queue as tests arrive)."""
    config = session.config
    if is_xdist_worker(config) or config.option.collectonly:
        return
    if session.testsfailed and not config.option.continue_on_collection_errors:
        return  # pytest is about to stop on collection errors: send nothing
    replay_session(config).submit(session.items)


def before_test(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if is_xdist_worker(item.config):
        replay = replay_session(item.config)
        replay.submit(replay.upcoming(item.session, item, nextitem))


def after_test(item: pytest.Item) -> None:
    replay_session(item.config).stop_if_stopping(item.session)


def warn_unpinned(config: pytest.Config, items: list[pytest.Item]) -> None:
    """One warning per unpinned model name, on the first case using it."""
    from llm_regressions.items import CaseItem

    settings = get_settings(config)
    if settings.strict_pins:
        return  # each such case errors instead, with the same message
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, CaseItem):
            continue
        model = effective_model(item.loaded.case, settings)
        if model not in seen and not pins.is_pinned(model, settings.unpinned_ok):
            seen.add(model)
            item.warn(pins.UnpinnedModelWarning(pins.unpinned_message(model)))


def header(config: pytest.Config) -> list[str]:
    s = get_settings(config)
    line = f"llm-regressions: replay {s.replay}"
    if s.calls_models:
        line += f", concurrency {s.concurrency}, timeout {s.timeout:g}s, retries {s.retries}"
        if s.model_override:
            line += f", every case on {s.model_override} (--llm-model)"
        if s.max_cost is not None:
            line += f", budget ${s.max_cost:g}"
    return [line]


def finish(config: pytest.Config) -> None:
    from llm_regressions.replay import client

    replay = replay_session(config)
    if replay is not None:
        replay.close()
    client.finish_import()
