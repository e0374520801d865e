"""Which cases a session runs: golden only (``--llm-golden``) and one shard of N.

Shards hash the case id (not the node id, not the collection order), so a case lands
in the same shard on every machine and after files move.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

    from llm_regressions.gate_options import GateSettings, Shard


def in_shard(case_id: str, shard: Shard) -> bool:
    digest = hashlib.sha256(case_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shard.count == shard.index - 1


def select(config: pytest.Config, items: list[pytest.Item], gate: GateSettings) -> None:
    """Deselect the cases this session does not run (non-case items are kept)."""
    from llm_regressions.items import CaseItem

    if not gate.golden and gate.shard is None:
        return
    keep, drop = [], []
    for item in items:
        if isinstance(item, CaseItem):
            case = item.loaded.case
            wanted = (not gate.golden or case.golden) and (
                gate.shard is None or in_shard(case.id, gate.shard)
            )
            (keep if wanted else drop).append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
