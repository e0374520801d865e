"""The requests a diagnosis sends: the case's exact request at temperature 0, and one
variant per prompt element with that element removed.

Pure functions on a :class:`ProviderRequest` (and the case, for what it names as
context): no model is called here, so every variant, and why one cannot be built, is
testable on its own. A variant that cannot be built is kept, with the reason, so the
report says "not applicable" instead of silently leaving it out.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from llm_regressions.casefile.model import Case
from llm_regressions.replay.request import ProviderRequest

#: The purpose every diagnosis call carries (its own cache entries, never a replay's).
PURPOSE = "diagnose"
#: Template variables whose name says they hold retrieved text (the case's "context").
CONTEXT_NAMES = ("context", "retriev", "document", "docs", "passage", "chunk", "snippet")
#: Shorter values are not looked for in the messages: "5" would match anywhere.
MIN_TEXT = 3

CONTEXT = "context"
SYSTEM = "system"
FEW_SHOT = "few_shot"
TOOLS = "tools"
VARIABLE = "variable:"


@dataclass(frozen=True)
class Variant:
    """The request with one element removed, or (``request`` None) why it cannot be."""

    element: str
    name: str
    request: ProviderRequest | None
    detail: str

    @property
    def applicable(self) -> bool:
        return self.request is not None


def base_request(request: ProviderRequest) -> ProviderRequest:
    """The case's exact request at temperature 0 (its seed, if any, kept): what the
    stability reruns send, and what every variant starts from."""
    params = {**request.params, "temperature": 0}
    return dataclasses.replace(request, params=params, run=0, purpose=PURPOSE)


def runs_of(request: ProviderRequest, count: int) -> list[ProviderRequest]:
    """``count`` independent calls of ``request`` (each its own cache entry)."""
    return [dataclasses.replace(request, run=run) for run in range(count)]


def variants(request: ProviderRequest, case: Case, called: Iterable[str]) -> list[Variant]:
    """Every ablation of ``request`` (from :func:`base_request`), in the order the
    attribution prefers them. ``called``: the tools the model called in its runs."""
    found = [
        _variant(CONTEXT, "the retrieved context", request, *without_context(request, case)),
        _variant(SYSTEM, "the system message", request, *without_system(request)),
        _variant(FEW_SHOT, "the few-shot examples", request, *without_few_shot(request)),
        _variant(TOOLS, "the tools not called", request, *without_unused_tools(request, called)),
    ]
    prompt = case.prompt
    if prompt is not None and prompt.template is not None:
        for name, value in prompt.variables.items():
            found.append(
                _variant(
                    VARIABLE + name,
                    f"template variable '{name}'",
                    request,
                    *without_texts(request, _texts(value), f"the value of '{name}'"),
                )
            )
    return found


def _variant(
    element: str, name: str, request: ProviderRequest, changes: dict[str, Any] | None, detail: str
) -> Variant:
    changed = dataclasses.replace(request, **changes) if changes is not None else None
    return Variant(element, name, changed, detail)


Change = tuple[dict[str, Any] | None, str]


def without_system(request: ProviderRequest) -> Change:
    kept = [m for m in request.messages if m.get("role") not in ("system", "developer")]
    removed = len(request.messages) - len(kept)
    if not removed:
        return None, "the request has no system message"
    if not kept:
        return None, "the request is nothing but system messages"
    return {"messages": kept}, f"{removed} system message(s) removed"


def without_few_shot(request: ProviderRequest) -> Change:
    """Example user/assistant turns before the last user turn (tool exchanges are
    context, not examples)."""
    messages = request.messages
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    examples = [
        i
        for i, m in enumerate(messages[:last_user])
        if m.get("role") in ("user", "assistant") and not m.get("tool_calls")
    ]
    if not any(messages[i].get("role") == "assistant" for i in examples):
        return None, "no example assistant turn before the last user turn"
    kept = [m for i, m in enumerate(messages) if i not in set(examples)]
    return {"messages": kept}, f"{len(examples)} example turn(s) removed"


def without_unused_tools(request: ProviderRequest, called: Iterable[str]) -> Change:
    if not request.tools:
        return None, "the request defines no tools"
    used = set(called)
    kept = [t for t in request.tools if _tool_name(t) in used]
    if len(kept) == len(request.tools):
        return None, "the model called every tool it was given"
    changes: dict[str, Any] = {"tools": kept}
    if not kept or _tool_name(request.tool_choice or {}) not in (used | {""}):
        changes["tool_choice"] = None
    removed = sorted(_tool_name(t) for t in request.tools if _tool_name(t) not in used)
    return changes, f"tools removed: {', '.join(removed)}"


def _tool_name(tool: Any) -> str:
    if not isinstance(tool, dict):
        return ""
    return str((tool.get("function") or tool).get("name") or "")


def without_context(request: ProviderRequest, case: Case) -> Change:
    """The retrieved context out: the text of the case's ``context.retrieval``
    documents and of the template variables named as context, and every tool result
    (with the tool calls that asked for them)."""
    texts = [doc.content for doc in (case.context.retrieval if case.context else [])]
    prompt = case.prompt
    if prompt is not None and prompt.template is not None:
        for name, value in prompt.variables.items():
            if any(part in name.lower() for part in CONTEXT_NAMES):
                texts += _texts(value)
    messages, cut = _strip(request.messages, texts)
    messages, results = _without_tool_results(messages)
    if not cut and not results:
        return None, "no retrieved context found in the request"
    said = [f"{cut} context passage(s)"] * bool(cut) + [f"{results} tool result(s)"] * bool(results)
    return {"messages": messages}, " and ".join(said) + " removed"


def without_texts(request: ProviderRequest, texts: list[str], what: str) -> Change:
    messages, cut = _strip(request.messages, texts)
    if not cut:
        return None, f"{what} does not appear in the request"
    return {"messages": messages}, f"{what} removed ({cut} place(s))"


def _texts(value: Any) -> list[str]:
    """The strings a variable's value shows in a rendered prompt."""
    if isinstance(value, str):
        return [value] if len(value.strip()) >= MIN_TEXT else []
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _texts(v)]
    return _texts(json.dumps(value)) if value is not None else []


def _strip(messages: list[dict[str, Any]], texts: list[str]) -> tuple[list[dict[str, Any]], int]:
    """``messages`` with every occurrence of ``texts`` cut out; how many were."""
    needles = sorted({t.strip() for t in texts if len(t.strip()) >= MIN_TEXT}, key=len)[::-1]
    cut = 0
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            content, n = _cut(content, needles)
        elif isinstance(content, list):
            parts = []
            n = 0
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    text, m = _cut(part["text"], needles)
                    part, n = {**part, "text": text}, n + m
                parts.append(part)
            content = parts
        else:
            n = 0
        cut += n
        out.append({**message, "content": content} if n else message)
    return out, cut


def _cut(text: str, needles: list[str]) -> tuple[str, int]:
    count = 0
    for needle in needles:
        count += text.count(needle)
        text = text.replace(needle, "")
    return text, count


def _without_tool_results(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Drop tool messages, and the tool calls that asked for them (a provider refuses
    a call left without its result); an assistant turn left empty goes too."""
    results = sum(m.get("role") == "tool" for m in messages)
    if not results:
        return messages, 0
    out = []
    for message in messages:
        if message.get("role") == "tool":
            continue
        if message.get("tool_calls"):
            message = {k: v for k, v in message.items() if k != "tool_calls"}
            if not message.get("content"):
                continue
        out.append(message)
    return out, results
