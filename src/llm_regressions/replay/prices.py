"""Per-token prices from litellm's own price table, read without importing litellm.

litellm ships its table as a JSON file in its package (the one it loads itself when
``LITELLM_LOCAL_MODEL_COST_MAP`` is set, as this plugin does). Reading the file costs a
few milliseconds; importing litellm costs seconds, and ``--llm-estimate`` sends nothing,
so it should not pay for the client.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_regressions import jsontext

TABLE_FILE = "model_prices_and_context_window_backup.json"


@dataclass(frozen=True)
class Price:
    """USD per token, each way."""

    input: float
    output: float

    def cost(self, tokens_in: float, tokens_out: float) -> float:
        return tokens_in * self.input + tokens_out * self.output


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        return {}
    try:
        # jsontext: the table is 3.5 MB, and each monitor worker reads it once
        data = jsontext.loads((Path(spec.origin).parent / TABLE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@functools.lru_cache(maxsize=4096)  # a monitor run asks for the same few models 100,000s of times
def price_of(model: str) -> Price | None:
    """The price of a litellm model string (``openai/gpt-4o-mini-2024-07-18``), or None
    when litellm's table has none (a local model, a name it does not know)."""
    entry = _entry(model)
    if entry is None:
        return None
    cost_in, cost_out = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
    if not isinstance(cost_in, (int, float)) or not isinstance(cost_out, (int, float)):
        return None
    return Price(float(cost_in), float(cost_out))


def window_of(model: str) -> tuple[int | None, int | None]:
    """(input tokens, output tokens) the model accepts at most, from the same table;
    None where litellm does not know."""
    entry = _entry(model) or {}
    limits = (entry.get("max_input_tokens"), entry.get("max_output_tokens"))
    return tuple(int(v) if isinstance(v, (int, float)) else None for v in limits)  # type: ignore[return-value]


def _entry(model: str) -> dict[str, Any] | None:
    """The table's entry of a litellm model string, ``provider/`` prefix or not."""
    table = _table()
    entry = table.get(model)
    if entry is None and "/" in model:
        provider, bare = model.split("/", 1)
        candidate = table.get(bare)
        if isinstance(candidate, dict) and candidate.get("litellm_provider") in (provider, None):
            entry = candidate
    return entry if isinstance(entry, dict) else None
