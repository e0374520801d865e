"""Keep CPython's cyclic garbage collector away from objects that live all session.

Collecting thousands of case files, or importing litellm, allocates hundreds of
thousands of objects that stay alive until pytest exits. While they pile up, the
collector runs again and again and walks them all without finding garbage (at 10,000
cases that was over a third of a recorded run). :func:`long_lived` pauses it while they
are made, then freezes them (``gc.freeze()``) out of the reach of every later
collection, including the one pytest runs at session end. The price: cyclic garbage
made during the pause is never freed, which is small (parsing and validating makes
little of it). The run adds its own long-lived objects (each test's reports and record):
:func:`settle`, called after every test, frees what is garbage among them now and then
and freezes the rest. Nothing is unfrozen at session end: the interpreter's exit would then
walk it all (measured: over a second after a live run). A process that goes on after
``pytest.main()`` (pytester's in-process runs) can call ``gc.unfreeze()`` itself.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Pause the cyclic collector while the block runs, then freeze what exists.

    Nests, and works across threads (litellm's import runs beside collection): the
    collector is re-enabled when the last pause ends, if it was enabled before the first."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
        gc.freeze()


#: Tests between two :func:`settle` passes: each pass walks only what the tests since the
#: last one made (a few milliseconds), however many came before.
SETTLE_EVERY = 200
_tests_since_settle = 0


def settle() -> None:
    """Call after each test: every :data:`SETTLE_EVERY` calls, a full collection frees
    the cyclic garbage made since the last freeze, and what survives it (the finished
    tests' reports and records, which live until the session ends) is frozen. Without
    it, each full collection walks every finished test again (at 10,000 cases, about a
    second of a recorded run)."""
    global _tests_since_settle
    _tests_since_settle += 1
    if _tests_since_settle < SETTLE_EVERY or not gc.isenabled():
        return
    _tests_since_settle = 0
    gc.collect()
    gc.freeze()
