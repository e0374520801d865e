"""Case files for the live replay tests: small, explicit, one request each."""

from __future__ import annotations

import json
from typing import Any

import yaml


def live_case(
    case_id: str,
    message: str | None = None,
    *,
    checks: list[dict[str, Any]] | None = None,
    status: str = "fixed",
    model: str = "openai/gpt-4o-mini-2024-07-18",
    **extra: Any,
) -> str:
    """YAML of a case whose last user message is ``message`` (default: the id), so the
    stub can script its answers by that text."""
    case: dict[str, Any] = {
        "version": 1,
        "id": case_id,
        "label": "stale_policy_retrieval",
        "status": status,
        "model": {"name": model, "params": {"temperature": 0}},
        "request": {"messages": [{"role": "user", "content": message or case_id}]},
        "checks": checks or [{"contains": "14 days"}],
        **extra,
    }
    return yaml.safe_dump(json.loads(json.dumps(case)), sort_keys=False)


#: A recorded call far cheaper than the stub's answers will be (``COSTLY_USAGE``): the
#: cost estimate of ``--llm-max-cost`` fits a small budget that the real spend then
#: passes, so the budget's stop while running is what a test sees.
CHEAP_RECORDING = {
    "observed": {"output": "30 days", "usage": {"prompt_tokens": 1, "completion_tokens": 1}}
}
#: (prompt, completion) tokens of a stub answer: $0.000045 on gpt-4o-mini.
COSTLY_USAGE = (100, 50)
