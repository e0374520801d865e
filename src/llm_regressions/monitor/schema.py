"""The published JSON Schema of monitors.yaml, generated from the pydantic models (the
checked-in copy, ``schemas/monitor.v1.json``, is kept in step by a test)."""

from __future__ import annotations

from typing import Any

from llm_regressions.casefile.schema import check_item_schema

SCHEMA_ID = "https://pytest-llm-regressions.dev/schemas/monitor.v1.json"
SCHEMA_FILE = "monitor.v1.json"


def build_monitor_schema() -> dict[str, Any]:
    from llm_regressions.monitor.rules import MonitorFile

    schema = MonitorFile.model_json_schema()
    defs = schema.setdefault("$defs", {})
    defs["Rule"]["properties"]["checks"]["items"] = check_item_schema(defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "pytest-llm-regressions monitor rules, format version 1",
    }
