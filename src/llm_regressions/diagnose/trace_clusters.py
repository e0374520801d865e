"""``pytest --llm-inspect-trace DIR`` (or several files): the failing LLM spans of every
trace, grouped by pattern into failure clusters (issue 11, item 2; the trace half).

A span fails when a failure signal (traces/signals.py) points at it. Its pattern is its
label (its own first signal, else the first upstream one that points at it), the set of
signals that fired, and its output text:
near-duplicate outputs share a cluster (:mod:`llm_regressions.neardup`, the similarity
the run's clusters use). Files are read one at a time and summarised; only one
representative per cluster is kept, so memory does not grow with the directory.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from llm_regressions.diagnose.excerpts import one_line
from llm_regressions.neardup import Group, NearDuplicates
from llm_regressions.traces import TraceError, read_trace
from llm_regressions.traces.model import Span, Trace
from llm_regressions.traces.redact import Redactor
from llm_regressions.traces.signals import Signal, diagnose, first_llm_after

#: What a folder's trace files end with; other files in it are counted as skipped.
TRACE_SUFFIXES = (".json", ".jsonl", ".ndjson")
EXCERPT = 100
REASON = 200


@dataclass
class Representative:
    """What the report shows of a cluster's first span (the trace itself is dropped)."""

    display: str
    span_id: str
    name: str
    output: str
    promotable: bool
    suggests_checks: bool


@dataclass
class Inspected:
    """The running totals over every file."""

    groups: NearDuplicates
    files: int = 0
    llm_spans: int = 0
    failing: int = 0
    orphan_signals: int = 0


def trace_files(targets: list[tuple[Path, str]]) -> tuple[list[tuple[Path, str]], list[str]]:
    """(path, display) of every trace file named or inside a named folder (recursively,
    sorted; a file named twice counts once), and the displays of the folder files
    skipped for their suffix."""
    files, skipped, seen = [], [], set()
    for path, display in targets:
        found = [(path, display)]
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file())
            found = [(f, str(Path(display) / f.relative_to(path))) for f in inside]
        for file, shown in found:
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            if file is path or file.suffix.lower() in TRACE_SUFFIXES:
                files.append((file, shown))
            else:
                skipped.append(shown)
    return files, skipped


def blamed(trace: Trace) -> tuple[list[tuple[Span, list[Signal]]], int]:
    """Each failing LLM span with its signals, in time order, and the number of signals
    no LLM span answers for. A signal on another span counts against the LLM call it fed
    (the first one after it that answered, else the first one after it), else the last
    call before it (a parser, a workflow error)."""
    llm_spans = sorted(trace.llm_spans(), key=lambda s: s.sort_key)
    answered = [s for s in llm_spans if s.llm.has_output]
    spans: dict[int, tuple[Span, list[Signal]]] = {}
    orphans = 0
    for signal in diagnose(trace):
        span = (
            first_llm_after(signal, answered)
            or first_llm_after(signal, llm_spans)
            or _last_before(signal, llm_spans)
        )
        if span is None:
            orphans += 1
        else:
            spans.setdefault(id(span), (span, []))[1].append(signal)
    return sorted(spans.values(), key=lambda pair: pair[0].sort_key), orphans


def _last_before(signal: Signal, llm_spans: list[Span]) -> Span | None:
    end, trace_id = signal.span.end_ns or 0, signal.span.trace_id
    before = [s for s in llm_spans if s.trace_id == trace_id and (s.start_ns or 0) <= end]
    return before[-1] if before else None


def answer_text(span: Span) -> str:
    """What the call produced: its text, else its tool calls, else its error message."""
    call = span.llm
    if call.output and call.output.strip():
        return call.output
    if call.tool_calls:
        named = (c.get("function") or {} for c in call.tool_calls)
        return " ".join(f"{f.get('name')}({_text(f.get('arguments'))})" for f in named)
    return span.status_message or ""


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def inspect_files(files: list[tuple[Path, str]], redactor: Redactor) -> tuple[Inspected, list[str]]:
    """Read and summarise each file in turn; unreadable ones become one line each."""
    seen = Inspected(NearDuplicates(keep_members=False))
    unreadable = []
    for path, display in files:
        try:
            trace = read_trace(path)
        except TraceError as exc:
            unreadable.append(f"{display}: {_reason(str(exc), path)}")
            continue
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            unreadable.append(f"{display}: unexpected {type(exc).__name__}: {exc}")
            continue
        _summarise(trace, display, seen, redactor)
    return seen, unreadable


def _reason(message: str, path: Path) -> str:
    """The reader's message without the path it starts with, on one line."""
    first = message.removeprefix(f"{path}: ").splitlines()[0]
    if first.endswith(":"):  # a list follows ("Formats tried:"): too long for one line
        first = first.rsplit(". ", 1)[0] + " (inspect the file alone for the details)"
    return one_line(first, REASON)


def _summarise(trace: Trace, display: str, seen: Inspected, redactor: Redactor) -> None:
    seen.files += 1
    seen.llm_spans += len(trace.llm_spans())
    failing, orphans = blamed(trace)
    seen.orphan_signals += orphans
    for span, signals in failing:
        codes = list(dict.fromkeys(s.code for s in signals))
        own = next((s.code for s in signals if s.span is span), codes[0])
        key = (own, tuple(sorted(codes)))
        text = answer_text(span)
        group = seen.groups.add(key, text, None)
        if group.size == 1:  # a new cluster: this span represents it
            group.members[0] = Representative(
                display,
                span.span_id,
                span.name,
                one_line(redactor.text(text)[0], EXCERPT),
                span.llm.has_output,
                any(s.check for s in signals if s.span is span),
            )
        seen.failing += 1


def render(seen: Inspected, unreadable: list[str], skipped: list[str], extra: list[str]) -> str:
    """The clusters, largest first; ``extra`` are flags every promote command repeats."""
    groups = sorted(seen.groups.groups(), key=lambda g: (-g.size, g.key[0]))
    rate = f" ({seen.failing / seen.llm_spans:.0%})" if seen.llm_spans else ""
    lines = [
        f"failure clusters across {seen.files} trace file(s): {seen.llm_spans} LLM span(s), "
        f"{seen.failing} failing{rate} in {len(groups)} cluster(s)"
    ]
    for number, group in enumerate(groups, 1):
        lines += ["", *_cluster(number, group, seen.llm_spans, extra)]
    if seen.orphan_signals:
        lines += [
            "",
            f"{seen.orphan_signals} signal(s) in traces without an LLM span, not "
            "clustered (see each file with --llm-inspect-trace FILE)",
        ]
    if unreadable:
        lines += ["", f"unreadable file(s), not counted ({len(unreadable)}):"]
        lines += [f"  {line}" for line in unreadable]
    if skipped:
        shown = ", ".join(skipped[:5]) + (
            f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        )
        lines += [
            "",
            f"skipped {len(skipped)} file(s) not ending in {'/'.join(TRACE_SUFFIXES)}: {shown}",
        ]
    return "\n".join(lines) + "\n"


def _cluster(number: int, group: Group, total: int, extra: list[str]) -> Iterator[str]:
    label, codes = group.key
    first: Representative = group.members[0]
    share = group.size / total if total else 0.0
    yield (
        f"cluster {number}: {label}  {group.size} span(s), {share:.1%} of LLM spans  "
        f"signals: {', '.join(codes)}"
    )
    yield f"  representative: {first.display}  span {first.span_id} ({first.name})"
    yield f"  output: {first.output or ('(empty)' if first.promotable else '(no output)')}"
    yield f"  promote: {_promote_command(first, label, extra)}"


def _promote_command(first: Representative, label: str, extra: list[str]) -> str:
    if not first.promotable:
        return (
            "not promotable: the call produced no model output (a provider error: test "
            "retries/fallbacks in code)"
        )
    words = ["pytest", f"--promote-trace={first.display}", "--promote-span", first.span_id]
    words += ["--promote-label", label, *extra]
    if first.suggests_checks:
        return shlex.join([*words, "--promote-suggested"])
    return shlex.join(words) + " --promote-check 'not_contains: <wrong fact>'"
