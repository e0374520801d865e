"""Readers whose source records OpenAI-shaped requests and responses (litellm's
logging payload, LangSmith runs) share this: request kwargs + response dict -> LlmCall.
The shapes inside (content parts, tool calls, Responses API items and objects, usage
details) are read by :mod:`llm_regressions.traces.chat`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_regressions.traces import chat
from llm_regressions.traces.model import LlmCall
from llm_regressions.traces.reading import request_wanted
from llm_regressions.traces.shapes import param_values
from llm_regressions.traces.values import as_float

PARAM_NAMES = ("temperature", "max_tokens", "max_completion_tokens", "seed", "top_p", "stop")
PARAM_NAMES += ("frequency_penalty", "presence_penalty", "user", "n")


def llm_call(request: dict[str, Any], response: Any, model: str | None) -> LlmCall:
    """``request``: the chat.completions kwargs (or a Responses API request: ``input``,
    ``instructions``); ``response``: the chat.completion dict or a Response object."""
    response = response if isinstance(response, dict) else {}
    format_ = request.get("response_format")
    call = LlmCall(
        request_model=model or request.get("model"),
        tool_choice=request.get("tool_choice"),
        response_format=format_ if isinstance(format_, dict) else None,
        cost_usd=as_float(response.get("cost")),
        streaming=request.get("stream"),
    )
    if request.get("max_output_tokens") is not None:  # the Responses API's name
        request = {"max_tokens": request["max_output_tokens"], **request}
        request.pop("max_output_tokens")
    if request_wanted():
        call.params = sampling_params(request, call.lose)
        given = chat.messages(_body(request), call.lose)
        call.messages, call.tools = given.messages, given.tools
    if isinstance(response.get("choices"), list) or response.get("object") == "response":
        found = chat.answer(response, call.lose)
        call.output, call.tool_calls = found.text, found.tool_calls
        call.finish_reason, call.usage = found.finish_reason, found.usage
        call.response_model = found.model
    return call


def _body(request: dict[str, Any]) -> dict[str, Any]:
    """The part of the request that holds the conversation and the tools."""
    tools = request.get("tools") or []
    if "input" in request and "messages" not in request:
        return {
            "input": request["input"],
            "instructions": request.get("instructions"),
            "tools": tools,
        }
    messages = request.get("messages") or []
    return {"messages": [messages] if isinstance(messages, str) else messages, "tools": tools}


#: Request keys that are not sampling parameters: carried elsewhere in the case
#: (messages, tools, response format, stream flag) or connection settings.
NOT_PARAMS = frozenset(
    (
        "model",
        "model_name",
        "messages",
        "tools",
        "functions",
        "tool_choice",
        "function_call",
        "response_format",
        "stream",
        "stream_options",
        "input",
        "instructions",
        "prompt",
        "prompts",
        "api_base",
        "base_url",
        "api_key",
        "api_version",
        "extra_headers",
        "extra_query",
        "extra_body",
        "timeout",
        "max_retries",
        "num_retries",
        "_type",
    )
)


def sampling_params(request: dict[str, Any], lose: Callable[[str], None]) -> dict[str, Any]:
    """The sampling parameters a case replays with; any other request parameter the
    trace recorded (``top_k``, ``reasoning_effort``...) is named as not carried."""
    kept = param_values((k, request.get(k)) for k in PARAM_NAMES)
    for key, value in request.items():
        if key in kept or key in NOT_PARAMS or key in PARAM_NAMES:
            continue
        if value not in (None, "", [], {}):
            lose(f"request parameter {key!r}")
    return kept
