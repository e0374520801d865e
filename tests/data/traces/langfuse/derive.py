"""Writes the derived Langfuse samples (see PROVENANCE.md) from the real UI downloads.

No licensed real sample of the API and tRPC shapes was found, so each is built from one
real download by moving its fields into the shape Langfuse's API types define
(web/src/features/public-api/types/{traces,observations}.ts in langfuse/langfuse).
Run from anywhere: ``python tests/data/traces/langfuse/derive.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
_TRACE_FIELDS = ("id", "timestamp", "name", "userId", "metadata", "release", "version")
_TRACE_FIELDS += ("projectId", "public", "bookmarked", "tags", "input", "output", "sessionId")
_TRACE_FIELDS += ("createdAt", "updatedAt", "environment")
_OBSERVATION_FIELDS = ("id", "projectId", "traceId", "parentObservationId", "name", "type")
_OBSERVATION_FIELDS += ("environment", "startTime", "endTime", "version", "createdAt")
_OBSERVATION_FIELDS += ("updatedAt", "input", "output", "metadata", "level", "statusMessage")
_OBSERVATION_FIELDS += ("model", "modelParameters", "completionStartTime", "promptId")
_OBSERVATION_FIELDS += ("promptName", "promptVersion", "latency", "timeToFirstToken")


def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def write(name: str, data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    (HERE / name).write_text(text, encoding="utf-8")


def parsed(value: Any) -> Any:
    """The download's JSON text of JSON text -> the JSON value the API returns."""
    while isinstance(value, str) and value[:1] in '{["':
        try:
            value = json.loads(value)
        except ValueError:
            break
    return value


def api_observation(obs: dict[str, Any], legacy_only: bool = False) -> dict[str, Any]:
    """GET /api/public/observations item: current fields plus the backwards-compatible
    ones (``usage``, ``promptTokens``..., ``calculated*Cost``); ``legacy_only`` keeps only
    the latter, as the v2-era (2024) API returned them."""
    found = {k: obs.get(k) for k in _OBSERVATION_FIELDS}
    usage = obs.get("usageDetails") or {}
    costs = obs.get("costDetails") or {}
    counts = [usage.get("input", 0), usage.get("output", 0), usage.get("total", 0)]
    found.update(
        usageDetails=usage,
        costDetails=costs,
        usage={"unit": "TOKENS", "input": counts[0], "output": counts[1], "total": counts[2]},
        unit="TOKENS",
        promptTokens=counts[0],
        completionTokens=counts[1],
        totalTokens=counts[2],
        modelId=obs.get("internalModelId"),
        inputPrice=None,
        outputPrice=None,
        totalPrice=None,
        calculatedInputCost=costs.get("input"),
        calculatedOutputCost=costs.get("output"),
        calculatedTotalCost=costs.get("total"),
    )
    if legacy_only:
        del found["usageDetails"], found["costDetails"]
    return found


def api_trace(download: dict[str, Any]) -> dict[str, Any]:
    """GET /api/public/traces/{id}: the trace's fields, htmlPath, latency, totalCost,
    scores and the full observations."""
    trace = download["trace"]
    found = {k: parsed(trace.get(k)) for k in _TRACE_FIELDS}
    observations = [api_observation(o) for o in download["observations"]]
    found.update(
        externalId=None,
        htmlPath=f"/project/{trace['projectId']}/traces/{trace['id']}",
        latency=trace.get("latency"),
        totalCost=sum((o["costDetails"] or {}).get("total", 0) for o in observations),
        scores=trace.get("scores") or [],
        observations=observations,
    )
    return found


def v2_observation(obs: dict[str, Any]) -> dict[str, Any]:
    """GET /api/public/v2/observations row with fields core,basic,time,io,metadata,model,
    usage: input/output/metadata/modelParameters as raw JSON strings, the model under
    ``providedModelName``."""
    names = ("id", "traceId", "startTime", "endTime", "projectId", "parentObservationId")
    names += ("type", "name", "level", "statusMessage", "version", "environment")
    names += ("completionStartTime", "createdAt", "updatedAt", "internalModelId")
    names += ("usageDetails", "costDetails", "totalCost")
    found = {k: obs.get(k) for k in names}
    for key in ("input", "output", "metadata", "modelParameters"):
        found[key] = None if obs.get(key) is None else json.dumps(obs[key], ensure_ascii=False)
    found["providedModelName"] = obs.get("model")
    found["userId"] = found["sessionId"] = None
    return found


def trpc_trace(download: dict[str, Any], double_encoded: str) -> list[dict[str, Any]]:
    """A tRPC batch response for the trace view: trace fields (input/output already JSON
    text in the download) and observations whose input/output/metadata are JSON text;
    the ``double_encoded`` observation's input is JSON text of JSON text."""
    trace = dict(download["trace"])
    trace.pop("scores", None)
    observations = []
    for obs in download["observations"]:
        obs = dict(obs)
        for key in ("input", "output", "metadata"):
            if obs.get(key) is not None:
                obs[key] = json.dumps(obs[key], ensure_ascii=False)
        if obs["id"] == double_encoded:
            obs["input"] = json.dumps(obs["input"], ensure_ascii=False)
        observations.append(obs)
    trace["observations"] = observations
    meta = {"values": {"timestamp": ["Date"], "createdAt": ["Date"], "updatedAt": ["Date"]}}
    return [{"result": {"data": {"json": trace, "meta": meta}}}]


def without_io(download: dict[str, Any]) -> dict[str, Any]:
    """What the UI's "Download trace" button writes: no observation input, output or
    metadata (``"{}"``)."""
    observations = [
        {**o, "input": None, "output": None, "metadata": "{}"} for o in download["observations"]
    ]
    return {"trace": download["trace"], "observations": observations}


def layout_2026(download: dict[str, Any]) -> dict[str, Any]:
    """The 2026 download layout: observations repeated, without IO, in
    ``trace.observations``; ``corrections``; ``toolDefinitions``/``toolCalls``/
    ``toolCallNames`` on each observation."""
    extra = {"toolDefinitions": {}, "toolCalls": [], "toolCallNames": []}
    observations = [{**o, **extra} for o in download["observations"]]
    inner = [{**o, "input": None, "output": None, "metadata": "{}"} for o in observations]
    trace = {**download["trace"], "corrections": [], "observations": inner}
    return {"trace": trace, "observations": observations}


def main() -> None:
    write("langgraph-api-trace.json", api_trace(load("langgraph-trace-download.json")))
    tools = load("pydantic-ai-tools-trace-download.json")
    write(
        "pydantic-ai-tools-api-observations.json",
        {
            "data": [api_observation(o) for o in tools["observations"]],
            "meta": {"page": 1, "limit": 50, "totalItems": 12, "totalPages": 1},
        },
    )
    tutor = load("openai-assistants-trace-download.json")
    write(
        "openai-assistants-api-observations-legacy.json",
        {
            "data": [api_observation(o, legacy_only=True) for o in tutor["observations"]],
            "meta": {"page": 1, "limit": 50, "totalItems": 4, "totalPages": 1},
        },
    )
    agents = load("openai-agents-trace-download.json")
    write(
        "openai-agents-api-v2-observations.json",
        {"data": [v2_observation(o) for o in agents["observations"]], "meta": {"cursor": None}},
    )
    framework = load("microsoft-agent-framework-trace-download.json")
    write("microsoft-agent-framework-trpc.json", trpc_trace(framework, "3c2d6f2f26930c50"))
    write("autogen-trace-download-without-io.json", without_io(load("autogen-trace-download.json")))
    write("pydantic-ai-tools-trace-download-2026-layout.json", layout_2026(tools))


if __name__ == "__main__":
    main()
