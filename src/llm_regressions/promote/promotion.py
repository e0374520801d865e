"""``pytest --promote-trace FILE``: pick the LLM span, build the case, redact it, verify
that its checks fail on the recorded failure, and write it atomically.

Every refusal is a :class:`PromoteError` with the exit code to use (4 for a usage
mistake, 1 for input that cannot be promoted); nothing is written before all checks
pass.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_regressions.casefile import yamlio
from llm_regressions.casefile.loader import CaseFormatError, load_case_text
from llm_regressions.casefile.model import SnakeCase
from llm_regressions.checks import CheckArgsError
from llm_regressions.checks.registry import build_check
from llm_regressions.fsutil import FileExistsRefused, atomic_write, display_path
from llm_regressions.promote.appcode import AppCode, attach
from llm_regressions.promote.build import NOT_CARRIED, build_case
from llm_regressions.promote.errors import USAGE, PromoteError
from llm_regressions.promote.limits import check_depth, check_size
from llm_regressions.promote.session import as_session, first_llm_span
from llm_regressions.run.failure import render_failure
from llm_regressions.run.verdict import recorded_verdict
from llm_regressions.traces import Trace, TraceError, otlp, read_trace
from llm_regressions.traces.detect import describe_format
from llm_regressions.traces.model import Span
from llm_regressions.traces.providers import routable, unroutable
from llm_regressions.traces.redact import Redactor, summary
from llm_regressions.traces.signals import Signal, diagnose, first_llm_after

_ID = re.compile(r"^(?:0x)?[A-Za-z0-9_-]{1,128}$")


@dataclass
class PromoteRequest:
    trace: Path
    label: str | None
    out_dir: Path
    golden: bool = False
    #: --promote-session: the whole agent run, as a session case
    session: bool = False
    checks: list[str] = field(default_factory=list)
    expected: str | None = None
    suggested: bool = False
    unverified: bool = False
    force: bool = False
    span_id: str | None = None
    trace_id: str | None = None
    redact_patterns: list[str] = field(default_factory=list)
    logs: Path | None = None
    base: Path | None = None  # paths are shown relative to this folder (the cwd)
    #: --promote-template / --promote-render / --promote-target (issue 5)
    app: AppCode = field(default_factory=AppCode)

    def show(self, path: Path) -> str:
        """``path`` as the user typed it: relative to ``base`` when below it."""
        return display_path(path, self.base)


def promote(req: PromoteRequest) -> list[str]:
    """Run a promotion; returns the lines to print. Raises PromoteError.

    What is printed quotes the trace (span names, users, errors, outputs), so it passes
    the same redaction as the case, as one text (a private key spans lines)."""
    label = _label(req.label)
    redactor = redactor_for(req.redact_patterns)
    try:
        lines, data, text = _prepared(req, label, redactor)
    except PromoteError as exc:
        raise PromoteError(redactor.text(str(exc))[0], exc.code) from None
    shown = redactor.text("\n".join(lines))[0].split("\n")
    return shown + _write(req, label, data, text)


def _prepared(
    req: PromoteRequest, label: str, redactor: Redactor
) -> tuple[list[str], dict[str, Any], str]:
    """The lines to print, the redacted case data and its verified text (not written)."""
    user_checks = [_parse_check(text) for text in req.checks]
    expected = _expected(req.expected)
    for value, what in ((req.span_id, "--promote-span"), (req.trace_id, "--promote-trace-id")):
        if value is not None and not _ID.match(value):
            raise PromoteError(f"{what} {value!r} is not a span/trace id", USAGE)
    if req.session and (req.span_id or req.app.target):
        what = "--promote-span" if req.span_id else "--promote-target"
        raise PromoteError(f"--promote-session promotes the whole run: drop {what}", USAGE)
    trace, signals, span, lines = _select(req)
    if req.session:
        span = first_llm_span(trace)
    data, notes = build_case(trace, span, req.trace.name, label, req.golden)
    if req.session:
        lines += as_session(trace, data)
    lines += [n if n.startswith(NOT_CARRIED) else f"note: {n}" for n in notes]
    if req.app.wanted:
        lines += attach(trace, span, data, req.app)
    if not data["request"]["messages"]:
        raise PromoteError(
            f"{_describe(span)} recorded no input messages, so there is nothing to replay"
            + _logs_hint(req, trace)
        )
    if not data["model"]["name"]:
        raise PromoteError(f"{_describe(span)} records no model name, so it cannot be replayed")
    if not routable(data["model"]["name"]):
        raise PromoteError(unroutable(data["model"]["name"], span.llm.provider))
    check_depth(data)
    suggestions = [s.check for s in signals if (s.span is span or req.session) and s.check]
    checks = user_checks + (suggestions if req.suggested else [])
    if not checks:
        raise PromoteError(_no_checks_message(suggestions, req), USAGE)
    if expected is not None:
        data["expected"] = {"output": expected}
    data["checks"] = _unique(checks)
    # last, so that checks and the expected answer (typed, suggested from the trace, or
    # read from a file) are redacted as well as what the trace recorded
    data, findings = redactor.data(data)
    lines += [f"redacted {line}" for line in summary(findings)] or ["redacted: nothing found"]
    if req.force:
        lines += _keep_review(req, label, data)
    return lines, data, _verified(data, req, lines)


def _keep_review(req: PromoteRequest, label: str, data: dict[str, Any]) -> list[str]:
    """``--promote-force`` over a case that exists: keep what a reviewer decided of it
    (``status``, ``golden``; ``--promote-golden`` still makes it golden) and say so."""
    target = _target(req.out_dir, label, data["id"])
    if not target.exists():
        return []
    try:
        (old,) = load_case_text(target.read_text(encoding="utf-8"), target, str(target))
    except (OSError, UnicodeDecodeError, CaseFormatError, ValueError):
        return [f"replacing {req.show(target)} (it does not load: nothing of it is kept)"]
    data["status"] = old.case.status
    data["golden"] = old.case.golden or req.golden
    return [
        f"replacing {req.show(target)}, keeping its status: {data['status']} and "
        f"golden: {str(data['golden']).lower()}"
    ]


def _select(req: PromoteRequest) -> tuple[Trace, list[Signal], Span, list[str]]:
    """Read the file, keep one trace, diagnose it and pick the span to promote."""
    try:
        trace = read_trace(req.trace, req.logs)
    except TraceError as exc:
        raise PromoteError(str(exc)) from None
    trace = _one_trace(trace, req)
    if trace.missing_content and not any(
        s.llm.messages or s.llm.has_output for s in trace.llm_spans()
    ):
        raise PromoteError(f"{req.show(req.trace)}: {trace.missing_content}")
    signals = diagnose(trace)
    span, why = _pick(trace, signals, req)
    lines = [
        f"{req.show(req.trace)}: read as {describe_format(trace)}",
        f"promoting {_describe(span)} ({why})",
    ]
    return trace, signals, span, lines


def _write(req: PromoteRequest, label: str, data: dict[str, Any], text: str) -> list[str]:
    """Write the case atomically, refusing duplicates and overwrites unless forced."""
    target = _target(req.out_dir, label, data["id"])
    _refuse_duplicate(req.out_dir, data["source"]["content_hash"], req.force)
    try:
        atomic_write(target, text, overwrite=req.force)
    except FileExistsRefused:
        raise PromoteError(f"{target} already exists; pass --promote-force to replace it") from None
    except OSError as exc:
        raise PromoteError(f"cannot write {target}: {exc.strerror or exc}") from None
    return [
        f"wrote {req.show(target)}",
        f"next: pytest --llm-regressions --llm-replay recorded {req.show(target)}",
    ]


def _logs_hint(req: PromoteRequest, trace: Trace) -> str:
    """Where content may sit in log records: OTLP/JSON traces only take a logs file."""
    if req.logs or trace.format != otlp.FORMAT:
        return ""
    return " (content in log records? pass --promote-logs LOGS.json)"


def _label(label: str | None) -> str:
    if not label:
        raise PromoteError(
            "--promote-trace needs --promote-label, e.g. --promote-label stale_policy_retrieval",
            USAGE,
        )
    from pydantic import TypeAdapter, ValidationError

    try:
        return TypeAdapter(SnakeCase).validate_python(label)
    except ValidationError as exc:
        message = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise PromoteError(f"--promote-label: {message}", USAGE) from None


def redactor_for(patterns: list[str] | tuple[str, ...]) -> Redactor:
    """The built-in patterns plus the user's; a bad expression is a usage error."""
    try:
        return Redactor(list(patterns))
    except re.error as exc:
        raise PromoteError(
            f"--promote-redact-pattern: invalid regular expression: {exc}", USAGE
        ) from None


def _parse_check(text: str) -> dict[str, Any]:
    """``'not_contains: 30 days'`` (YAML, safe loader) or a bare name for ``name: true``."""
    try:
        value, _ = yamlio.load(text)
    except yamlio.YamlSyntaxError as exc:
        raise PromoteError(
            f"--promote-check {text!r}: invalid YAML: {exc.message}", USAGE
        ) from None
    if isinstance(value, str) and value.isidentifier():
        value = {value: True}
    if not isinstance(value, dict) or len(value) != 1:
        raise PromoteError(
            f"--promote-check {text!r}: write one check as 'name: argument', "
            "e.g. 'not_contains: 30 days'",
            USAGE,
        )
    ((name, arg),) = value.items()
    try:
        build_check(str(name), arg)
    except CheckArgsError as exc:
        raise PromoteError(f"--promote-check {text!r}: {exc.message}", USAGE) from None
    return {str(name): arg}


def _expected(value: str | None) -> str | None:
    if value is None or not value.startswith("@"):
        return value
    path = Path(value[1:])
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PromoteError(
            f"--promote-expected {value}: cannot read {path}: {exc}", USAGE
        ) from None


def _one_trace(trace: Trace, req: PromoteRequest) -> Trace:
    ids = trace.trace_ids()
    if req.trace_id is not None:
        wanted = req.trace_id.lower().removeprefix("0x")
        if wanted not in ids:
            raise PromoteError(
                f"--promote-trace-id {req.trace_id} is not in {req.trace}; it holds: "
                + ", ".join(ids[:20]),
                USAGE,
            )
        return trace.only(wanted)
    if len(ids) > 1 and req.span_id is not None:
        span = trace.find(req.span_id)
        if span is not None:
            return trace.only(span.trace_id)
    if len(ids) > 1:
        listing = "\n".join(
            f"  {tid}  ({sum(1 for s in trace.spans if s.trace_id == tid)} spans)"
            for tid in ids[:50]
        )
        raise PromoteError(
            f"{req.trace} holds {len(ids)} traces; choose one with --promote-trace-id:\n{listing}",
            USAGE,
        )
    return trace


def _describe(span: Span) -> str:
    return f"span {span.name!r} ({span.span_id})"


def _pick(trace: Trace, signals: list[Signal], req: PromoteRequest) -> tuple[Span, str]:
    """--promote-span, else the LLM span the signals point at, else the last LLM span."""
    llm_spans = sorted(trace.llm_spans(), key=lambda s: s.sort_key)
    if not llm_spans:
        raise PromoteError(
            f"no LLM span in this trace ({len(trace.spans)} spans); nothing to promote. "
            "Inspect it with --llm-inspect-trace"
        )
    hint, span_id = _logs_hint(req, trace), req.span_id
    if span_id is not None:
        span = trace.find(span_id)
        if span is None or span.llm is None:
            what = "is not an LLM span" if span else "is not in the trace"
            raise PromoteError(
                f"--promote-span {span_id} {what}; LLM spans:\n{_list(llm_spans)}", USAGE
            )
        return _with_output(span, llm_spans, hint), "chosen with --promote-span"
    for signal in signals:
        span = first_llm_after(signal, llm_spans)
        if span is signal.span:
            return _with_output(span, llm_spans, hint), f"signal {signal.code}"
        if span is not None:
            return _with_output(span, llm_spans, hint), (
                f"first LLM span after the {signal.code} signal in {signal.span.name!r}"
            )
    last = _with_output(llm_spans[-1], llm_spans, hint)
    return last, "last LLM span; no signal points elsewhere"


def _with_output(span: Span, llm_spans: list[Span], logs_hint: str) -> Span:
    """The span itself when it carries model output; else refuse, saying why and which
    spans could be promoted instead."""
    if span.llm.has_output:
        return span
    others = [s for s in llm_spans if s.llm.has_output]
    hint = (
        f"\nPromote a span that carries model output with --promote-span, e.g.:\n{_list(others)}"
        if others
        else "\nNo LLM span in this trace has output."
    )
    if span.llm.no_output and not span.is_error:
        raise PromoteError(f"{_describe(span)} cannot be promoted: {span.llm.no_output}" + hint)
    if not span.is_error:
        raise PromoteError(
            f"{_describe(span)} recorded no model output, so there is nothing to check"
            + logs_hint
            + hint
        )
    raise PromoteError(
        f"{_describe(span)} is a provider error ({span.status_message or 'no output'}): the "
        "model produced no output, so there is no model behaviour to regress on. Handle "
        "provider errors with retries/fallbacks and test those in code." + hint
    )


def _list(spans: list[Span]) -> str:
    return "\n".join(
        f"  {s.span_id}  {s.name}  {s.llm.response_model or s.llm.request_model or ''}"
        f"  {'ERROR' if s.is_error else 'ok'}"
        for s in spans[:50]
    )


def _no_checks_message(suggestions: list[dict[str, Any]], req: PromoteRequest) -> str:
    base = _command(req)
    if suggestions:
        shown = "\n".join(f"  - {yamlio.dump_line(s)}" for s in _unique(suggestions))
        return (
            f"no checks given. Suggested from the signals:\n{shown}\n"
            f"add them with: {base} --promote-suggested"
        )
    return (
        "no checks given and no signal suggests one: say what the correct answer must "
        f"(not) contain, e.g. {base} --promote-check 'not_contains: <wrong fact>'"
    )


def _command(req: PromoteRequest) -> str:
    """The promotion command as it was given, minus its checks: hints build on it."""
    words = ["pytest", "--promote-trace", req.show(req.trace), "--promote-label", req.label]
    valued = [
        ("--promote-span", req.span_id),
        ("--promote-trace-id", req.trace_id),
        ("--promote-logs", req.logs and req.show(req.logs)),
        ("--promote-template", req.app.template),
        ("--promote-render", req.app.render),
        ("--promote-target", req.app.target),
        *(("--promote-redact-pattern", p) for p in req.redact_patterns),
    ]
    words += [word for flag, value in valued if value for word in (flag, value)]
    if req.expected is not None:  # '=' keeps pytest from reading @FILE itself
        words.append(f"--promote-expected={req.expected}")
    switches = [("--promote-golden", req.golden), ("--promote-unverified", req.unverified)]
    words += [flag for flag, given in (*switches, ("--promote-force", req.force)) if given]
    return shlex.join(str(word) for word in words)


def _unique(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, kept = set(), []
    for check in checks:
        key = json.dumps(check, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            kept.append(check)
    return kept


def _verified(data: dict[str, Any], req: PromoteRequest, lines: list[str]) -> str:
    """The YAML text, after the case loads and its checks fail on ``observed``."""
    check_size(data)
    text = yamlio.dump(data)
    check_size(data, text)
    path = req.out_dir / data["label"] / f"{data['id']}.yaml"
    try:
        (loaded,) = load_case_text(text, path, str(path))
    except CaseFormatError as exc:
        raise PromoteError(f"the promoted case does not validate:\n{exc}") from None
    verdict = recorded_verdict(loaded)
    if verdict.ok:
        failing = verdict.runs[0].failing
        lines += [f"verified: fails on observed: {c.describe()} -- {r.reason}" for c, r in failing]
        return text
    if not req.unverified:
        raise PromoteError(
            "refused: the checks do not catch the recorded failure, so the case would not "
            "guard against it (--promote-unverified writes it anyway).\n"
            + render_failure(loaded, verdict)
        )
    data["tags"] = ["unverified"]
    data["description"] += f" UNVERIFIED: {verdict.problem}."
    lines.append(f"warning: written unverified: {verdict.problem}")
    text = yamlio.dump(data)
    check_size(data, text)
    return text


def _target(out_dir: Path, label: str, case_id: str) -> Path:
    target = out_dir / label / f"{case_id}.yaml"
    if not target.resolve().is_relative_to(out_dir.resolve()):
        raise PromoteError(f"refusing to write outside {out_dir}: {target}", USAGE)
    return target


def _refuse_duplicate(out_dir: Path, digest: str, force: bool) -> None:
    if force or not out_dir.is_dir():
        return
    needle = f"content_hash: {digest}"
    for path in out_dir.rglob("*.y*ml"):
        try:
            if needle in path.read_text(encoding="utf-8", errors="replace"):
                raise PromoteError(
                    f"this span was already promoted: {path} has the same content hash "
                    f"({digest}); pass --promote-force to promote it again"
                )
        except OSError:
            continue
