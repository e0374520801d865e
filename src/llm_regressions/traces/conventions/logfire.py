"""Logfire's OpenAI spans (``logfire.openai_agents`` and ``instrument_openai``): the
content is in Logfire's own attributes (JSON strings on the wire), not in ``gen_ai.*``
messages. A Responses API span holds the ``response`` object and the input items
(``raw_input``; ``events`` repeats them as GenAI events); a chat completion holds
``request_data``/``response_data``. ``logfire.msg_template`` names the step: ``Function:``
spans are tool executions, ``Agent run:`` spans agents.
"""

from __future__ import annotations

from typing import Any

from llm_regressions.traces import chat, model
from llm_regressions.traces.conventions import genai
from llm_regressions.traces.shapes import openai_tools, usage_from
from llm_regressions.traces.values import maybe_json

_CONTENT = ("response", "raw_input", "request_data", "response_data")
_STEPS = {
    "Function:": model.TOOL,
    "Agent run:": model.AGENT,
    "Handoff:": model.CHAIN,
    "Guardrail": model.CHAIN,
    "OpenAI Agents trace:": model.CHAIN,
}
_SETTINGS = ("temperature", "top_p", "max_tokens", "frequency_penalty", "presence_penalty")


def matches(span: model.Span) -> bool:
    a = span.attributes
    template = str(a.get("logfire.msg_template") or "")
    return bool(template) and (any(k in a for k in _CONTENT) or template.startswith(tuple(_STEPS)))


def apply(span: model.Span) -> None:
    a = span.attributes
    template = str(a.get("logfire.msg_template"))
    span.name = str(a.get("logfire.msg") or span.name)
    if any(k in a for k in _CONTENT):
        span.kind, span.llm = model.LLM, _llm(a)
        return
    span.kind = next(kind for step, kind in _STEPS.items() if template.startswith(step))
    span.input, span.output = maybe_json(a.get("input")), maybe_json(a.get("output"))
    if span.kind == model.TOOL:
        span.tool = model.ToolUse(
            name=str(a.get("name") or span.name), arguments=span.input, result=span.output
        )


def _llm(a: dict[str, Any]) -> model.LlmCall:
    call = genai.llm_call(a)
    response = maybe_json(a.get("response", a.get("response_data")))
    response = response if isinstance(response, dict) else {}
    recorded = _input(a, response, call.lose)
    call.messages = call.messages or recorded.messages
    call.tools = call.tools or recorded.tools or openai_tools(response.get("tools"))
    call.params.update(_settings(maybe_json(a.get("model_settings")), call))
    found = chat.answer(response, call.lose) if response else _choices(a, call.lose)
    if found.text is not None or found.tool_calls:
        call.output, call.tool_calls = found.text, found.tool_calls
    call.finish_reason = call.finish_reason or found.finish_reason
    call.usage = found.usage or usage_from(response.get("usage")) or call.usage
    call.response_model = call.response_model or found.model
    return call


def _input(a: dict[str, Any], response: dict[str, Any], lose: chat.Lose) -> chat.Chat:
    """``request_data`` (a chat request), else the Responses input items plus the
    response's ``instructions``, else the GenAI message events."""
    request = maybe_json(a.get("request_data"))
    if isinstance(request, dict):
        return chat.messages(request, lose)
    items = maybe_json(a.get("raw_input", a.get("input")))
    if items is not None:
        return chat.messages({"input": items, "instructions": response.get("instructions")}, lose)
    said = [
        {k: v for k, v in e.items() if k != "event.name"}
        for e in _events(a)
        if isinstance(e, dict) and str(e.get("event.name", "")).endswith(".message")
    ]
    return chat.messages(said, lose)


def _choices(a: dict[str, Any], lose: chat.Lose) -> chat.Answer:
    """The ``gen_ai.choice`` events (one per tool call in Logfire's)."""
    choices = [
        {"role": "assistant", **e["message"]}
        for e in _events(a)
        if isinstance(e, dict)
        and e.get("event.name") == "gen_ai.choice"
        and isinstance(e.get("message"), dict)
    ]
    return chat.answer(choices, lose) if choices else chat.Answer()


def _events(a: dict[str, Any]) -> list[Any]:
    events = maybe_json(a.get("events"))
    return events if isinstance(events, list) else []


def _settings(settings: Any, call: model.LlmCall) -> dict[str, Any]:
    """The agent's ``model_settings`` as sent (the response echoes defaults instead)."""
    kept = {}
    for key, value in (settings if isinstance(settings, dict) else {}).items():
        if value is None:
            continue
        if key in _SETTINGS:
            kept[key] = value
        elif key == "tool_choice":
            call.tool_choice = value
        else:
            call.lose(f"model setting {key}")
    return kept
