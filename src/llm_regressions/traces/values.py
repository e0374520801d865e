"""Scalar conversions shared by the readers: JSON in a string, flattened indexed
attributes, numbers recorded as strings, and timestamps.

Trace text is data: JSON is parsed (:func:`llm_regressions.jsontext.loads`), never evaluated.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from llm_regressions.jsontext import loads

#: What str.strip() removes (no character above U+3000 is whitespace), and what a JSON
#: object, array or quoted string starts with.
_SPACES = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())
_OPENERS = frozenset('{["')


def maybe_json(value: Any) -> Any:
    """Parse ``value`` when it is a string holding a JSON object, array or quoted string
    (Langfuse JSON-quotes its metadata values), else return it unchanged (also when it
    nests too deeply to parse)."""
    if not isinstance(value, str):
        return value
    first = value[:1]
    if first in _SPACES:  # only then strip: it copies the text (spans hold 100,000s)
        first = value.lstrip()[:1]
    if first not in _OPENERS:
        return value
    try:
        return loads(value)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to parse
        pass
    text = value.strip()  # whitespace JSON does not skip (a no-break space...)
    if text == value:
        return value
    try:
        return loads(text)
    except (ValueError, RecursionError):
        return value


def objects_of(documents: list[Any]) -> list[Any]:
    """The objects a file's documents hold: a document that is a list gives its items."""
    found: list[Any] = []
    for doc in documents:
        found.extend(doc if isinstance(doc, list) else [doc])
    return found


def decoded_json(value: Any, limit: int = 8) -> Any:
    """:func:`maybe_json` until the value is no longer JSON text: some exports encode a
    value twice or more (Langfuse's tRPC and v2 API return input/output as JSON strings,
    UI downloads hold JSON strings of JSON strings)."""
    if not isinstance(value, str):
        return value
    for _ in range(limit):
        parsed = maybe_json(value)
        if parsed is value or not isinstance(value, str):
            return parsed
        value = parsed
    return value


def as_int(value: Any) -> int | None:
    """An integer from a number or numeric text; None when there is none (NaN and
    infinities included: they are no count)."""
    if type(value) is int:  # the usual case, first
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:  # integer text as is: through float, a nanosecond time loses its last digits
            return int(value)
        except ValueError:
            pass
    try:
        return int(float(value)) if isinstance(value, (str, float)) else int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def as_float(value: Any) -> float | None:
    """A finite float from a number or numeric text, else None."""
    if type(value) is float:  # the usual case, first
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def as_text(value: Any) -> str | None:
    """A string, or JSON text for structured values (tool results, arguments)."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def iso_to_ns(text: Any) -> int | None:
    """ISO 8601 (``Z`` or offset, any fraction) -> Unix nanoseconds; None when unparseable."""
    if not isinstance(text, str) or not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    fraction = ""
    if "." in value:  # Python < 3.11 only takes 3 or 6 fraction digits
        head, _, tail = value.partition(".")
        digits = "".join(itertools.takewhile(str.isdigit, tail))
        fraction, value = digits, head + tail[len(digits) :]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    nanos = int((fraction + "000000000")[:9]) if fraction else 0
    return int(moment.timestamp()) * 1_000_000_000 + nanos


def time_to_ns(value: Any) -> int | None:
    """An ISO 8601 string (``T`` or a space between date and time), or an epoch number
    (or its text) in seconds, milliseconds, microseconds or nanoseconds (told apart by
    magnitude: SDKs write all four) -> Unix nanoseconds."""
    if isinstance(value, str) and value[4:5] == "-" and value[:4].isdigit():
        return iso_to_ns(value)  # a date: no number starts so (and float() would raise)
    number = as_float(value)
    if isinstance(value, str) and number is None:
        return iso_to_ns(value)
    if number is None or not math.isfinite(number) or number <= 0:
        return None
    exact = Decimal(str(value).strip())  # 1728803137170 ms is not exact as a float in ns
    for limit, scale in ((10**11, 10**9), (10**14, 10**6), (10**17, 10**3)):
        if number < limit:
            return int(exact * scale)
    return int(exact)


def seconds_to_ns(value: Any) -> int | None:
    number = as_float(value)
    return None if number is None else as_int(number * 1e9)


def ns_to_iso(nanos: int | None) -> str | None:
    """ISO 8601 UTC; None for no time, or one outside the calendar (year 1 to 9999)."""
    if nanos is None:
        return None
    try:
        moment = datetime.fromtimestamp(nanos / 1e9, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def indexed(attributes: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Group ``prefix.N.rest`` attributes into a list of ``{rest: value}`` ordered by N."""
    groups: dict[int, dict[str, Any]] = {}
    dotted = prefix + "."
    cut = len(dotted)
    for key, value in attributes.items():
        if not key.startswith(dotted):
            continue
        index, _, rest = key[cut:].partition(".")
        if index.isdigit():
            groups.setdefault(int(index), {})[rest] = value
    return [groups[i] for i in sorted(groups)]
