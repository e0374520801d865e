"""gcutil: the cyclic collector is paused while long-lived objects are made, then kept off them."""

from __future__ import annotations

import gc
import threading

import pytest

from llm_regressions.gcutil import long_lived


@pytest.fixture(autouse=True)
def _restore_gc():
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_pause_nests_then_freezes():
    gc.enable()
    with long_lived():
        assert not gc.isenabled()
        with long_lived():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
        made = [[] for _ in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    with long_lived():
        pass
    assert not gc.isenabled()


def test_pauses_from_two_threads_end_with_the_last_one():
    gc.enable()
    inside, leave = threading.Event(), threading.Event()

    def other():
        with long_lived():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    with long_lived():
        thread.start()
        assert inside.wait(5)
    assert not gc.isenabled()  # the other thread's pause is still on
    leave.set()
    thread.join(5)
    assert gc.isenabled()
