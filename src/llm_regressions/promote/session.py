"""``--promote-session``: one agent run (every LLM and tool span of a trace, in order)
-> the ``session:`` section of one case.

The case's ``request`` is the first LLM call's input (built as for one span); each LLM
span then becomes a ``model`` step, the tool spans after it (or, where a trace has no
tool spans, the tool messages the next LLM call received) its ``tool`` steps, and user
messages a later LLM call received that the earlier ones had not become ``user`` steps.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.promote.build import content_hash, recorded_call, recorded_tool
from llm_regressions.traces.model import LlmCall, Span, Trace
from llm_regressions.traces.values import maybe_json


def _model_step(call: LlmCall) -> dict[str, Any]:
    turn = {
        "output": call.output,
        "tool_calls": [recorded_call(c) for c in call.tool_calls],
        "finish_reason": call.finish_reason,
    }
    return {"model": {k: v for k, v in turn.items() if v not in (None, [])}}


def _users(call: LlmCall) -> list[Any]:
    return [m.get("content") for m in call.messages if m.get("role") == "user"]


def _fed_tools(call: LlmCall, names: dict[str, str]) -> list[dict[str, Any]]:
    """The tool results an LLM call received after the model's last tool calls."""
    messages = call.messages
    last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
    steps = []
    for message in messages[last + 1 :]:
        if message.get("role") != "tool":
            continue
        call_id = message.get("tool_call_id")
        tool = {
            "id": call_id,
            "name": message.get("name") or names.get(call_id or "", "?"),
            "result": maybe_json(message.get("content")),
        }
        steps.append({"tool": {k: v for k, v in tool.items() if v is not None}})
    return steps


def session_steps(trace: Trace) -> list[dict[str, Any]]:
    """The steps of the trace's agent run, in order."""
    ordered = sorted(
        (s for s in trace.spans if s.llm is not None or s.tool is not None),
        key=lambda s: s.sort_key,
    )
    llm_spans = [s for s in ordered if s.llm is not None]
    has_tool_spans = len(llm_spans) < len(ordered)
    steps: list[dict[str, Any]] = []
    names: dict[str, str] = {}
    users_seen = len(_users(llm_spans[0].llm))
    for span in ordered:
        if span.tool is not None:
            steps.append({"tool": recorded_tool(span.tool)})
            continue
        call = span.llm
        if span is not llm_spans[0]:
            if not has_tool_spans:
                steps += _fed_tools(call, names)
            users = _users(call)
            steps += [{"user": content} for content in users[users_seen:]]
            users_seen = max(users_seen, len(users))
        steps.append(_model_step(call))
        names.update({c.get("id") or "": c["function"]["name"] for c in call.tool_calls})
    return steps


def as_session(trace: Trace, data: dict[str, Any]) -> list[str]:
    """Turn the case ``data`` built from the first LLM span into the whole run's session
    case; returns the lines to print."""
    steps = session_steps(trace)
    data.pop("observed", None)
    data["session"] = {"steps": steps}
    source = data["source"]
    source.pop("span_id", None)
    digest = content_hash(source["trace_id"], "session", data["request"], steps)
    source["content_hash"] = digest
    data["id"] = f"{data['label'].replace('_', '-')}-{digest[:8]}"
    data["description"] = data["description"].split(", span ")[0] + ", whole agent run."
    turns = sum("model" in step for step in steps)
    tools = sum("tool" in step for step in steps)
    users = sum("user" in step for step in steps)
    return [f"session: {turns} model turn(s), {tools} tool result(s), {users} more user turn(s)"]


def first_llm_span(trace: Trace) -> Span:
    """The span whose input starts the run: the case's ``request``."""
    return min(trace.llm_spans(), key=lambda s: s.sort_key)
