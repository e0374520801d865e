"""How much of a model call the readers fill in: all of it (promotion, inspect,
diagnosis), or only its answer side (the monitor scores recorded answers; the request's
messages, tools and parameters would be work it never reads, a third of a reader's time).
Reading answers only, a span's input may also stay as recorded (JSON text not decoded).
"""

from __future__ import annotations

from contextvars import ContextVar

_REQUEST = ContextVar("llm_regressions_read_request", default=True)


def request_wanted() -> bool:
    """Whether readers should fill in a call's messages, tools and parameters."""
    return _REQUEST.get()


class answers_only:  # a class, not @contextmanager: entered once per line read
    """Calls read inside leave their messages, tools and parameters empty (``active``)."""

    def __init__(self, active: bool = True) -> None:
        self.active = active

    def __enter__(self) -> None:
        self.token = _REQUEST.set(not self.active)

    def __exit__(self, *exc: object) -> None:
        _REQUEST.reset(self.token)
