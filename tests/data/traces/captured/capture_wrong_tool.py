"""Capture a real OpenInference trace of an agent that picks the wrong tool.

The "Acme support bot" agent offers two tools, ``get_order_status(order_id)`` and
``search_help_center(query)``. The customer asks "Where is my order A-1042?"; the scripted
model (the project's loopback stub, ``tests/stub_support.py``, serving real HTTP on
127.0.0.1) calls ``search_help_center`` instead of ``get_order_status``, gets a generic
help article back and answers vaguely, without the order's status.

Everything on the spans is written by real, unmodified libraries from PyPI: the
OpenAI SDK's calls are recorded by ``openinference-instrumentation-openai``, the app's
own workflow/agent/tool spans use OpenInference's attribute names, and the finished
spans go through the real OTLP encoder (``opentelemetry-exporter-otlp-proto-common``)
and are rendered as proto-JSON. Only the model's answers are scripted.

Run it in a throwaway venv, never the plugin's (these are not plugin dependencies)::

    python3 -m venv /tmp/venv-capture
    /tmp/venv-capture/bin/pip install openai opentelemetry-sdk \
        opentelemetry-exporter-otlp-proto-common openinference-instrumentation-openai==0.1.66
    /tmp/venv-capture/bin/python tests/data/traces/captured/capture_wrong_tool.py

It writes ``wrong_tool_selected.json`` beside itself. Ids and timestamps change from run
to run; the content does not.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import openai
from google.protobuf.json_format import MessageToDict
from openinference.instrumentation import using_attributes
from openinference.instrumentation.openai import OpenAIInstrumentor
from openinference.semconv.trace import OpenInferenceSpanKindValues, SpanAttributes
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # tests/, for the loopback stub
from stub_support import Reply, StubServer, last_message, tool_call  # noqa: E402

OUTPUT = HERE / "wrong_tool_selected.json"
SESSION, USER = "sess-order-5d21", "cust_3318"
QUESTION = "Where is my order A-1042?"
SYSTEM = (
    "You are Acme support. Use get_order_status for questions about a specific order; "
    "use search_help_center for general policy questions."
)
SERVED_MODEL = "gpt-4o-mini-2024-07-18"
WRONG_CALL = tool_call("search_help_center", {"query": "where is my order"}, "call_hc7Qm2xA")
VAGUE_ANSWER = (
    "Orders usually ship within 1-2 business days, and you can follow yours with the "
    "tracking link in your shipping confirmation email. Is there anything else I can help with?"
)
ARTICLE = {
    "results": [
        {
            "id": "hc-0031",
            "title": "Tracking your order",
            "snippet": "Most orders ship within 1-2 business days. Use the tracking link in "
            "your shipping confirmation email to follow your parcel.",
        }
    ]
}
ORDERS = {"A-1042": {"order_id": "A-1042", "status": "in_transit", "eta": "2026-11-24"}}

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_order_status",
            "description": "Look up the status and delivery estimate of one order.",
            "parameters": {
                "type": "object",
                "properties": {"order_id": {"type": "string", "description": "e.g. A-1042"}},
                "required": ["order_id"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search_help_center",
            "description": "Search the public help-center articles.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    },
]


def scripted_model(body: dict[str, Any]) -> Reply:
    """The wrong-tool agent: search the help center, then answer from the article."""
    if last_message(body).get("role") == "tool":
        return Reply(VAGUE_ANSWER, model=SERVED_MODEL, usage=(212, 38))
    return Reply(None, tool_calls=[WRONG_CALL], model=SERVED_MODEL, usage=(164, 19))


def run_tool(tracer, name: str, arguments: str) -> str:
    """Run one tool inside an OpenInference TOOL span, as the app does."""
    spec = next(t["function"] for t in TOOLS if t["function"]["name"] == name)
    args = json.loads(arguments)
    with tracer.start_as_current_span(name) as span:
        span.set_attribute(SpanAttributes.INPUT_VALUE, arguments)
        span.set_attribute(SpanAttributes.INPUT_MIME_TYPE, "application/json")
        span.set_attribute(SpanAttributes.TOOL_NAME, name)
        span.set_attribute(SpanAttributes.TOOL_PARAMETERS, json.dumps(spec["parameters"]))
        span.set_attribute(SpanAttributes.TOOL_DESCRIPTION, spec["description"])
        span.set_attribute(SpanAttributes.SESSION_ID, SESSION)
        span.set_attribute(SpanAttributes.USER_ID, USER)
        result = ARTICLE if name == "search_help_center" else ORDERS.get(args["order_id"], {})
        output = json.dumps(result)
        span.set_attribute(SpanAttributes.OUTPUT_VALUE, output)
        span.set_attribute(SpanAttributes.OUTPUT_MIME_TYPE, "application/json")
        span.set_attribute(SpanAttributes.OPENINFERENCE_SPAN_KIND, "TOOL")
        span.set_status(Status(StatusCode.OK))
        return output


def app_span(tracer, name: str, kind: OpenInferenceSpanKindValues):
    """A workflow or agent span of the app, with the question as its input."""
    span = tracer.start_span(name)
    span.set_attribute(SpanAttributes.INPUT_VALUE, QUESTION)
    span.set_attribute(SpanAttributes.INPUT_MIME_TYPE, "text/plain")
    span.set_attribute(SpanAttributes.SESSION_ID, SESSION)
    span.set_attribute(SpanAttributes.USER_ID, USER)
    span.set_attribute(SpanAttributes.OPENINFERENCE_SPAN_KIND, kind.value)
    return span


def agent_loop(client: openai.OpenAI, tracer) -> str:
    """The agent: call the model, run the tools it asks for, until it answers."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": QUESTION},
    ]
    for _ in range(4):
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, tools=TOOLS, temperature=0.0, seed=7,
            max_tokens=200,
        )  # fmt: skip
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = run_tool(tracer, call.function.name, call.function.arguments)
            messages.append({"role": "tool", "tool_call_id": call.id, "content": result})
    raise RuntimeError("agent did not answer in 4 model calls")


def traced_run(client: openai.OpenAI, tracer) -> None:
    """One support request: workflow span > agent span > LLM and tool spans."""
    workflow = app_span(tracer, "support_bot", OpenInferenceSpanKindValues.CHAIN)
    with trace.use_span(workflow, end_on_exit=True):
        agent = app_span(tracer, "support_agent", OpenInferenceSpanKindValues.AGENT)
        with trace.use_span(agent, end_on_exit=True):
            with using_attributes(session_id=SESSION, user_id=USER):
                answer = agent_loop(client, tracer)
            for span in (agent, workflow):
                span.set_attribute(SpanAttributes.OUTPUT_VALUE, answer)
                span.set_attribute(SpanAttributes.OUTPUT_MIME_TYPE, "text/plain")
                span.set_status(Status(StatusCode.OK))


def to_otlp_json(spans) -> dict[str, Any]:
    """The real OTLP encoder's request as proto-JSON, ids in lowercase hex as the
    OTLP/JSON spec asks (protobuf's JSON mapping would give base64)."""
    data = MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    for resource in data["resourceSpans"]:
        for scope in resource["scopeSpans"]:
            for span in scope["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = _hex(span[key])
    return data


def _hex(b64: str) -> str:
    return base64.b64decode(b64).hex()


def main() -> None:
    resource = Resource.create(
        {
            "service.name": "acme-support-bot",
            "service.version": "1.4.2",
            "deployment.environment": "staging",
            "openinference.project.name": "acme-support",
        }
    )
    provider = TracerProvider(resource=resource)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    tracer = provider.get_tracer("acme.support_bot")
    stub = StubServer(record=False).start()
    stub.respond(scripted_model)
    try:
        client = openai.OpenAI(base_url=stub.url, api_key="sk-stub-0000", max_retries=0)
        traced_run(client, tracer)
    finally:
        stub.stop()
        OpenAIInstrumentor().uninstrument()
    provider.force_flush()
    OUTPUT.write_text(json.dumps(to_otlp_json(exporter.get_finished_spans()), indent=1) + "\n")
    print(f"wrote {OUTPUT} ({len(exporter.get_finished_spans())} spans)")


if __name__ == "__main__":
    main()
