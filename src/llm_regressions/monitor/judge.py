"""``llm_judge`` in monitor rules: allowed only under a budget (``--llm-max-cost``), its
calls sent through the replay engine like a case's judge calls (same concurrency,
retries, endpoint and budget). Spans whose judge call the spent budget stopped are not
scored; they are counted, and the run's ``judge_budget`` test fails saying how many.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from llm_regressions.monitor.alerts import FAIL, PASS, Alert
from llm_regressions.monitor.load import Monitors
from llm_regressions.replay.result import usd
from llm_regressions.settings import Settings

if TYPE_CHECKING:
    from llm_regressions.replay.judging import JudgeAccess


def judged(monitors: Monitors) -> bool:
    """Some rule has a check that calls a model."""
    return any(check.needs_model for rule in monitors.rules for check in rule.checks)


@contextmanager
def judge_calls(monitors: Monitors, replay: Settings) -> Iterator[JudgeAccess | None]:
    """Scoring inside this context sends judge calls through one engine (None: no rule
    judges, no engine)."""
    if not judged(monitors):
        yield None
        return
    from llm_regressions.replay.engine import CallPolicy, Engine
    from llm_regressions.replay.judging import JudgeAccess, judging

    policy = CallPolicy(replay.concurrency, replay.timeout, replay.retries, replay.api_base,
                        replay.max_cost)  # fmt: skip
    engine = Engine(policy, None)
    access = JudgeAccess(lambda: engine, replay.judge_model, replay.judge_repeat)
    try:
        with judging(access):
            yield access
    finally:
        engine.close()


def judge_section(access: JudgeAccess | None, unjudged: int, budget: float | None) -> Any:
    """The report's ``judge`` entry (None when no rule judges)."""
    if access is None:
        return None
    return {"budget_usd": budget, "spent_usd": access.spent, "unjudged": unjudged}


def judge_item(judge: dict[str, Any] | None) -> list[Alert]:
    """The ``judge_budget`` test: spans left unjudged fail it, never pass as scored."""
    if judge is None:
        return []
    spent, budget = usd(judge["spent_usd"]), usd(judge["budget_usd"])
    if judge["unjudged"]:
        return [Alert("judge_budget", FAIL,
                      f"{judge['unjudged']} span(s) not judged: --llm-max-cost {budget} reached "
                      f"(judge calls spent {spent}); they are in no rate: raise the budget or "
                      "score fewer spans with --llm-monitor-sample")]  # fmt: skip
    return [Alert("judge_budget", PASS, f"every matched span judged: {spent} of {budget}")]
