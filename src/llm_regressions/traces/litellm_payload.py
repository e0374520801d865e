"""litellm ``StandardLoggingPayload`` JSON (one object per LLM call, or an array), bare
or inside the kwargs a litellm callback receives (``kwargs["standard_logging_object"]``).

Every payload is one LLM span; there are no parent or tool spans, so a file holds the
model calls of a session in call order (``trace_id`` is litellm's session/trace id).
The model string is made routable by litellm: the provider prefix comes from
``custom_llm_provider`` (or ``hidden_params``), so a Bedrock ARN becomes
``bedrock/arn:aws:bedrock:...``. Times are epoch seconds or ``"2025-01-24 09:20:46.8"``
text; the request's own ``stream`` flag wins over the payload's (older litellm set it
for every call logged through its streaming path).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from llm_regressions.traces.errors import Declined
from llm_regressions.traces.model import ERROR, LLM, OK, LlmCall, Span, Trace
from llm_regressions.traces.openai_call import llm_call
from llm_regressions.traces.shapes import normalise_finish_reason, usage, usage_from
from llm_regressions.traces.values import (
    as_float,
    as_int,
    maybe_json,
    objects_of,
    time_to_ns,
)

FORMAT = "litellm-payload"
_REQUIRED = ("call_type", "messages", "model")
_NESTED = "standard_logging_object"
#: Providers whose endpoint a case must keep (an OpenAI-compatible server, Azure).
_OWN_ENDPOINT = {"openai", "azure", "azure_ai", "hosted_vllm", "openai_like", "custom_openai"}
_DEFAULT_HOSTS = {"api.openai.com"}


def read(documents: list[Any]) -> Trace:
    found = objects_of(documents)
    if not found:
        raise Declined("empty")
    payloads = [_payload(value) for value in found]
    return Trace(FORMAT, [_span(p, kwargs, i) for i, (p, kwargs) in enumerate(payloads)])


def _payload(value: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The payload, and the callback kwargs around it ({} for a bare payload)."""
    kwargs: dict[str, Any] = {}
    if isinstance(value, dict) and isinstance(value.get(_NESTED), dict):
        value, kwargs = value[_NESTED], value
    if not isinstance(value, dict) or not all(k in value for k in _REQUIRED):
        raise Declined(
            f"not StandardLoggingPayload objects (need {', '.join(_REQUIRED)}, "
            f"or callback kwargs holding '{_NESTED}')"
        )
    return value, kwargs


def _dict(value: Any) -> dict[str, Any]:
    value = maybe_json(value)
    return value if isinstance(value, dict) else {}


def _span(payload: dict[str, Any], kwargs: dict[str, Any], index: int) -> Span:
    call = _call(payload, kwargs)
    failed = payload.get("status") == "failure"
    if failed:
        call.usage = None if not payload.get("response") else call.usage
    error = _dict(payload.get("error_information"))
    metadata = _dict(payload.get("metadata"))
    params = _dict(payload.get("model_parameters"))
    return Span(
        trace_id=str(payload.get("trace_id") or "litellm"),
        span_id=str(payload.get("id") or f"call-{index}"),
        name=f"{payload.get('call_type')} {payload.get('model')}",
        kind=LLM,
        start_ns=time_to_ns(payload.get("startTime", kwargs.get("start_time"))),
        end_ns=time_to_ns(payload.get("endTime", kwargs.get("end_time"))),
        status=ERROR if failed else OK,
        status_message=(error.get("error_message") or payload.get("error_str")) if failed else None,
        error_type=(error.get("error_class") or None) if failed else None,
        session_id=payload.get("session_id")
        or metadata.get("session_id")
        or payload.get("trace_id"),
        user_id=payload.get("end_user") or params.get("user") or None,
        llm=call,
    )


def _call(payload: dict[str, Any], kwargs: dict[str, Any]) -> LlmCall:
    params = _dict(payload.get("model_parameters"))
    hidden = _dict(payload.get("hidden_params"))
    provider = payload.get("custom_llm_provider") or hidden.get("custom_llm_provider")
    provider = provider if isinstance(provider, str) else None
    messages = payload.get("messages")
    responses_api = "responses" in str(payload.get("call_type"))
    request = {**params, ("input" if responses_api else "messages"): messages}
    model = with_prefix(hidden.get("litellm_model_name") or payload.get("model"), provider)
    call = llm_call(request, payload.get("response"), model)
    call.provider = provider
    call.cost_usd = as_float(payload.get("response_cost", hidden.get("response_cost")))
    call.usage = (
        call.usage
        or usage_from(_dict(payload.get("metadata")).get("usage_object"))
        or usage(
            payload.get("prompt_tokens"),
            payload.get("completion_tokens"),
            payload.get("total_tokens"),
        )
    )
    model_info = _dict(_dict(payload.get("model_map_information")).get("model_map_value"))
    call.context_window = as_int(model_info.get("max_input_tokens"))
    call.streaming = params["stream"] if "stream" in params else payload.get("stream")
    call.finish_reason = call.finish_reason or _provider_stop_reason(kwargs)
    _endpoint(payload.get("api_base") or hidden.get("api_base"), provider, call)
    return call


def with_prefix(model: Any, provider: Any) -> str | None:
    """``model`` with litellm's provider prefix (``bedrock/arn:aws:...``), unless it has it."""
    if not isinstance(model, str) or not model:
        return None
    if not isinstance(provider, str) or not provider or model.startswith(f"{provider}/"):
        return model
    return f"{provider}/{model}"


def _provider_stop_reason(kwargs: dict[str, Any]) -> str | None:
    """The provider's own stop reason in the callback's ``original_response`` (Bedrock's
    ``stopReason``, Anthropic's ``stop_reason``...), when the payload has none."""
    raw = _dict(kwargs.get("original_response"))
    choices = raw.get("choices") if isinstance(raw.get("choices"), list) else [{}]
    first = choices[0] if choices and isinstance(choices[0], dict) else {}
    found = raw.get("stopReason") or raw.get("stop_reason") or first.get("finish_reason")
    return normalise_finish_reason(found)


def _endpoint(api_base: Any, provider: Any, call: LlmCall) -> None:
    """An OpenAI-compatible server or an Azure deployment is part of the model: keep it."""
    if provider not in _OWN_ENDPOINT or not isinstance(api_base, str) or not api_base:
        return
    try:
        host = urlparse(api_base).hostname
    except ValueError:  # not a URL
        return
    if host not in _DEFAULT_HOSTS:
        call.params["api_base"] = api_base
