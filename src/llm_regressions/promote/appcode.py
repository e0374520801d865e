"""Promotion onto the current code: ``--promote-template``, ``--promote-render`` and
``--promote-target``.

The variables come from what the trace recorded as the input of the prompt-assembly span
(OpenLLMetry ``traceloop.entity.input``, OpenInference ``input.value``, Langfuse
observation input); a target's input from the root span. Decorator-style inputs
(``{"args": [...], "kwargs": {...}}``) and a bare positional value are bound to names by
the hook's signature, or by the order of the template's slots; rendering the variables
then has to reproduce the recorded messages, or the difference is shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_regressions import usercode
from llm_regressions.fsutil import display_path
from llm_regressions.promote.build import recorded_call
from llm_regressions.promote.errors import USAGE, PromoteError
from llm_regressions.prompts.diff import message_diff
from llm_regressions.prompts.template import (
    PromptError,
    load_template,
    render_template,
    rendered_from_hook,
    variable_problems,
)
from llm_regressions.traces.model import Span, Trace


def _refused(message: str) -> PromoteError:
    """The flags name app code that does not fit the trace: a usage error."""
    return PromoteError(message, USAGE)


@dataclass
class AppCode:
    """What the user asked to promote onto (at most one of the three)."""

    template: str | None = None  # as given, relative to the invocation folder
    render: str | None = None
    target: str | None = None
    root: Path | None = None  # the rootdir templates are stored relative to
    invocation: Path | None = None

    @property
    def wanted(self) -> bool:
        return bool(self.template or self.render or self.target)


def attach(trace: Trace, span: Span, data: dict[str, Any], code: AppCode) -> list[str]:
    """Add ``prompt:`` or ``target:``/``input:`` to the case ``data``; returns the lines
    to print. Raises PromoteError."""
    given = [flag for flag in (code.template, code.render, code.target) if flag]
    if len(given) > 1:
        raise _refused("use one of --promote-template, --promote-render, --promote-target")
    lines = _attach(trace, span, data, code)
    # keep the new sections next to the request they stand in for
    order = ["request", "prompt", "target", "input"]
    moved = {k: data.pop(k) for k in order[1:] if k in data}
    rebuilt = {}
    for key, value in data.items():
        rebuilt[key] = value
        if key == "request":
            rebuilt.update(moved)
    data.clear()
    data.update(rebuilt)
    return lines


def _attach(trace: Trace, span: Span, data: dict[str, Any], code: AppCode) -> list[str]:
    if code.target:
        return _attach_target(trace, span, data, code.target)
    source = prompt_span(trace, span)
    if source is None:
        raise _refused(
            f"no span before {span.name!r} recorded the prompt-assembly input, so there "
            "are no variables to render; write the prompt: section by hand"
        )
    lines = [f"variables from span {source.name!r} ({source.span_id})"]
    if code.template:
        rendered, variables, reference, note = _from_template(source.input, code)
        data["prompt"] = {"template": reference, "variables": variables}
    else:
        rendered, variables, note = _from_hook(source.input, code.render or "")
        data["prompt"] = {"render": code.render, "variables": variables}
    lines += [note] if note else []
    diff = message_diff(data["request"]["messages"], rendered)
    if diff:
        lines += [
            "warning: rendering the current prompt does not reproduce the recorded "
            "messages (the prompt changed since, or the variables differ):",
            *("  " + line for line in diff.splitlines()),
        ]
    else:
        lines.append("verified: the current prompt renders the recorded messages exactly")
    return lines


def prompt_span(trace: Trace, llm: Span) -> Span | None:
    """The span that assembled the LLM span's prompt: the latest span before it, in the
    same trace, whose name mentions 'prompt' and which recorded an input; else the LLM
    span's parent, when it recorded one."""
    before = [s for s in trace.before(llm) if s.llm is None and s.input is not None]
    named = [s for s in before if "prompt" in s.name.lower()]
    if named:
        return max(named, key=lambda s: s.sort_key)
    return next((s for s in before if s.span_id == llm.parent_id), None)


def root_span(trace: Trace, span: Span) -> Span:
    """The topmost ancestor of ``span`` (the app's entry point call)."""
    ancestors = trace.ancestors(span)
    return ancestors[-1] if ancestors else span


def split_input(value: Any) -> tuple[list[Any], dict[str, Any]]:
    """A recorded call input -> (positional, keyword) arguments."""
    if isinstance(value, dict) and set(value) <= {"args", "kwargs"} and value:
        args, kwargs = value.get("args") or [], value.get("kwargs") or {}
        if isinstance(args, list) and isinstance(kwargs, dict):
            return list(args), dict(kwargs)
    if isinstance(value, dict):
        return [], dict(value)
    return [value], {}


def bind(value: Any, names: list[str], what: str) -> tuple[dict[str, Any], str | None]:
    """Name the recorded arguments after ``names`` (parameters or slots, in order)."""
    args, kwargs = split_input(value)
    if not args:
        return kwargs, None
    free = [n for n in names if n not in kwargs]
    if len(args) > len(free):
        raise _refused(
            f"the trace recorded {len(args)} positional argument(s) but {what} has only "
            f"{len(free)} name(s) left to bind them to ({', '.join(free) or 'none'})"
        )
    bound = dict(zip(free, args, strict=False))
    note = f"positional argument(s) bound by {what} order: {', '.join(bound)}"
    return {**bound, **kwargs}, note


def _resolve(reference: str, flag: str) -> Any:
    try:
        return usercode.resolve_callable(reference)
    except usercode.UserCodeError as exc:
        raise _refused(f"{flag}: {exc}") from None


def _from_template(value: Any, code: AppCode) -> tuple[list, dict, str, str | None]:
    path = (code.invocation or Path.cwd()) / (code.template or "")
    reference = display_path(path, code.root)
    try:
        template = load_template(path, reference)
    except PromptError as exc:
        raise _refused(f"--promote-template: {exc}") from None
    variables, note = bind(value, list(template.slots), "the template's slot")
    problems = variable_problems(template, variables)
    if problems:
        raise _refused(
            "--promote-template: the recorded input does not fit the template:\n  "
            + "\n  ".join(message for _, message in problems)
            + f"\nrecorded input: {json.dumps(value, ensure_ascii=False, default=str)[:300]}"
        )
    return render_template(template, variables).messages, variables, reference, note


def _from_hook(value: Any, reference: str) -> tuple[list, dict, str | None]:
    function = _resolve(reference, "--promote-render")
    variables, note = bind(value, usercode.parameter_names(function), "the function's parameter")
    try:
        rendered = rendered_from_hook(reference, usercode.call(function, variables))
    except PromptError as exc:
        raise _refused(f"--promote-render: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - the app's hook failed on the trace's input
        raise _refused(
            f"--promote-render: {reference} raised {type(exc).__name__}: {exc}"
        ) from None
    return rendered.messages, variables, note


def _attach_target(trace: Trace, span: Span, data: dict[str, Any], reference: str) -> list[str]:
    """``target:``/``input:`` from the root span; ``observed`` becomes what the app
    returned (the root span's output) and every tool call the trace's LLM spans made,
    which is what a target's checks see."""
    function = _resolve(reference, "--promote-target")
    root = root_span(trace, span)
    if root.input is None:
        raise _refused(
            f"the root span {root.name!r} ({root.span_id}) recorded no input to call "
            f"{reference} with"
        )
    kwargs, note = bind(root.input, usercode.parameter_names(function), "the function's parameter")
    data["target"] = reference
    data["input"] = kwargs
    observed = data.setdefault("observed", {})
    if root.output is not None:
        output = root.output
        observed["output"] = output if isinstance(output, str) else json.dumps(output)
    calls = [
        c
        for s in sorted(trace.llm_spans(), key=lambda s: s.sort_key)
        if s.trace_id == span.trace_id
        for c in s.llm.tool_calls
    ]
    if calls:
        observed["tool_calls"] = [recorded_call(c) for c in calls]
    lines = [f"input from the root span {root.name!r} ({root.span_id})"]
    return lines + ([note] if note else [])
