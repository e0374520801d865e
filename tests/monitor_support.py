"""Generated production logs for --llm-monitor tests and bench/monitor.py, in the real
formats: each record is a copy of a real export in tests/data/traces/ with its ids,
times, text and tokens changed (OTLP JSON lines from OpenLLMetry, litellm standard
logging payloads, Langfuse observations).

Eight days of traffic, one window a day; ``incident`` plants one problem on the last
day: "spend" (tenant acme sends 5x the tokens), "pass_rate" (a third of the answers
become refusals), "non_ascii" (the litellm model answers in Chinese), "tool_empty"
(lookup_order returns empty results).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "traces"
DAY_NS = 86400 * 10**9
START_NS = 1_793_491_200 * 10**9  # 2026-11-01T00:00:00Z
DAYS = 8
TENANTS = ("acme", "globex", "initech")

MONITORS_YAML = """\
version: 1
rules:
  - name: no_refusal
    label: refused_answer
    checks:
      - not_contains: "I cannot help"
  - name: json_answers
    match: {span_name: "support.answer"}
    checks:
      - json_schema: {type: object, required: [answer]}
  - name: never_matches
    match: {model: "no-such-model-*"}
    checks:
      - max_chars: 10
"""


def _otlp_templates() -> tuple[dict[str, Any], dict[str, Any]]:
    lines = (DATA / "openllmetry" / "rag_stale_retrieval.collector.jsonl").read_text().splitlines()
    llm = next(json.loads(line) for line in lines if '"openai.chat"' in line)
    doc = json.loads((DATA / "openllmetry" / "silent_tool_failure.json").read_text())
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                if span["name"] == "check_inventory.tool":
                    tool = {"resourceSpans": [{**rs, "scopeSpans": [{**ss, "spans": [span]}]}]}
    return llm, tool


def _set(span: dict[str, Any], key: str, value: Any) -> None:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    for attribute in span["attributes"]:
        if attribute["key"] == key:
            attribute["value"] = {kind: str(value) if kind == "intValue" else value}
            return
    span["attributes"].append(
        {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}
    )


def _only_span(line: dict[str, Any]) -> dict[str, Any]:
    return line["resourceSpans"][0]["scopeSpans"][0]["spans"][0]


def _times(span: dict[str, Any], start: int, ms: int) -> None:
    span["startTimeUnixNano"], span["endTimeUnixNano"] = str(start), str(start + ms * 10**6)


def otlp_line(
    template: dict[str, Any], i: int, start: int, tenant: str, answer: str, tokens: int
) -> dict[str, Any]:
    line = copy.deepcopy(template)
    span = _only_span(line)
    span.update(traceId=f"{i:032x}", spanId=f"{i:016x}")
    span.pop("parentSpanId", None)
    _times(span, start, 400 + i % 200)
    _set(span, "traceloop.association.properties.user_id", tenant)
    _set(span, "tenant", tenant)
    _set(span, "gen_ai.usage.input_tokens", tokens)
    _set(span, "gen_ai.usage.output_tokens", tokens // 8)
    _set(span, "gen_ai.usage.total_tokens", tokens + tokens // 8)
    output = [
        {
            "role": "assistant",
            "parts": [{"content": answer, "type": "text"}],
            "finish_reason": "stop",
        }
    ]
    _set(span, "gen_ai.output.messages", json.dumps(output))
    return line


def tool_line(template: dict[str, Any], i: int, start: int, empty: bool) -> dict[str, Any]:
    line = copy.deepcopy(template)
    span = _only_span(line)
    span.update(traceId=f"{i:032x}", spanId=f"{i:015x}f")
    span.pop("parentSpanId", None)
    _times(span, start + 10**6, 50)
    _set(span, "traceloop.entity.name", "lookup_order")
    _set(span, "gen_ai.tool.name", "lookup_order")
    result = {"order": f"A-{i}", "items": [] if empty else [{"sku": "HDMI-2M-BLK", "qty": 1}]}
    _set(span, "traceloop.entity.output", json.dumps(result))
    return line


def litellm_payload(template: dict[str, Any], i: int, start: int, answer: str) -> dict[str, Any]:
    payload = copy.deepcopy(template)
    payload.update(id=f"chatcmpl-{i}", trace_id=f"lit-{i}", end_user="globex")
    payload.update(model="claude-3-5-haiku-20241022", custom_llm_provider="anthropic")
    payload["hidden_params"] = {**payload.get("hidden_params", {}), "litellm_model_name": None}
    payload["response"]["model"] = "claude-3-5-haiku-20241022"
    payload["startTime"], payload["endTime"] = start / 1e9, start / 1e9 + 0.3
    payload["response"]["choices"][0]["message"]["content"] = answer
    return payload


def langfuse_observation(
    template: dict[str, Any], i: int, start: int, answer: str
) -> dict[str, Any]:
    obs = copy.deepcopy(template)
    stamp = _iso(start)
    obs.update(
        id=f"obs-{i}", traceId=f"lf-{i}", parentObservationId=None, name="support.answer",
        startTime=stamp, endTime=_iso(start + 700 * 10**6), userId="initech",
        input=[{"role": "user", "content": "Where is my order?"}],
        output={"role": "assistant", "content": answer},
    )  # fmt: skip
    return obs


def _iso(ns: int) -> str:
    from datetime import datetime, timezone

    return (
        datetime.fromtimestamp(ns / 1e9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    )


def _templates(compact: bool = False) -> dict[str, Any]:
    llm, tool = _otlp_templates()
    litellm = json.loads(
        (DATA / "litellm-standard-logging-payload" / "rag_stale_retrieval.json").read_text()
    )[0]
    observations = json.loads(
        (DATA / "langfuse" / "openai-agents-api-v2-observations.json").read_text()
    )["data"]
    generation = next(o for o in observations if o["type"] == "GENERATION")
    if compact:  # the optional bulk left out: litellm's price-map copy and null metadata,
        # the OTel attributes Langfuse's OTel ingestion copies into an observation
        litellm.pop("model_map_information", None)
        litellm["metadata"] = {k: v for k, v in litellm["metadata"].items() if v}
        generation = {**generation, "metadata": {}}
    return {"llm": llm, "tool": tool, "litellm": litellm, "langfuse": generation}


def write_logs(
    folder: Path, incident: str | None = None, per_day: int = 30, compact: bool = False
) -> Path:
    """Eight days of logs in three files under ``folder``; returns ``folder``.
    ``compact``: records without their optional bulk (about half the bytes)."""
    folder.mkdir(parents=True, exist_ok=True)
    t = _templates(compact)
    files = {
        name: (folder / name).open("w")
        for name in ("otlp.jsonl", "litellm.jsonl", "langfuse.jsonl")
    }
    i = 0
    for day in range(DAYS):
        last = day == DAYS - 1
        for n in range(per_day):
            i += 1
            start = START_NS + day * DAY_NS + n * (DAY_NS // per_day)
            tenant = TENANTS[n % len(TENANTS)]
            tokens = 800 * (5 if incident == "spend" and last and tenant == "acme" else 1)
            refuse = incident == "pass_rate" and last and n % 3 == 0
            answer = "I cannot help with that." if refuse else f"Order A-{i} ships on Monday."
            files["otlp.jsonl"].write(
                json.dumps(otlp_line(t["llm"], i, start, tenant, answer, tokens)) + "\n"
            )
            empty = incident == "tool_empty" and last
            files["otlp.jsonl"].write(json.dumps(tool_line(t["tool"], i, start, empty)) + "\n")
            text = (
                "您的订单将于周一发货。"
                if incident == "non_ascii" and last
                else "Your order ships Monday."
            )
            files["litellm.jsonl"].write(
                json.dumps(litellm_payload(t["litellm"], i, start, text)) + "\n"
            )
            answer_json = json.dumps({"answer": f"Order A-{i} ships Monday."})
            files["langfuse.jsonl"].write(
                json.dumps(langfuse_observation(t["langfuse"], i, start, answer_json)) + "\n"
            )
    for handle in files.values():
        handle.close()
    return folder
