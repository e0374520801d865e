"""Prompt templates and render-hook results: what a case's CURRENT prompt renders to.

A case with ``prompt:`` is replayed on what the code under review renders today, not on
the frozen ``request.messages`` of the trace, so a pull request that edits a prompt is
exercised by every case that uses it.

Templates are substitution only: ``{{name}}`` (spaces allowed, as in Langfuse and
Latitude) is replaced by the variable's text in one pass; nothing is evaluated, and
template syntax inside a variable's value (trace text) is inserted literally. Anything
else between ``{{`` and ``}}`` is an error, never silently sent to the model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_regressions.casefile import yamlio
from llm_regressions.casefile.yamlio import format_path

#: A slot: ``{{name}}`` / ``{{ name }}``. Any other ``{{...}}`` is refused.
SLOT = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_OPENING = re.compile(r"\{\{")
#: Keys a template file may hold besides ``messages``.
TEMPLATE_KEYS = ("messages", "params", "tools", "tool_choice", "response_format")
MAX_TEMPLATE_BYTES = 1024 * 1024


class PromptError(Exception):
    """The current prompt cannot be built; ``str()`` is the located, user-facing message."""


@dataclass
class Rendered:
    """A rendered prompt: what replaces the frozen request, and which version it is.

    ``None`` fields were not given by the template/hook: the case's own values stay."""

    messages: list[dict[str, Any]]
    identity: str
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Template:
    """A parsed template file: its data, where each slot is, and its version hash."""

    display: str
    data: dict[str, Any]
    slots: dict[str, int]
    digest: str


def load_template(path: Path, display: str) -> Template:
    """Read and check a template file (safe YAML). Raises :class:`PromptError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PromptError(f"{display}: cannot read the template: {exc.strerror or exc}") from None
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise PromptError(f"{display}: template is larger than 1 MB")
    try:
        data, lines = yamlio.load(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PromptError(f"{display}: the template is not valid UTF-8") from None
    except yamlio.YamlSyntaxError as exc:
        raise PromptError(f"{display}:{exc.line or 1}: invalid YAML: {exc.message}") from None
    listed = isinstance(data, list)
    if listed:
        data = {"messages": data}

    def line_of(where: tuple) -> int:
        # a bare list of messages is read as ``messages:``; its lines have no such key
        return lines.line_of(where[1:] if listed and where[:1] == ("messages",) else where)

    _check_shape(data, line_of, display)
    slots: dict[str, int] = {}
    for where, text in _strings(data, ()):
        line = line_of(where)
        for match in _OPENING.finditer(text):
            slot = SLOT.match(text, match.start())
            if slot is None:
                snippet = text[match.start() : match.start() + 30].split("}}")[0] + "}}"
                raise PromptError(
                    f"{display}:{line}: {format_path(where)}: unsupported template syntax "
                    f"{snippet!r}: only {{{{name}}}} slots are filled (no expressions)"
                )
            slots.setdefault(slot.group(1), line)
    digest = hashlib.sha256(raw).hexdigest()[:12]
    return Template(display, data, slots, digest)


def _check_shape(data: Any, line_of: Callable[[tuple], int], display: str) -> None:
    if not isinstance(data, dict) or "messages" not in data:
        raise PromptError(
            f"{display}:1: a template is a list of chat messages, or a mapping with "
            f"'messages' (and optionally {', '.join(TEMPLATE_KEYS[1:])})"
        )
    for key in data:
        if key not in TEMPLATE_KEYS:
            raise PromptError(
                f"{display}:{line_of((key,))}: {key}: unknown key; a template holds "
                + ", ".join(TEMPLATE_KEYS)
            )
    problem = messages_problem(data["messages"])
    if problem is not None:
        where, message = problem
        raise PromptError(f"{display}:{line_of(where)}: {format_path(where)}: {message}")
    for key, kind in (("params", dict), ("tools", list), ("response_format", dict)):
        if key in data and not isinstance(data[key], kind):
            raise PromptError(f"{display}:{line_of((key,))}: {key}: expected a {kind.__name__}")


def messages_problem(messages: Any) -> tuple[tuple, str] | None:
    """Where and why ``messages`` is not a list of OpenAI chat messages, or None."""
    from pydantic import ValidationError

    from llm_regressions.casefile.model import Message

    if not isinstance(messages, list) or not messages:
        return ("messages",), "expected a non-empty list of chat messages"
    for index, message in enumerate(messages):
        try:
            Message.model_validate(message)
        except ValidationError as exc:
            error = exc.errors(include_url=False)[0]
            loc = ("messages", index, *(p for p in error["loc"] if isinstance(p, (str, int))))
            return loc, error["msg"].removeprefix("Value error, ")
    return None


def _strings(node: Any, where: tuple) -> list[tuple[tuple, str]]:
    """Every string in ``node`` with its path (keys of mappings are not templated)."""
    if isinstance(node, str):
        return [(where, node)]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in _strings(v, (*where, k))]
    if isinstance(node, list):
        return [s for i, v in enumerate(node) for s in _strings(v, (*where, i))]
    return []


def variable_text(value: Any) -> str:
    """How a variable is written into a slot: text as is, numbers as written, anything
    else (lists, mappings, booleans, null) as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        # One pass over the template text: a value containing {{x}} stays literal.
        return SLOT.sub(lambda m: values[m.group(1)], node)
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    return node


def variable_problems(template: Template, variables: dict[str, Any]) -> list[tuple[str, str]]:
    """Missing and unused variables as (name, message) pairs (empty when they match)."""
    problems = [
        (name, f"missing variable {name!r} (used at {template.display}:{line})")
        for name, line in template.slots.items()
        if name not in variables
    ]
    problems += [
        (name, f"unused variable {name!r}: {template.display} has no {{{{{name}}}}} slot")
        for name in variables
        if name not in template.slots
    ]
    return problems


def render_template(template: Template, variables: dict[str, Any]) -> Rendered:
    """Fill the slots. The variables must match the slots (see variable_problems)."""
    values = {name: variable_text(variables[name]) for name in template.slots}
    data = _fill(template.data, values)
    return _rendered(data, data["messages"], f"{template.display}@{template.digest}")


def _rendered(data: dict[str, Any], messages: list[dict[str, Any]], identity: str) -> Rendered:
    return Rendered(
        messages=messages,
        identity=identity,
        tools=data.get("tools"),
        tool_choice=data.get("tool_choice"),
        response_format=data.get("response_format"),
        params=dict(data.get("params") or {}),
    )


# -- render hooks ----------------------------------------------------------------------


def rendered_from_hook(reference: str, value: Any) -> Rendered:
    """What a render hook returned -> Rendered. Raises PromptError on a wrong shape."""
    data = value if isinstance(value, dict) else {"messages": value}
    unknown = [k for k in data if k not in TEMPLATE_KEYS]
    if unknown or "messages" not in data:
        raise PromptError(
            f"{reference} returned {type(value).__name__}"
            + (f" with unknown key(s) {unknown}" if unknown else " without 'messages'")
            + ": return a list of chat messages or a dict with "
            + ", ".join(TEMPLATE_KEYS)
        )
    messages = [_plain(m) for m in data["messages"]] if isinstance(data["messages"], list) else []
    problem = messages_problem(messages)
    if problem is not None:
        where, message = problem
        raise PromptError(f"{reference} returned bad messages: {format_path(where)}: {message}")
    digest = hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()[:12]
    return _rendered(data, messages, f"{reference}@{digest}")


def _plain(message: Any) -> Any:
    """Message objects (pydantic, TypedDict-likes) -> plain dicts."""
    if hasattr(message, "model_dump"):
        return message.model_dump(exclude_none=True)
    return message
