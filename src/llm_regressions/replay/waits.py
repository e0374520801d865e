"""How long a provider asks a client to wait, read from its response headers.

- ``retry-after-ms`` (OpenAI, Azure) and ``retry-after`` in seconds, fractions allowed
  (the HTTP-date form is left to litellm's own parser, see ``client.provider_wait``);
- ``x-ratelimit-remaining-requests`` / ``-tokens`` = 0 with ``x-ratelimit-reset-*``
  (OpenAI: ``1s``, ``6m0s``, ``20ms``) and Anthropic's ``anthropic-ratelimit-*``
  (``-remaining`` / ``-reset``, an RFC 3339 time): nothing is left until the reset, so
  the next call waits. With ``x-ratelimit-limit-*`` known, only for one call's share
  of the reset (the quota refills steadily), else for the whole reset.

Headers come as litellm hands them over: the raw names on a 429, the names prefixed
``llm_provider-`` in a success's ``_hidden_params["additional_headers"]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

_PREFIX = "llm_provider-"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
#: (remaining, reset, limit) header names, OpenAI's then Anthropic's.
_QUOTAS = tuple(
    (f"x-ratelimit-remaining-{kind}", f"x-ratelimit-reset-{kind}", f"x-ratelimit-limit-{kind}")
    for kind in ("requests", "tokens")
) + tuple(
    (f"anthropic-ratelimit-{kind}-remaining", f"anthropic-ratelimit-{kind}-reset", "")
    for kind in ("requests", "tokens", "input-tokens", "output-tokens")
)


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A header by name, raw or as litellm prefixes it (case-insensitive mappings such
    as httpx.Headers match either case; plain dicts hold lower-case names)."""
    if not headers:
        return None
    value = headers.get(name)
    if value is None:
        value = headers.get(_PREFIX + name)
    return None if value is None else str(value).strip()


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """``retry-after-ms``, else a numeric ``retry-after``, in seconds; None otherwise."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = header(headers, name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if seconds >= 0 and seconds != float("inf"):
            return seconds
    return None


def quota_wait(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds to wait before the next call when a quota is used up, else None."""
    longest = None
    for remaining_name, reset_name, limit_name in _QUOTAS:
        remaining = _number(header(headers, remaining_name))
        if remaining is None or remaining > 0:
            continue
        reset = duration(header(headers, reset_name))
        if reset is None:
            continue
        limit = _number(header(headers, limit_name)) if limit_name else None
        wait = reset / limit if limit and limit > 1 else reset
        longest = wait if longest is None else max(longest, wait)
    return longest


def refill(headers: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """(requests remaining, requests refilled per second) from OpenAI's
    ``x-ratelimit-{limit,remaining,reset}-requests``: the quota is back to its limit
    after ``reset``, so it refills at ``(limit - remaining) / reset``. None when a
    header is missing or the quota is full."""
    limit = _number(header(headers, "x-ratelimit-limit-requests"))
    remaining = _number(header(headers, "x-ratelimit-remaining-requests"))
    reset = duration(header(headers, "x-ratelimit-reset-requests"))
    if limit is None or remaining is None or not reset or remaining >= limit:
        return None
    return remaining, (limit - remaining) / reset


def duration(text: str | None) -> float | None:
    """``1s``, ``6m0s``, ``1h2m3.5s``, ``20ms``, ``0.5`` (seconds) or an RFC 3339 time
    (Anthropic: when the quota resets) -> seconds from now."""
    if not text:
        return None
    number = _number(text)
    if number is not None:
        return max(number, 0.0)
    parts = _DURATION.findall(text)
    if parts and "".join(n + u for n, u in parts) == text.replace(" ", ""):
        return sum(float(n) * _UNIT[u] for n, u in parts)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None
