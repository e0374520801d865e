"""The monitor pass in several processes, with the result of one.

Reading and scoring spans is nearly all of a run's time and is per span. Above
:data:`PARALLEL_MIN_BYTES` of input, on a machine with more than one core and when no
rule calls a model (judge calls share one engine and budget), JSON-lines files are cut
into chunks of about :data:`CHUNK_BYTES` at line ends; worker processes turn each chunk's
lines into facts (:func:`llm_regressions.monitor.facts.fact_of`), and the parent adds
them to the run in input order (:func:`~llm_regressions.monitor.facts.apply`), so every
figure, window, alert and failing-span list is the one a single process finds. Files that
are one JSON document are read by the parent.

One thing about a line depends on the lines before it: the reader that took the previous
line is tried first (:func:`~llm_regressions.monitor.stream.read_lines`), which decides
the reason given for an unreadable line (readers in the order tried), and which reader
wins should two accept a line. The parent follows the order one process would have had;
when a worker read a line under an order that could give another outcome, the parent
reads that line again itself.

A worker sends one by one only the lines whose outcome may depend on that order: the
unreadable ones, and each line a reader took after another reader's (or first in the
chunk). The lines after it that the same reader took form a :class:`Segment`, whose
facts the worker adds up itself (sending one fact a span cost the parent more than all
its other work); the parent adds the segment's totals when it too reads with that reader
first, which makes every line of it read the same, and otherwise reads its lines again.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_regressions.monitor.facts import Fact, MonitorRun, add_file, apply, fact_of, merge
from llm_regressions.monitor.judge import judged
from llm_regressions.monitor.load import Monitors, load_monitors
from llm_regressions.monitor.score import answers_only
from llm_regressions.monitor.stream import WAYS, Unreadable, is_json_lines, read_lines
from llm_regressions.monitor.windows import Windows

#: Input below this size is read by one process (starting workers would not pay).
PARALLEL_MIN_BYTES = 32 * 1024 * 1024
#: Bytes of JSON lines a worker reads at a time.
CHUNK_BYTES = 4 * 1024 * 1024
#: The parent adds up about 80,000 spans' facts a second (bench/monitor.py), a worker
#: reads about 4,000: beyond some 8 workers the parent would not keep up.
MAX_WORKERS = 8

#: One line a worker read: (number in its chunk, index of the way that read it or None,
#: the facts of its spans, or why it is unreadable).
Line = tuple[int, "int | None", "list[Fact] | str"]


@dataclass
class Segment:
    """Consecutive lines of a chunk, each read by the way that read the line before it:
    their numbers, and their facts added up in input order."""

    way: int
    numbers: list[int]
    totals: MonitorRun


@dataclass(frozen=True)
class Unit:
    """A file the parent reads whole (``span`` None), or bytes of a JSON-lines file."""

    path: Path
    span: tuple[int, int] | None = None


@dataclass
class _File:
    """Where the parent is in a JSON-lines file: lines before the chunk, reader order."""

    lines: int = 0
    order: list = field(default_factory=lambda: list(WAYS))


def workers_for(files: list[Path], monitors: Monitors) -> int:
    """How many processes should read ``files``: 1 for small input or a judged run,
    else one per core, at most :data:`MAX_WORKERS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cores or 1) < 2 or judged(monitors):
        return 1
    return min(cores or 1, MAX_WORKERS) if _size(files) >= PARALLEL_MIN_BYTES else 1


def _size(files: list[Path]) -> int:
    total = 0
    for path in files:
        try:
            total += path.stat().st_size
        except OSError:  # reported when the file is read
            pass
    return total


def read_into(
    run: MonitorRun, files: list[Path], monitors: Monitors, sample: float, workers: int
) -> str | None:
    """Read and score ``files`` in ``workers`` processes into ``run``; or, reading
    nothing, say why no worker process could start (no semaphores in a sandbox...)."""
    try:
        pool = _pool(workers, monitors, sample, run.windows.empty())
    except (OSError, NotImplementedError, ImportError, BrokenProcessPool) as exc:
        return f"{type(exc).__name__}: {exc}"
    units = [unit for path in files for unit in _units(path)]
    try:
        place = _File()
        for unit, future in _ahead(pool, units, 3 * workers):
            if unit.span is None or unit.span[0] == 0:
                run.files += 1
                place = _File()
            if future is None:
                add_file(run, unit.path, monitors, sample)
            else:
                _merge(run, unit, future.result(), place, (monitors, sample))
    finally:
        pool.shutdown(cancel_futures=True)
    return None


def _units(path: Path) -> list[Unit]:
    """A JSON-lines file as chunks cut after a newline; any other file whole."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            if not is_json_lines(handle.readline(), handle):
                return [Unit(path)]
            cuts = [0]
            while cuts[-1] + CHUNK_BYTES < size:
                handle.seek(cuts[-1] + CHUNK_BYTES)
                handle.readline()
                if handle.tell() >= size:
                    break
                cuts.append(handle.tell())
    except OSError:  # read_spans reports it, as one process does
        return [Unit(path)]
    return [Unit(path, (a, b)) for a, b in zip(cuts, [*cuts[1:], size], strict=True)]


def _ahead(pool: ProcessPoolExecutor, units: list[Unit], limit: int) -> Iterator[tuple]:
    """Each unit in order with its worker's future (None: the parent reads it), keeping
    at most ``limit`` chunks sent ahead (memory holds their results, not the input's)."""
    waiting: deque[tuple[Unit, Future | None]] = deque()
    todo = iter(units)
    while True:
        while len(waiting) < limit and (unit := next(todo, None)) is not None:
            future = pool.submit(_chunk, unit.path, *unit.span) if unit.span else None
            waiting.append((unit, future))
        if not waiting:
            return
        yield waiting.popleft()


def _merge(
    run: MonitorRun,
    unit: Unit,
    result: tuple[int, list[Line | Segment]],
    place: _File,
    how: tuple,
) -> None:
    """Add a worker's chunk to the run, following the reader order of one process."""
    count, lines = result
    seen = list(WAYS)  # the order the worker read under
    file = str(unit.path)
    for entry in lines:
        if isinstance(entry, Segment):
            if place.order[0] is WAYS[entry.way]:  # each of its lines is read the same
                merge(run, entry.totals)
            else:
                for number in entry.numbers:
                    _read_again(run, unit, place, number, how)
            continue
        number, way, read = entry
        if not _same_outcome(place.order, seen, way):
            _read_again(run, unit, place, number, how)
        elif way is None:
            run.unreadable.append(Unreadable(file, f"line {place.lines + number}", read))
        else:
            _to_front(place.order, WAYS[way])
            for fact in read:
                apply(run, fact)
        if way is not None:
            _to_front(seen, WAYS[way])
    place.lines += count


def _same_outcome(order: list, seen: list, way: int | None) -> bool:
    """Whether reading under ``order`` gives what the worker got under ``seen``: the
    same reasons (an unreadable line), or every way tried before the one that read the
    line declined it in the worker too."""
    if order == seen:
        return True
    if way is None:
        return False
    used = WAYS[way]
    return set(order[: order.index(used)]) <= set(seen[: seen.index(used)])


def _to_front(order: list, way: Any) -> None:
    if order[0] is not way:
        order.remove(way)
        order.insert(0, way)


def _read_again(run: MonitorRun, unit: Unit, place: _File, number: int, how: tuple) -> None:
    """The parent reads line ``number`` of the chunk under the order of one process."""
    assert unit.span is not None
    lean = answers_only(how[0])
    reading = read_lines(unit.path, place.order, *unit.span, skip=number - 1, answers_only=lean)
    _, way, read = next(reading)  # the worker sent only lines with a value: this is one
    reading.close()
    if way is None:
        where = f"line {place.lines + number}"
        run.unreadable.append(Unreadable(str(unit.path), where, read))
        return
    for span in read:
        apply(run, fact_of(span, *how, str(unit.path)))


# -- worker side -----------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _pool(workers: int, monitors: Monitors, sample: float, windows: Windows) -> ProcessPoolExecutor:
    """Worker processes, one of them started and answering: forked (nothing to import or
    pickle) where that is safe, Linux with no other thread running; else spawned,
    loading the rules file again."""
    fork = fork_safe()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    rules: Monitors | Path = monitors if fork else monitors.path
    start = (rules, sample, windows, gc.get_threshold())  # the pass's fewer collections
    pool = ProcessPoolExecutor(workers, context, initializer=_start, initargs=start)
    try:
        pool.submit(os.getpid).result()
    except BaseException:
        pool.shutdown(cancel_futures=True)
        raise
    return pool


def fork_safe() -> bool:
    """Forking copies only the calling thread: safe with no other thread (on Linux;
    macOS frameworks do not survive a fork)."""
    return sys.platform == "linux" and threading.active_count() == 1


def _start(
    rules: Monitors | Path, sample: float, windows: Windows, thresholds: tuple[int, ...]
) -> None:
    _WORKER["monitors"] = load_monitors(rules) if isinstance(rules, Path) else rules
    _WORKER["sample"] = sample
    _WORKER["windows"] = windows  # empty: what a segment's totals start from
    _WORKER["lean"] = answers_only(_WORKER["monitors"])
    gc.set_threshold(*thresholds)


def _chunk(path: Path, start: int, end: int) -> tuple[int, list[Line | Segment]]:
    """A chunk's lines, and how many it has: one by one (with their spans' facts, or
    why they are unreadable) where the reader order may matter, else in segments."""
    monitors, sample, file = _WORKER["monitors"], _WORKER["sample"], str(path)
    reading = read_lines(path, list(WAYS), start, end, answers_only=_WORKER["lean"])
    lines: list[Line | Segment] = []
    previous: int | None = None  # the way that read the line before
    while True:
        try:
            number, way, read = next(reading)
        except StopIteration as stop:
            return stop.value, lines
        if way is None or way != previous:
            facts = read if way is None else [fact_of(s, monitors, sample, file) for s in read]
            lines.append((number, way, facts))
        else:
            last = lines[-1]
            if not isinstance(last, Segment):
                last = Segment(way, [], MonitorRun(_WORKER["windows"].empty()))
                lines.append(last)
            last.numbers.append(number)
            for span in read:
                apply(last.totals, fact_of(span, monitors, sample, file))
        previous = way
