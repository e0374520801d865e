"""Which cases a session runs: golden only (``--llm-golden``), one shard of N
(:meth:`llm_regressions.settings.Shard.holds`), and those a change since a git ref can
affect (``--llm-changed-since``, :mod:`.changes`). Everything else is deselected through
pytest's own hook, so nothing is sent for it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from llm_regressions.run.changes import KINDS, ChangeSet, kind_of
from llm_regressions.run.item import CaseItem
from llm_regressions.settings import GateSettings, Settings


def select(
    config: pytest.Config,
    items: list[pytest.Item],
    gate: GateSettings,
    settings: Settings,
    changes: ChangeSet | None = None,
) -> dict[str, Any] | None:
    """Deselect the cases this session does not run (non-case items are kept); return
    the ``--llm-changed-since`` summary (:func:`summary`), None without the flag."""
    if not gate.golden and gate.shard is None and changes is None:
        return None
    keep, drop, unaffected = [], [], []
    for item in items:
        if isinstance(item, CaseItem) and not _wanted(item.loaded.case, gate):
            drop.append(item)
        elif isinstance(item, CaseItem) and changes is not None:
            item.selected_because = changes.reasons(item.loaded)
            (keep if item.selected_because else unaffected).append(item)
        else:
            keep.append(item)
    if drop or unaffected:
        config.hook.pytest_deselected(items=drop + unaffected)
        items[:] = keep
    return summary(changes, keep, unaffected, settings) if changes is not None else None


def _wanted(case, gate: GateSettings) -> bool:
    return (not gate.golden or case.golden) and (gate.shard is None or gate.shard.holds(case.id))


def summary(
    changes: ChangeSet, kept: list[pytest.Item], unaffected: list[CaseItem], settings: Settings
) -> dict[str, Any]:
    """What ``--llm-changed-since`` selected, as plain JSON (it travels from an xdist
    worker to the controller): the cases selected per reason (a case counts once under
    each kind of reason it has), the cases left out and the model calls that saved."""
    selected = [item for item in kept if isinstance(item, CaseItem)]
    kinds = Counter(k for item in selected for k in {kind_of(r) for r in item.selected_because})
    return {
        "ref": changes.ref,
        "commit": changes.commit[:12],
        "selected": len(selected),
        "reasons": {kind: kinds[kind] for kind in KINDS if kinds[kind]},
        "unaffected": len(unaffected),
        "calls_saved": sum(calls_of(item, settings) for item in unaffected),
    }


def calls_of(item: CaseItem, settings: Settings) -> int:
    """The model calls a live run of the case makes at its fewest runs: one replay per
    run (an app target may make more) and its ``llm_judge`` calls. None counted for a
    recorded run, which replays nothing."""
    if not settings.calls_models:
        return 0
    judges = sum(check.name == "llm_judge" for check in item.loaded.checks)
    return settings.runs_for(item.loaded.case)[0] * (1 + judges * settings.judge_repeat)
