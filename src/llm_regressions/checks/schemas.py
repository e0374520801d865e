"""JSON Schemas checked against their meta-schema once per distinct schema.

The cases of one app repeat a handful of tool and output schemas, and jsonschema walks
the meta-schema in Python (milliseconds a schema), so 10,000 cases would otherwise spend
most of their collection re-checking the same few schemas.
"""

from __future__ import annotations

from typing import Any

#: repr of a schema -> its problem (message, path into the schema) or None. A repr tells
#: plain data apart exactly (``1``, ``1.0``, ``True`` and ``'1'`` all differ).
_CHECKED: dict[str, tuple[str, tuple[str | int, ...]] | None] = {}
#: Distinct schemas remembered; past that, schemas are checked each time.
MAX_REMEMBERED = 4096


def schema_problem(schema: Any) -> tuple[str, tuple[str | int, ...]] | None:
    """Why ``schema`` breaks its meta-schema (``$schema`` picks the draft, else
    2020-12): the message and where in the schema, or None when it is sound."""
    key = repr(schema)
    if key in _CHECKED:
        return _CHECKED[key]
    from jsonschema import exceptions, validators

    validator_class = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        validator_class.check_schema(schema)
        problem = None
    except exceptions.SchemaError as exc:
        problem = exc.message, tuple(exc.path)
    if len(_CHECKED) < MAX_REMEMBERED:
        _CHECKED[key] = problem
    return problem
