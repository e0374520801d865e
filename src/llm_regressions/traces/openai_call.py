"""Readers whose source records OpenAI-shaped requests and responses (litellm's
logging payload, LangSmith runs) share this: request kwargs + response dict -> LlmCall."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_regressions.traces.chat import clean
from llm_regressions.traces.model import LlmCall
from llm_regressions.traces.shapes import (
    normalise_finish_reason,
    openai_tools,
    param_values,
    usage,
)
from llm_regressions.traces.values import as_float

PARAM_NAMES = ("temperature", "max_tokens", "max_completion_tokens", "seed", "top_p", "stop")
PARAM_NAMES += ("frequency_penalty", "presence_penalty", "user", "n")


def llm_call(request: dict[str, Any], response: Any, model: str | None) -> LlmCall:
    """``request``: the chat.completions kwargs; ``response``: the chat.completion dict."""
    response = response if isinstance(response, dict) else {}
    choices = response.get("choices") if isinstance(response.get("choices"), list) else []
    choice = choices[0] if choices and isinstance(choices[0], dict) else {}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    counts = response.get("usage") if isinstance(response.get("usage"), dict) else {}
    content = message.get("content")
    format_ = request.get("response_format")
    return LlmCall(
        request_model=model or request.get("model"),
        response_model=response.get("model"),
        params=param_values((k, request.get(k)) for k in PARAM_NAMES),
        messages=[clean(m) for m in request.get("messages") or [] if isinstance(m, dict)],
        tools=openai_tools(request.get("tools")),
        tool_choice=request.get("tool_choice"),
        response_format=format_ if isinstance(format_, dict) else None,
        output=content if isinstance(content, str) else None,
        tool_calls=clean({"role": "assistant", **message}).get("tool_calls", []),
        finish_reason=normalise_finish_reason(choice.get("finish_reason")),
        usage=usage(
            counts.get("prompt_tokens"), counts.get("completion_tokens"), counts.get("total_tokens")
        ),
        cost_usd=as_float(response.get("cost")),
        streaming=request.get("stream"),
    )


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
