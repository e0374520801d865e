"""What is sent to a model: one call, in a plain, hashable-by-content form.

A :class:`ProviderRequest` is built (from a case, by the run; from a criterion, by the
judge) without touching litellm, so building, cache keys and scheduling stay cheap and
testable.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProviderRequest:
    """One chat completion call. ``run`` numbers the repeats of the same request, so
    each repeat is an independent call (and its own cache entry)."""

    model: str
    messages: list[dict[str, Any]]
    params: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    run: int = 0
    purpose: str = "replay"

    def cache_key(self) -> str:
        """Content hash of everything that shapes the answer; any change is a miss."""
        canonical = {
            "model": self.model,
            "messages": self.messages,
            "params": {k: v for k, v in self.params.items() if k not in TRANSPORT_PARAMS},
            "tools": self.tools,
            "tool_choice": self.tool_choice,
            "response_format": self.response_format,
            "run": self.run,
            "purpose": self.purpose,
        }
        text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def call_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``litellm.acompletion`` (without transport settings)."""
        kwargs: dict[str, Any] = {"model": self.model, "messages": self.messages, **self.params}
        if self.tools:
            kwargs["tools"] = self.tools
        if self.tool_choice is not None:
            kwargs["tool_choice"] = self.tool_choice
        if self.response_format is not None:
            kwargs["response_format"] = self.response_format
        return kwargs


#: Parameters that say where or how to send, not what to ask: never part of a cache key.
TRANSPORT_PARAMS = frozenset({"api_base", "base_url", "api_key", "timeout", "num_retries"})
