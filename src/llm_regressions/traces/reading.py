"""How much of a model call the readers fill in: all of it (promotion, inspect,
diagnosis), or only its answer side (the monitor scores recorded answers; the request's
messages, tools and parameters would be work it never reads, a third of a reader's time).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_REQUEST = ContextVar("llm_regressions_read_request", default=True)


def request_wanted() -> bool:
    """Whether readers should fill in a call's messages, tools and parameters."""
    return _REQUEST.get()


@contextmanager
def answers_only(active: bool = True) -> Iterator[None]:
    """Calls read inside leave their messages, tools and parameters empty (``active``)."""
    token = _REQUEST.set(not active)
    try:
        yield
    finally:
        _REQUEST.reset(token)
