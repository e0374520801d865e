"""``pytest --llm-inspect-trace BAD --llm-known-good GOOD``: the failing trace next to a
known-good trace of the same workflow, step by step (issue 11, item 3).

The two span trees are aligned level by level: siblings of the same kind and name pair
up (model calls also across names, which often carry the model), preferring pairs that
got the same input; spans only one trace has are shown as such. At each step the input,
the output, the model, the status, the tokens and the latency are compared, and the
first span (by end time) that got the same input and still gave a different output is
marked: where the two runs part ways on their own, not because upstream fed them
something else.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

from llm_regressions.diagnose.excerpts import around_difference, comparable
from llm_regressions.traces.model import LLM, Span, Trace
from llm_regressions.traces.redact import Redactor
from llm_regressions.traces.tree import ordered

#: Keys that differ from run to run without meaning anything (tool call ids).
RUN_IDS = frozenset({"id", "tool_call_id", "call_id"})
#: Sibling lists larger than this (cells of the pairing table) pair by name only.
MAX_CELLS = 250_000
#: Latencies this many times apart are reported as a difference.
LATENCY_RATIO = 2.0
MAX_NAME = 40
EXCERPT = 120


@dataclass
class Step:
    """One span with what is compared about it, computed once."""

    span: Span
    input: str
    output: str
    model: str | None
    served: str | None
    tokens: str | None


@dataclass
class Row:
    depth: int
    bad: Step | None
    good: Step | None

    @property
    def same_input(self) -> bool:
        return bool(self.bad and self.good and self.bad.input and self.bad.input == self.good.input)

    @property
    def same_output(self) -> bool:
        return bool(self.bad and self.good and self.bad.output == self.good.output)


def step(span: Span) -> Step:
    """What a span got and gave: a model call's messages, tools and response format and
    its text and tool calls (per-run ids left out); any other span's recorded input and
    output, else its tool arguments/result or retrieval query/documents."""
    call = span.llm
    if call is not None:
        got = {"messages": call.messages, "tools": call.tools, "format": call.response_format}
        gave = {"text": call.output, "tool_calls": call.tool_calls} if call.has_output else None
        counts = call.usage or {}
        tokens = f"{counts.get('prompt_tokens', '?')}+{counts.get('completion_tokens', '?')}"
        got_text, gave_text = comparable(got, RUN_IDS), comparable(gave, RUN_IDS)
        model = call.request_model or call.response_model
        return Step(span, got_text, gave_text, model, call.response_model, tokens)
    got, gave = span.input, span.output
    if span.tool is not None:
        got = got if got is not None else span.tool.arguments
        gave = gave if gave is not None else span.tool.result
    if span.retrieval is not None:
        got = got if got is not None else span.retrieval.query
        gave = gave if gave is not None else span.retrieval.documents
    return Step(span, comparable(got), comparable(gave), None, None, None)


def align(bad: Trace, good: Trace) -> list[Row]:
    """Both span trees as one list of rows, depth-first, bad trace's order first."""
    bad_kids, good_kids = _children(bad), _children(good)
    rows: list[Row] = []
    stack = [(0, pair) for pair in reversed(_pair(bad_kids[None], good_kids[None]))]
    while stack:
        depth, (b, g) = stack.pop()
        rows.append(Row(depth, b, g))
        kids = _pair(
            bad_kids.get(id(b.span), []) if b else [], good_kids.get(id(g.span), []) if g else []
        )
        stack.extend((depth + 1, pair) for pair in reversed(kids))
    return rows


def _children(trace: Trace) -> dict[int | None, list[Step]]:
    """Each span's children (key: ``id(span)``; roots under None), in time order."""
    kids: dict[int | None, list[Step]] = {None: []}
    path: list[Span] = []
    for depth, span in ordered(trace):
        del path[depth:]
        kids.setdefault(id(path[-1]) if path else None, []).append(step(span))
        path.append(span)
    return kids


def _weight(b: Step, g: Step) -> int:
    """How well two siblings pair (0: they do not)."""
    same_name = b.span.name == g.span.name
    if b.span.kind != g.span.kind or not (same_name or b.span.kind == LLM):
        return 0
    return 1 + same_name + (b.model == g.model) + 2 * bool(b.input and b.input == g.input)


def _pair(bad: list[Step], good: list[Step]) -> list[tuple[Step | None, Step | None]]:
    """The best order-keeping pairing of two sibling lists (a weighted longest common
    subsequence); unpaired spans come out alone, where they fall."""
    n, m = len(bad), len(good)
    if not n or not m or n * m > MAX_CELLS:
        return _pair_by_name(bad, good)
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            w = _weight(bad[i], good[j])
            best[i][j] = max(best[i + 1][j], best[i][j + 1], w + best[i + 1][j + 1] if w else 0)
    pairs: list[tuple[Step | None, Step | None]] = []
    i = j = 0
    while i < n and j < m:
        w = _weight(bad[i], good[j])
        if w and best[i][j] == w + best[i + 1][j + 1]:
            pairs.append((bad[i], good[j]))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            pairs.append((bad[i], None))
            i += 1
        else:
            pairs.append((None, good[j]))
            j += 1
    return pairs + [(b, None) for b in bad[i:]] + [(None, g) for g in good[j:]]


def _pair_by_name(bad: list[Step], good: list[Step]) -> list[tuple[Step | None, Step | None]]:
    """Huge sibling lists (a flat agent loop): pair equal (kind, name) runs only."""
    keys = difflib.SequenceMatcher(
        None,
        [(s.span.kind, s.span.name) for s in bad],
        [(s.span.kind, s.span.name) for s in good],
        autojunk=False,
    )
    pairs: list[tuple[Step | None, Step | None]] = []
    for tag, i1, i2, j1, j2 in keys.get_opcodes():
        if tag == "equal":
            pairs += zip(bad[i1:i2], good[j1:j2], strict=True)
        else:
            pairs += [(b, None) for b in bad[i1:i2]] + [(None, g) for g in good[j1:j2]]
    return pairs


def first_divergence(rows: list[Row]) -> Row | None:
    """The row whose bad span ended first among those that got the same input as their
    known-good twin and gave a different output."""
    parted = [r for r in rows if r.same_input and not r.same_output]
    return min(parted, key=lambda r: r.bad.span.end_ns or 0, default=None)


def render(bad: Trace, good: Trace, shown: tuple[str, str], redactor: Redactor) -> str:
    """The comparison report; ``shown`` are the two files as the user named them."""
    rows = align(bad, good)
    marked = first_divergence(rows)
    lines = [
        f"known-good comparison: {shown[0]} ({len(bad.spans)} span(s)) against "
        f"{shown[1]} ({len(good.spans)} span(s)), spans aligned by kind and name",
        "  ".join([f"  {'kind':<9}", f"{'span':<{MAX_NAME}}", "input    output   other"]),
    ]
    lines += [_row(r, r is marked, redactor) for r in rows]
    lines += _details(rows, redactor)
    lines += ["", *_verdict(rows, marked, redactor)]
    return redactor.text("\n".join(lines) + "\n")[0]


def _row(row: Row, marked: bool, redactor: Redactor) -> str:
    """A step: ``>`` marks the first divergence, ``-`` a span only the failing trace
    has, ``+`` one only the known-good trace has."""
    either = row.bad or row.good
    sign = ">" if marked else "-" if row.good is None else "+" if row.bad is None else " "
    name = ("  " * row.depth + redactor.text(either.span.name)[0])[
        : MAX_NAME + 2 * min(row.depth, 6)
    ]
    head = f"{sign} {either.span.kind:<9}  {name:<{MAX_NAME}}"
    if row.bad is None or row.good is None:
        where = "failing" if row.good is None else "known-good"
        return f"{head}  only in the {where} trace ({_facts(either)})"
    got = "same" if row.same_input else "-" if not (row.bad.input or row.good.input) else "differs"
    gave = "same" if row.same_output else "differs"
    return f"{head}  {got:<7}  {gave:<7}  {'  '.join(_others(row.bad, row.good))}".rstrip()


def _facts(s: Step) -> str:
    span = s.span
    status = {"error": "ERROR", "ok": "ok", "unset": "status unset"}[span.status]
    return ", ".join(x for x in (s.model, status) if x)


def _others(b: Step, g: Step) -> Iterator[str]:
    """The differences besides input and output, each as ``what bad / good``."""
    if b.model != g.model:
        yield f"model {b.model or '?'} / {g.model or '?'}"
    elif b.served != g.served:
        yield f"served {b.served or '?'} / {g.served or '?'}"
    if b.span.status != g.span.status:
        yield f"status {b.span.status} / {g.span.status}"
    if b.tokens != g.tokens:
        yield f"tokens {b.tokens} / {g.tokens}"
    fast, slow = sorted([b.span.latency_ms or 0.0, g.span.latency_ms or 0.0])
    if slow >= LATENCY_RATIO * max(fast, 1.0):
        yield f"latency {b.span.latency_ms or 0:.0f} / {g.span.latency_ms or 0:.0f} ms"


def _details(rows: list[Row], redactor: Redactor) -> Iterator[str]:
    """Where input or output differ: both texts from just before the first difference."""
    for row in rows:
        if row.bad is None or row.good is None:
            continue
        which = [("input", row.bad.input, row.good.input)] if not row.same_input else []
        which += [("output", row.bad.output, row.good.output)] if not row.same_output else []
        for what, b, g in which:
            if not (b or g):
                continue
            b_text, g_text = around_difference(redactor.text(b)[0], redactor.text(g)[0], EXCERPT)
            yield ""
            yield f"{row.bad.span.name} ({row.bad.span.span_id}): {what} differs"
            yield f"  failing:    {b_text or '(none recorded)'}"
            yield f"  known-good: {g_text or '(none recorded)'}"


def _verdict(rows: list[Row], marked: Row | None, redactor: Redactor) -> list[str]:
    if marked is not None:
        span = marked.bad.span
        error = f", ended in an error: {span.status_message}" if span.status_message else ""
        return [
            f"first span that got the same input and gave a different output: "
            f"{redactor.text(span.name)[0]} ({span.span_id}), {span.kind} span{error}",
            "everything before it matches: start there",
        ]
    differing = [r for r in rows if r.bad and r.good and not (r.same_input and r.same_output)]
    lonely = [r for r in rows if r.bad is None or r.good is None]
    if not differing and not lonely:
        return ["the two traces match at every step: the failure is not in what they recorded"]
    first = min(differing, key=lambda r: r.bad.span.start_ns or 0, default=None)
    where = (
        f"; the first step that differs is {first.bad.span.name} ({first.bad.span.span_id}), "
        "fed a different input: look upstream of it (the trace's own input?)"
        if first
        else ""
    )
    return ["no span got the same input and gave a different output" + where]
