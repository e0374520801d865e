"""Production trace files -> spans, one at a time, in every format promotion reads.

JSON Lines files (OTLP JSON lines, litellm logging payloads, Langfuse observations) are
read line by line: each line goes through the readers of :mod:`llm_regressions.traces.detect`
on its own, the one that read the previous line first, so memory holds one line's spans.
A file that is one JSON document is read whole, as promotion reads it (and limited to the
same size). A line or file no reader takes is counted as unreadable, never fatal.
"""

from __future__ import annotations

import io
import json
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from llm_regressions import jsontext
from llm_regressions.traces import detect, reading
from llm_regressions.traces.errors import Declined, TraceError
from llm_regressions.traces.model import Span
from llm_regressions.traces.typecheck import check_spans

_READ_ERRORS = (Declined, TraceError, TypeError, KeyError, AttributeError, ValueError)
#: Ways to read one line: each reader on the line's value, then on a list of it (a bare
#: Langfuse observation is a list of one observation to its reader).
WAYS = [(name, reader, False) for name, reader in detect.READERS]
WAYS += [(name, reader, True) for name, reader in detect.READERS]
WAY_INDEX = {way: index for index, way in enumerate(WAYS)}


@dataclass(frozen=True)
class Unreadable:
    """A line or file the monitor skipped, and why."""

    file: str
    where: str
    reason: str


def read_spans(
    path: Path, unreadable: list[Unreadable], answers_only: bool = False
) -> Iterator[Span]:
    """The spans of one file; problems go to ``unreadable``. ``answers_only``: model
    calls without their request's messages, tools and parameters (traces/reading.py)."""
    try:
        with path.open("rb") as handle:
            first = handle.readline()
            lines = is_json_lines(first, handle)
    except OSError as exc:
        unreadable.append(Unreadable(str(path), "", f"cannot read: {exc.strerror or exc}"))
        return
    if lines:
        yield from _json_lines(path, unreadable, answers_only)
        return
    try:
        with reading.answers_only(answers_only):
            spans = detect.read_trace(path).spans
        yield from spans
    except TraceError as exc:
        reason = str(exc).removeprefix(f"{path}: ").splitlines()[0]
        unreadable.append(Unreadable(str(path), "", reason))


def is_json_lines(first: bytes, handle: Any) -> bool:
    """The first line is a whole JSON value and more follows."""
    try:
        json.loads(first)
    except ValueError:
        return False
    return bool(handle.read(1))


def _json_lines(path: Path, unreadable: list[Unreadable], answers_only: bool) -> Iterator[Span]:
    for number, way, read in read_lines(path, list(WAYS), answers_only=answers_only):
        if way is None:
            unreadable.append(Unreadable(str(path), f"line {number}", read))
        else:
            yield from read


def read_lines(
    path: Path,
    order: list,
    start: int = 0,
    end: int | None = None,
    skip: int = 0,
    answers_only: bool = False,
) -> Generator[tuple[int, int | None, Any], None, int]:
    """Each JSON line of ``path`` (or of bytes ``start:end``, cut at line ends; numbers
    count from ``start``) after the first ``skip``: (number, index in :data:`WAYS` of the
    way that read it, its spans), or (number, None, why it is unreadable). The way that
    read a line moves to the front of ``order``, tried first on the next line. Returns
    the number of lines."""
    number = 0
    with _text(path, start, end) as handle:
        for number, line in enumerate(handle, 1):
            if number <= skip or line.isspace():  # isspace: no copy, unlike strip()
                continue
            try:
                document = jsontext.loads(line)
                with reading.answers_only(answers_only):  # per line: never left set
                    spans, used = _read_line(document, order)
            except _READ_ERRORS as exc:
                yield number, None, _short(exc)
                continue
            if used is not order[0]:
                order.remove(used)
                order.insert(0, used)
            yield number, WAY_INDEX[used], spans
    return number


def _text(path: Path, start: int, end: int | None) -> IO[str]:
    """The file as text, or its bytes ``start:end`` (a chunk ends after a newline, so
    universal newlines split it as they split the whole file)."""
    if end is None:
        return path.open("r", encoding="utf-8-sig", errors="replace")
    with path.open("rb") as raw:
        raw.seek(start)
        data = raw.read(end - start)
    encoding = "utf-8-sig" if start == 0 else "utf-8"
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace")


def _read_line(document: Any, order: list) -> tuple[list[Span], Any]:
    """The spans of one line, and the way (name, reader, wrap) that read it."""
    reasons = []
    for way in order:
        name, reader, wrap = way
        if wrap and not isinstance(document, dict):
            continue
        try:
            trace = reader([[document]] if wrap else [document])
            check_spans(trace.spans)
            return trace.spans, way
        except Declined as exc:
            reasons.append(f"{name}: {exc}")
        except (TypeError, KeyError, AttributeError, ValueError) as exc:
            reasons.append(f"{name}: {type(exc).__name__}: {exc}")
    raise Declined("no reader takes this line (" + "; ".join(reasons[:3]) + ")")


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."
