"""The one shape every check scores: what a model (or production) answered.

Recorded ``observed``/``expected`` sections and live provider responses are all turned
into a :class:`ReplayResult`, so checks never care where an answer came from.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


def usd(value: float | None) -> str:
    """Dollars the way people read them: ``$0.0000256``, ``$1.25``; never ``2.56e-05``.
    Every message and summary that shows money uses this, so they agree."""
    if value is None:
        return "n/a"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    if value == 0:
        return "$0"
    decimals = min(2 - math.floor(math.log10(abs(value))), 12)  # three significant digits
    return "$" + f"{value:.{max(decimals, 2)}f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model asked for. ``arguments`` is parsed JSON when it parses."""

    name: str
    arguments: Any = field(default_factory=dict)
    id: str | None = None

    @classmethod
    def from_openai(cls, raw: dict[str, Any]) -> ToolCall:
        """Build from OpenAI's ``{"id", "type", "function": {"name", "arguments"}}`` or
        the flat ``{"name", "arguments"}`` shape used in case files."""
        function = raw.get("function") or raw
        return cls(
            name=str(function.get("name", "")),
            arguments=parse_arguments(function.get("arguments", {})),
            id=raw.get("id"),
        )


def parse_arguments(arguments: Any) -> Any:
    """Tool arguments as data: OpenAI sends a JSON string, case files may hold either.

    A string that is not JSON is kept as it is, so ``tool_args_valid`` can report it.
    """
    if not isinstance(arguments, str):
        return arguments
    if not arguments.strip():
        return {}
    try:
        return json.loads(arguments)
    except ValueError:
        return arguments


@dataclass
class ReplayResult:
    """An answer to score. Fields a source did not record stay ``None``."""

    output: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    latency_ms: float | None = None
    cost_usd: float | None = None
    model: str | None = None
    system_fingerprint: str | None = None

    @property
    def output_tokens(self) -> int | None:
        if not self.usage:
            return None
        value = self.usage.get("completion_tokens", self.usage.get("output_tokens"))
        return int(value) if value is not None else None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReplayResult:
        """Inverse of :meth:`to_dict` (cache entries, xdist transport)."""
        calls = [
            ToolCall(c["name"], c.get("arguments", {}), c.get("id")) for c in data["tool_calls"]
        ]
        return cls(**{**data, "tool_calls": calls})

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, for reports and xdist transport."""
        return {
            "output": self.output,
            "tool_calls": [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in self.tool_calls
            ],
            "finish_reason": self.finish_reason,
            "usage": self.usage,
            "latency_ms": self.latency_ms,
            "cost_usd": self.cost_usd,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
        }


def summed_usage(results: Iterable[ReplayResult]) -> dict[str, int] | None:
    """The token counts of several answers added up (an agent's calls, a session's
    steps); values that are not plain numbers (providers' nested details) are left out."""
    usage: dict[str, int] = {}
    for result in results:
        for key, value in (result.usage or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                usage[key] = usage.get(key, 0) + int(value)
    return usage or None


def summed(values: Iterable[float | None]) -> float | None:
    """The sum of the known values (costs, latencies), or None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None
