"""``pytest --llm-inspect-trace FILE``: the span tree in time order, then the failure
signals and the first suspect span. Pure text building; the caller prints it, after
the redaction a promoted case gets (names, sessions and messages are trace content)."""

from __future__ import annotations

from llm_regressions.traces.detect import describe_format
from llm_regressions.traces.model import Span, Trace
from llm_regressions.traces.redact import Redactor
from llm_regressions.traces.signals import Signal, diagnose
from llm_regressions.traces.tree import ordered
from llm_regressions.traces.values import ns_to_iso

MAX_NAME = 40
#: Column titles, aligned with :func:`_row` (a ``!`` before the kind marks a span a
#: signal points at).
HEADER = "  ".join(
    [f"  {'kind':<9}", f"{'span':<{MAX_NAME}}", f"{'latency':>11}", f"{'tokens':>12}"]
    + [f"{'status':<5}", "model (asked -> served)  finish"]
)


def render(trace: Trace, display: str, redactor: Redactor | None = None) -> str:
    """The whole report for one file (every trace in it)."""
    redactor = redactor or Redactor()
    signals = diagnose(trace)
    ids = trace.trace_ids()
    lines = [
        f"{display}: read as {describe_format(trace)}, {len(trace.spans)} span(s), "
        f"{len(ids)} trace(s)"
    ]
    lines += [f"note: {n}" for n in trace.notes]
    by_trace: dict[str, list[Signal]] = {}
    for signal in signals:
        by_trace.setdefault(signal.span.trace_id, []).append(signal)
    flagged = {id(s.span) for s in signals}
    rows = ordered(trace)
    for trace_id in ids:
        first = next(s for _, s in rows if s.trace_id == trace_id)
        session = f"  session {first.session_id}" if first.session_id else ""
        lines += ["", f"trace {trace_id}  started {ns_to_iso(first.start_ns) or '?'}{session}"]
        lines.append(HEADER)
        for depth, span in rows:
            if span.trace_id == trace_id:
                lines.append(_row(depth, span, id(span) in flagged, redactor))
                lines += _losses(depth, span)
        lines += _signals(by_trace.get(trace_id, []))
    return redactor.text("\n".join(lines) + "\n")[0]


def _row(depth: int, span: Span, flagged: bool, redactor: Redactor) -> str:
    """One span; its name and error message are redacted before they are cut short, so
    a cut cannot leave part of a secret that no longer matches its pattern."""
    name = ("  " * depth + redactor.text(span.name)[0])[: MAX_NAME + 2 * min(depth, 6)]
    latency = f"{span.latency_ms:8.0f} ms" if span.latency_ms is not None else "       - ms"
    status = {"error": "ERROR", "ok": "ok", "unset": "-"}[span.status]
    parts = [f"{'!' if flagged else ' '} {span.kind:<9}", f"{name:<{MAX_NAME}}", latency]
    if span.llm is not None:
        call = span.llm
        counts = call.usage or {}
        tokens = f"{counts.get('prompt_tokens', '?')}+{counts.get('completion_tokens', '?')} tok"
        model = call.request_model or "?"
        if call.response_model and call.response_model != call.request_model:
            model = f"{model} -> {call.response_model}"
        parts += [f"{tokens:>12}", f"{status:<5}", model, f"finish={call.finish_reason or '?'}"]
    else:
        parts += [" " * 12, status]
    if span.is_error and span.status_message:
        parts.append(f"({redactor.text(span.status_message)[0][:60]})")
    return "  ".join(parts).rstrip()


def _losses(depth: int, span: Span) -> list[str]:
    """What the trace recorded about this call that a promoted case would not carry."""
    if span.llm is None or not span.llm.not_carried:
        return []
    return [f"{' ' * (12 + 2 * min(depth, 6))}not carried: {', '.join(span.llm.not_carried)}"]


def _signals(signals: list[Signal]) -> list[str]:
    if not signals:
        return ["", "no failure signals found in this trace"]
    lines = ["", f"signals ({len(signals)}):"]
    for signal in signals:
        where = f"{signal.span.name} ({signal.span.span_id})"
        lines.append(f"  [{signal.code}] {where}: {signal.message}")
        lines.append(f"      likely cause: {signal.cause}")
    first = signals[0]
    lines += [
        "",
        f"first suspect span: {first.span.name} ({first.span.span_id}), {first.span.kind} "
        f"span: {first.code}",
    ]
    return lines
