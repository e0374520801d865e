"""Trace content for the trace reports: as a comparable text (equal values, equal
texts) and as short one-line excerpts, cut after the caller redacted them (a cut never
leaves part of a secret its pattern no longer matches)."""

from __future__ import annotations

import json
from typing import Any

from llm_regressions.traces.values import maybe_json


def comparable(value: Any, drop: frozenset[str] = frozenset()) -> str:
    """A recorded value as one text that equal values share: JSON held in strings is
    parsed, keys are sorted (key order does not count), runs of whitespace become one
    space, and keys in ``drop`` (per-run ids) are left out. Nothing recorded: ""."""
    if value is None:
        return ""
    try:
        return json.dumps(_normal(value, drop), sort_keys=True, ensure_ascii=False, default=str)
    except RecursionError:  # nested too deep to walk: never equal to anything
        return f"(nested too deeply to compare #{id(value)})"


def _normal(value: Any, drop: frozenset[str]) -> Any:
    value = maybe_json(value)
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, dict):
        return {str(k): _normal(v, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, (list, tuple)):
        return [_normal(v, drop) for v in value]
    return value


def one_line(text: str, limit: int, start: int = 0) -> str:
    """``text[start:]`` on one line, at most ``limit`` characters, "…" where cut."""
    head = "…" if start > 0 else ""
    body = " ".join(text.split())[start:]
    return head + (body if len(body) <= limit else body[: limit - 1] + "…")


def around_difference(first: str, second: str, limit: int) -> tuple[str, str]:
    """Both texts from a little before the first character where they differ: long
    prompts usually differ somewhere in the middle."""
    same = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        same += 1
    start = max(0, same - limit // 4)
    return one_line(first, limit, start), one_line(second, limit, start)
