"""The monitor pass: stream every span of the input, sample by trace id, score the LLM
spans each rule matches, and add everything up per window.

Sampling hashes the trace id, so ``--llm-monitor-sample 0.1`` keeps the same traces on
every run and a trace's spans stay together. Failing spans are kept (up to
:data:`~llm_regressions.monitor.facts.MAX_LISTED`) with what promoting them needs.
Big inputs are read by worker processes (:mod:`llm_regressions.monitor.parallel`).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from llm_regressions.diagnose.trace_clusters import TRACE_SUFFIXES, trace_files
from llm_regressions.monitor import parallel
from llm_regressions.monitor.facts import MonitorRun, add_file
from llm_regressions.monitor.load import Monitors
from llm_regressions.monitor.windows import Windows

#: Allocations between two young-generation collections during the pass.
GC_THRESHOLD = 50_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Cyclic garbage collection less often during the pass: each span allocates
    hundreds of short-lived containers, freed by reference counting, and the default
    threshold (700) ran a collection every few spans (about a tenth of the time)."""
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def monitor(
    paths: list[Path],
    monitors: Monitors,
    sample: float,
    window_s: float,
    workers: int | None = None,
) -> MonitorRun:
    """One pass over ``paths``; ``workers``: processes reading them (None: as many as
    the input's size and the machine's cores make worth it, see monitor/parallel.py)."""
    with _fewer_collections():
        return _monitor(paths, monitors, sample, window_s, workers)


def _monitor(
    paths: list[Path], monitors: Monitors, sample: float, window_s: float, workers: int | None
) -> MonitorRun:
    run = MonitorRun(Windows(window_s))
    files, skipped = trace_files([(path, str(path)) for path in paths])
    if skipped:
        run.notes.append(
            f"skipped {len(skipped)} file(s) in the folders not ending in "
            f"{'/'.join(TRACE_SUFFIXES)}: {', '.join(skipped[:5])}"
        )
    found = [path for path, _ in files]
    run.workers = parallel.workers_for(found, monitors) if workers is None else workers
    if run.workers > 1:
        problem = parallel.read_into(run, found, monitors, sample, run.workers)
        if problem is None:
            return run
        run.notes.append(f"read in one process: no worker process could start ({problem})")
        run.workers = 1
    for path in found:
        run.files += 1
        add_file(run, path, monitors, sample)
    return run
