"""One Langfuse GENERATION observation -> :class:`LlmCall`, whichever integration wrote it.

Langfuse stores what each integration gives it: the OpenAI SDK wrapper's messages (or
``{messages, tools}``), LangChain's callback messages, Pydantic AI's GenAI parts, the
OpenAI Agents SDK's Responses items, LlamaIndex's ``{"args": [...]}``, AutoGen's flattened
string, Google GenAI's ``contents``... :mod:`.chat` reads those; this module finds the
rest where each integration leaves it: the model in ``model`` or in OTel attributes
under ``metadata.attributes``, the provider in ``ls_provider``/``gen_ai.system``/
``llm.provider``, tools in the input, the metadata or the Response object, parameters in
``modelParameters`` (whose values Langfuse often turns into strings: ``"true"``,
``"Infinity"``, ``"0.7"``, JSON). The Langfuse SDK's OTLP export
(:mod:`.conventions.langfuse`) is read through here too.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

from llm_regressions.traces import chat
from llm_regressions.traces.model import LlmCall
from llm_regressions.traces.providers import litellm_prefix
from llm_regressions.traces.reading import request_wanted
from llm_regressions.traces.shapes import (
    normalise_finish_reason,
    openai_tool,
    openai_tools,
    param_values,
    usage,
    usage_from,
)
from llm_regressions.traces.values import as_float, as_int, decoded_json, indexed

Mapping = dict[str, Any]

#: Request parameters a case replays (litellm passes them on), under their OpenAI names.
CARRIED = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "stop",
    "frequency_penalty",
    "presence_penalty",
    "n",
    "logit_bias",
    "reasoning_effort",
    "user",
)
#: Other SDKs' names for them (Responses API, Vercel AI SDK, GenAI, Gemini).
RENAMED = {
    "max_output_tokens": "max_tokens",
    "maxTokens": "max_tokens",
    "maxOutputTokens": "max_tokens",
    "max_new_tokens": "max_tokens",
    "stop_sequences": "stop",
    "stopSequences": "stop",
    "topP": "top_p",
    "topK": "top_k",
    "frequencyPenalty": "frequency_penalty",
    "presencePenalty": "presence_penalty",
    "choice.count": "n",
    "candidate_count": "n",
}
#: Parameters that change what the model answers but that a case has no place for.
MATTERS = (
    "thinking",
    "thinking_config",
    "thinkingConfig",
    "safety_settings",
    "safetySettings",
    "response_schema",
    "responseSchema",
    "response_mime_type",
    "responseMimeType",
    "prediction",
    "modalities",
    "audio",
    "functions",
    "function_call",
)
_PROVIDER_KEYS = ("ls_provider", "gen_ai.provider.name", "gen_ai.system", "llm.provider")
_PROVIDER_KEYS += ("llm.system",)
_FINISH_KEYS = ("finish_reason", "gen_ai.response.finish_reasons", "llm.finish_reason")
_FINISH_KEYS += ("finishReason",)
_STREAM_KEYS = ("stream", "is_stream", "streaming")


def llm_call(obs: Mapping, failed: bool) -> LlmCall:
    """``obs``: one GENERATION with its JSON-text fields decoded; ``failed``: its level is
    ERROR (then ``model`` is the requested model, not a served one)."""
    meta = mapping(obs.get("metadata"))
    found = Found(meta, mapping(meta.get("attributes")), obs.get("modelParameters"))
    call = LlmCall()
    request = request_wanted()
    given = chat.messages(obs.get("input"), call.lose) if request else None
    output = decoded_json(obs.get("output"))
    answer = chat.answer(output, call.lose)
    if given is not None:
        call.messages = _with_instructions(given.messages, found, output)
        call.tools = _tools(given.tools, obs, found, output)
    call.output, call.tool_calls = answer.text, answer.tool_calls
    call.finish_reason = answer.finish_reason or _finish(found)
    call.usage = _usage(obs, answer.usage)
    call.cost_usd = _cost(obs)
    _models(call, obs, found, answer.model, failed)
    if request:
        _request(call, found)
    return call


class Found:
    """Where an integration may have put a fact: the metadata, its OTel attributes (the
    Langfuse OTel ingestion keeps them under ``metadata.attributes``), the parameters."""

    def __init__(self, meta: Mapping, attributes: Mapping, model_parameters: Any) -> None:
        self.meta, self.attributes = meta, attributes
        self.recorded_params = mapping(model_parameters)

    @cached_property
    def params(self) -> Mapping:
        """Every parameter, typed (reading the request needs them all; the answer side
        asks for a few by name: :meth:`param`)."""
        return {str(k): typed(v) for k, v in self.recorded_params.items()}

    def param(self, key: str) -> Any:
        """One parameter, typed (None when not recorded)."""
        value = self.recorded_params.get(key)
        return None if value is None else typed(value)

    def first(self, keys: tuple[str, ...]) -> Any:
        sources = (self.meta, self.attributes, self.recorded_params)
        for key in keys:
            for source in sources:
                value = source.get(key)
                if value is None:
                    continue
                value = typed(value) if source is self.recorded_params else value
                value = decoded_json(value) if isinstance(value, str) else value
                if value not in (None, "", [], {}):
                    return value
        return None

    def provider(self) -> str | None:
        """The first provider name litellm can route; else the first name recorded."""
        names = [self.first((key,)) for key in _PROVIDER_KEYS]
        names = [n for n in names if isinstance(n, str)]
        return next((p for p in map(litellm_prefix, names) if p), names[0] if names else None)


def mapping(value: Any) -> Mapping:
    """A dict from a dict or its JSON text; anything else (a plain string) is no mapping."""
    value = decoded_json(value)
    return value if isinstance(value, dict) else {}


def typed(value: Any) -> Any:
    """``"true"`` -> True, ``"0.7"`` -> 0.7, ``"Infinity"`` -> inf, JSON text -> its value."""
    value = decoded_json(value)
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    number = as_float(text)
    if number is None:
        return value
    return int(number) if number.is_integer() and "." not in text and "e" not in text else number


def _finish(found: Found) -> str | None:
    """A finish reason the integration put in the metadata (GenAI attributes, LangChain's
    ``response_metadata``) or, for the Vercel AI SDK, in the parameters."""
    reason = found.first(_FINISH_KEYS)
    if reason is None:
        reason = mapping(found.first(("response_metadata",))).get("finish_reason")
    return normalise_finish_reason(reason)


def _unset(name: str, value: Any) -> bool:
    """Values that mean "not set": empty, ``-1``/``Infinity`` token limits, NaN, and an
    empty OTLP array (``{"arrayValue": {}}``, AutoGen's empty stop list)."""
    if value in (None, "", [], {}) or value == {"arrayValue": {}}:
        return True
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return True
    return name.startswith("max_") and isinstance(value, (int, float)) and value < 0


# -- request ---------------------------------------------------------------------------


def _request(call: LlmCall, found: Found) -> None:
    """Typed, replayable parameters; the ones that matter but cannot be carried are lost."""
    params = found.params
    for key, value in params.items():
        name = RENAMED.get(key, key)
        if name in CARRIED and not _unset(name, value) and not isinstance(value, bool):
            call.params.setdefault(name, value)
        elif key in MATTERS and not _unset(key, value):
            call.lose(f"model parameter {key}")
    reasoning = params.get("reasoning")
    if isinstance(reasoning, dict) and reasoning.get("effort"):
        call.params.setdefault("reasoning_effort", reasoning["effort"])
    verbosity = mapping(params.get("text")).get("verbosity") or params.get("verbosity")
    if isinstance(verbosity, str) and verbosity != "medium":
        call.params["verbosity"] = verbosity
    if call.tools:
        call.tool_choice = found.first(("tool_choice", "toolChoice"))
        if isinstance(params.get("parallel_tool_calls"), bool):
            call.params["parallel_tool_calls"] = params["parallel_tool_calls"]
    call.response_format = _response_format(found, call)
    _pydantic_request(call, mapping(found.first(("model_request_parameters",))))
    streamed = typed(found.first(_STREAM_KEYS))
    call.streaming = streamed if isinstance(streamed, bool) else None
    call.context_window = as_int(found.first(("context_window",)))
    call.params = param_values(call.params.items())  # numbers as numbers, or left out


def _response_format(found: Found, call: LlmCall) -> Mapping | None:
    """Chat ``response_format``, or the Responses API's ``text.format`` in chat shape."""
    value = found.first(("response_format",))
    if isinstance(value, str) and value in ("json_object", "json"):
        return {"type": "json_object"}
    if isinstance(value, dict) and value.get("type"):
        return value
    if value is not None:
        call.lose("response_format (recorded as text, not a schema)")
    form = mapping(mapping(found.params.get("text")).get("format"))
    kind = form.get("type")
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        schema = {k: form[k] for k in ("name", "schema", "strict", "description") if k in form}
        return {"type": "json_schema", "json_schema": schema}
    return None


def _pydantic_request(call: LlmCall, request: Mapping) -> None:
    """What Pydantic AI derives from its ``model_request_parameters`` when it calls the
    model: ``tool_choice="required"`` when text output is not allowed (the answer must
    be an output tool), ``response_format`` for native structured output."""
    if call.tools and request.get("allow_text_output") is False and call.tool_choice is None:
        call.tool_choice = "required"
    native = mapping(request.get("output_object"))
    if request.get("output_mode") == "native" and native and call.response_format is None:
        schema = {"name": native.get("name") or "final_result", "schema": native.get("json_schema")}
        schema.update({k: native[k] for k in ("description", "strict") if native.get(k)})
        call.response_format = {"type": "json_schema", "json_schema": schema}
    builtin = decoded_json(request.get("builtin_tools"))
    if isinstance(builtin, list) and builtin:
        call.lose("Pydantic AI built-in tools")


def _with_instructions(messages: list[Mapping], found: Found, output: Any) -> list[Mapping]:
    """The Agents SDK records its instructions beside the input (in the parameters and
    the Response object), not as a message: they were the system message."""
    response = output if isinstance(output, dict) and output.get("object") == "response" else {}
    text = found.params.get("instructions") or response.get("instructions")
    if not isinstance(text, str) or not text:
        return messages
    if any(m.get("role") in ("system", "developer") for m in messages):
        return messages
    return [{"role": "system", "content": text}, *messages]


# -- tools -----------------------------------------------------------------------------


def _tools(given: list[Mapping], obs: Mapping, found: Found, output: Any) -> list[Mapping]:
    """Tool definitions from wherever the integration recorded them, once per name."""
    response = output if isinstance(output, dict) and output.get("object") == "response" else {}
    attributes = found.attributes
    sources = (
        given,
        _named_definitions(obs.get("toolDefinitions")),
        _pydantic_tools(found.first(("model_request_parameters",))),
        openai_tools([g.get("tool.json_schema") for g in indexed(attributes, "llm.tools")]),
        openai_tools(found.first(("gen_ai.tool.definitions", "tools"))),
        openai_tools(_google_declarations(found.params.get("tools"))),
        openai_tools(response.get("tools")),
    )
    kept: dict[str, Mapping] = {}
    for tools in sources:
        for tool in tools:
            kept.setdefault(tool["function"]["name"], tool)
    return list(kept.values())


def _named_definitions(value: Any) -> list[Mapping]:
    """Langfuse's ``toolDefinitions`` field: a list of definitions or ``{name: definition}``."""
    value = decoded_json(value)
    if isinstance(value, dict):
        value = [
            {"name": name, **mapping(body)} if not mapping(body).get("function") else body
            for name, body in value.items()
        ]
    return openai_tools(value)


def _pydantic_tools(value: Any) -> list[Mapping]:
    """Pydantic AI's ``model_request_parameters``: ``function_tools`` and ``output_tools``
    (structured output offered as a tool), each with ``parameters_json_schema``."""
    request = mapping(value)
    found = []
    for key in ("function_tools", "output_tools"):
        for tool in decoded_json(request.get(key)) or []:
            if isinstance(tool, dict):
                schema = tool.get("parameters_json_schema", tool.get("parameters"))
                found.append(openai_tool({**tool, "parameters": schema}))
    return [tool for tool in found if tool]


def _google_declarations(value: Any) -> list[Any]:
    """Gemini's ``tools=[{function_declarations: [...]}]`` -> the declarations."""
    value = decoded_json(value)
    if not isinstance(value, list):
        return []
    found: list[Any] = []
    for tool in value:
        declarations = tool.get("function_declarations") if isinstance(tool, dict) else None
        found += declarations if isinstance(declarations, list) else [tool]
    return found


# -- model, usage, cost ----------------------------------------------------------------


def _models(call: LlmCall, obs: Mapping, found: Found, answered: str | None, failed: bool) -> None:
    """Requested and served model. Langfuse's ``model`` is the served model when the
    integration knew it, else the requested one: it counts as served when it differs from
    the request or nothing else names a model, and as the request on error."""
    given = mapping(obs.get("input"))
    asked = found.first(("gen_ai.request.model", "ls_model_name")) or given.get("model")
    asked = asked or found.param("model")
    served = found.first(("gen_ai.response.model",)) or answered
    # v2 API: providedModelName; OpenInference: llm.model_name (when Langfuse set no model)
    recorded = obs.get("model") or obs.get("providedModelName") or found.first(("llm.model_name",))
    recorded = recorded if isinstance(recorded, str) else None
    if recorded and not failed and not served and recorded != asked:
        served = recorded
    if recorded and failed and not asked:
        asked = recorded
    call.request_model = str(asked) if asked else None
    call.response_model = str(served) if served else None
    call.provider = found.provider()


def _usage(obs: Mapping, answered: Mapping | None) -> dict[str, int] | None:
    """``usageDetails`` (any key vocabulary), else the old API's fields, completed with
    what the output object itself reports (reasoning and cached tokens)."""
    recorded = usage_from(obs.get("usageDetails")) or _legacy_usage(obs)
    if not recorded:
        return answered or None
    return {**(answered or {}), **recorded}


def _legacy_usage(obs: Mapping) -> dict[str, int] | None:
    """``usage{input,output,total,unit}``, ``promptTokens``..., or the download's
    ``inputUsage``...: all zero when nothing was recorded, so zeros count as absent."""
    old = mapping(obs.get("usage"))
    if old.get("unit") not in (None, "TOKENS"):
        return None
    for names in (
        (old.get("input"), old.get("output"), old.get("total")),
        (obs.get("promptTokens"), obs.get("completionTokens"), obs.get("totalTokens")),
        (obs.get("inputUsage"), obs.get("outputUsage"), obs.get("totalUsage")),
    ):
        counts = usage(*names)
        if counts and any(counts.values()):
            return counts
    return None


def _cost(obs: Mapping) -> float | None:
    """``costDetails.total`` (or its parts), else the old ``calculatedTotalCost``, else
    the download's ``totalCost`` when not zero (zero is what it shows for no cost)."""
    details = mapping(obs.get("costDetails"))
    total = as_float(details.get("total"))
    if total is None and details:
        parts = [as_float(v) for v in details.values()]
        total = sum(p for p in parts if p is not None) if any(parts) else None
    if total is None:
        total = as_float(obs.get("calculatedTotalCost"))
    if total is None and as_float(obs.get("totalCost")):
        total = as_float(obs.get("totalCost"))
    return total if total is not None and total >= 0 else None
