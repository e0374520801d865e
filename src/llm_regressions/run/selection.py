"""Which cases a session runs: golden only (``--llm-golden``) and one shard of N
(:meth:`llm_regressions.settings.Shard.holds`)."""

from __future__ import annotations

import pytest

from llm_regressions.run.item import CaseItem
from llm_regressions.settings import GateSettings


def select(config: pytest.Config, items: list[pytest.Item], gate: GateSettings) -> None:
    """Deselect the cases this session does not run (non-case items are kept)."""
    if not gate.golden and gate.shard is None:
        return
    keep, drop = [], []
    for item in items:
        wanted = not isinstance(item, CaseItem) or _wanted(item.loaded.case, gate)
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _wanted(case, gate: GateSettings) -> bool:
    return (not gate.golden or case.golden) and (gate.shard is None or gate.shard.holds(case.id))
