"""The published JSON Schema of case files, generated from the pydantic models.

The checked-in copy (``schemas/case.v1.json``) lets editors validate case files; a test
fails when it drifts from the models. Built-in checks contribute their argument schemas.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMA_ID = "https://pytest-llm-regressions.dev/schemas/case.v1.json"
SCHEMA_FILE = "case.v1.json"


def build_schema() -> dict[str, Any]:
    from llm_regressions.casefile.model import Case

    schema = Case.model_json_schema()
    schema["properties"]["checks"]["items"] = check_item_schema(schema.setdefault("$defs", {}))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "pytest-llm-regressions case, format version 1",
    }


def check_item_schema(defs: dict[str, Any]) -> dict[str, Any]:
    """The schema of one ``checks:`` item (case files and monitors.yaml); the argument
    schemas' nested ``$defs`` are hoisted into ``defs``, the document's top level."""
    from llm_regressions.checks.registry import BUILTIN_CHECKS

    check_schema = {
        "type": "object",
        "description": "One check: its name mapped to its argument. Names other than the "
        "built-ins come from plugins (entry-point group llm_regressions.checks).",
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {
            name: {"description": _first_line(cls.__doc__), **cls.arg_schema()}
            for name, cls in sorted(BUILTIN_CHECKS.items())
        },
    }
    for prop in check_schema["properties"].values():
        defs.update(prop.pop("$defs", {}))
    return check_schema


def _first_line(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def render_schema(schema: dict[str, Any] | None = None) -> str:
    return json.dumps(schema or build_schema(), indent=2, sort_keys=False) + "\n"


def checked_in_schema(name: str = SCHEMA_FILE) -> str:
    return resources.files("llm_regressions").joinpath("schemas", name).read_text("utf-8")
