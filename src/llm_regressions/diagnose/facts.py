"""The facts a diagnosis states, each from counts: how often the failure reproduces,
how each variant fared, whether the request or the answer ran out of room.

Pure functions on plain numbers and dicts (the JSON report's shapes), so the report,
the terminal and the attribution read the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llm_regressions.stats import wilson

#: A request filling this much of the model's window may lose its early instructions.
WINDOW_WARNING = 0.9


@dataclass
class Tally:
    """Answers to one group of identical calls: passed, failed (the checks), errors
    (provider trouble, not sent, a check that could not run: never a failure)."""

    passed: int = 0
    failed: int = 0
    errors: int = 0
    error: str | None = None
    cost_usd: float = 0.0
    results: list[Any] = field(default_factory=list, repr=False)

    @property
    def answered(self) -> int:
        return self.passed + self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.answered + self.errors,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "error": self.error,
        }


def stability(tally: Tally) -> dict[str, Any]:
    """How often the exact request reproduces the failure, with its 95% interval."""
    reproduced, answered = tally.failed, tally.answered
    if not answered:
        kind = "unknown"
    elif reproduced == answered:
        kind = "stable"
    elif reproduced == 0:
        kind = "did not reproduce"
    else:
        kind = "intermittent"
    low, high = wilson(reproduced, answered)
    return {
        **tally.to_dict(),
        "reproduced": reproduced,
        "kind": kind,
        "interval": [round(low, 4), round(high, 4)] if answered else None,
    }


def stability_line(facts: dict[str, Any]) -> str:
    """``reproduces 2/5 (intermittent: part of the story is randomness; 95% 12%-77%)``."""
    answered = facts["passed"] + facts["failed"]
    if not answered:
        return f"stability unknown: no rerun answered ({facts['error'] or 'no rerun sent'})"
    kind = facts["kind"]
    if kind == "intermittent":
        kind = "intermittent: part of the story is randomness"
    low, high = facts["interval"]
    spread = f"95% interval {low:.0%}-{high:.0%}"
    line = f"reproduces {facts['reproduced']}/{answered} ({kind}; {spread})"
    if facts["errors"]:
        line += f"; {facts['errors']} rerun(s) errored: {facts['error']}"
    return line


def truncation(
    request_tokens: int | None,
    window: int | None,
    max_tokens: int | None,
    output_tokens: int | None,
    cut_off: bool,
) -> dict[str, Any]:
    """The request against the model's window, the answer against ``max_tokens``;
    ``notes`` says what is worth saying (empty when neither is close)."""
    fill = request_tokens / window if request_tokens and window else None
    hit = cut_off or bool(max_tokens and output_tokens and output_tokens >= max_tokens)
    notes = []
    if fill is not None and fill >= WINDOW_WARNING:
        notes.append(f"the request fills {fill:.0%} of the window: early instructions may be cut")
    if hit:
        limit = f"max_tokens ({max_tokens})" if max_tokens else "the output limit"
        notes.append(f"the answer hit {limit}: it was cut off")
    return {
        "request_tokens": request_tokens,
        "context_window": window,
        "window_fill": round(fill, 4) if fill is not None else None,
        "max_tokens": max_tokens,
        "output_tokens": output_tokens,
        "cut_off": hit,
        "notes": notes,
    }


def truncation_line(facts: dict[str, Any]) -> str:
    """``request 1,204 of 128,000 tokens (1%); max_tokens 50, answers used 50``."""
    tokens, window = facts["request_tokens"], facts["context_window"]
    if tokens is None:
        head = "request size unknown (no token usage recorded)"
    elif window is None:
        head = f"request {tokens:,} tokens (the model's window is unknown to litellm)"
    else:
        head = f"request {tokens:,} of {window:,} tokens ({facts['window_fill']:.0%})"
    out = facts["output_tokens"]
    tail = f"; max_tokens {facts['max_tokens'] or 'not set'}"
    if out is not None:
        tail += f", answers used up to {out:,}"
    return head + tail
