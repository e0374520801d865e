"""JSON text -> Python values, exactly as :func:`json.loads` reads it, faster: for the
trace readers and the checks that parse an answer (the monitor runs them per span).

Parsing is a large share of reading production traces (a span is kilobytes of JSON, often
with JSON text inside). msgspec's decoder parses it more than twice as fast; where it is
not installed (it is a dependency on CPython only) the standard library does the work.
Both give the same values (integers of any size included); msgspec refuses what the
JSON standard leaves out and :mod:`json` reads (NaN, Infinity, 1e400, a lone surrogate),
so text it refuses is read again by :mod:`json`, whose result or error is the one given.
Either way the text is data: parsed, never evaluated.
"""

from __future__ import annotations

import json
from typing import Any

try:
    from msgspec import MsgspecError
    from msgspec.json import Decoder
except ImportError:  # not CPython, or installed without it: the standard library reads
    _decode = None
else:
    _decode = Decoder().decode
    #: What msgspec raises for text it refuses (its own errors, not ValueErrors in
    #: every version; a string holding a lone surrogate is a UnicodeEncodeError).
    _REFUSED: tuple[type[BaseException], ...] = (MsgspecError, ValueError, RecursionError)


def loads(text: str) -> Any:
    """The value of JSON ``text`` (raises :class:`ValueError` as :func:`json.loads` does)."""
    if _decode is not None:
        try:
            return _decode(text)
        except _REFUSED:
            pass  # NaN, "\ud800", nesting too deep...: read (or refused) as json reads it
    return json.loads(text)
