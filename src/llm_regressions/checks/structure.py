"""Checks on structured output: valid JSON, a JSON Schema, a value at a path, and a
deep comparison with the case's expected output."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from llm_regressions import jsontext
from llm_regressions.checks.base import Check, CheckArgsError, CheckResult, same_json
from llm_regressions.checks.schemas import schema_problem
from llm_regressions.replay import ReplayResult

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.DOTALL)
_MISSING = object()


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def parse_json(text: str | None, allow_code_fence: bool = False) -> tuple[Any, str | None]:
    """``(value, None)`` when ``text`` is JSON, else ``(None, one-line reason)``."""
    if text is None or not text.strip():
        return None, "output is empty, not JSON"
    if allow_code_fence:
        fenced = _FENCE.match(text)
        text = fenced.group(1) if fenced else text
    try:
        return jsontext.loads(text), None  # json.loads' values and errors, faster
    except ValueError as exc:
        return None, f"output is not valid JSON: {exc}"


class JsonValidArgs(_Args):
    allow_code_fence: bool = Field(False, description="Accept JSON wrapped in ```json fences.")


class JsonValid(Check):
    """The output parses as JSON."""

    name = "json_valid"
    family = "schema"
    Args = Literal[True] | JsonValidArgs

    def setup(self) -> None:
        self.fence = isinstance(self.arg, JsonValidArgs) and self.arg.allow_code_fence

    def score(self, result, case):
        _, error = parse_json(result.output, self.fence)
        return CheckResult(error is None, error or "output is valid JSON")


class JsonSchema(Check):
    """The output is JSON that validates against a JSON Schema (any draft jsonschema
    knows; ``$schema`` picks it, else 2020-12). ``$ref`` s are followed inside the
    schema only: nothing is ever fetched or read from disk."""

    name = "json_schema"
    family = "schema"
    Args = dict[str, Any]

    def setup(self) -> None:
        from jsonschema import validators
        from referencing import Registry

        validator_class = validators.validator_for(
            self.arg, default=validators.Draft202012Validator
        )
        problem = schema_problem(self.arg)
        if problem is not None:
            raise CheckArgsError(f"invalid JSON Schema: {problem[0]}", problem[1])
        _refuse_outside_refs(self.arg)
        # an empty registry that retrieves nothing: no network, no file, even for a
        # reference the walk above could not see
        self.validator = validator_class(self.arg, registry=Registry(retrieve=_retrieve_nothing))

    def score(self, result, case):
        value, error = parse_json(result.output)
        if error:
            return CheckResult(False, error)
        problem = next(iter(sorted(self.validator.iter_errors(value), key=_error_depth)), None)
        if problem is None:
            return CheckResult(True, "output matches the JSON Schema")
        where = "$" + "".join(f"[{p!r}]" for p in problem.absolute_path)
        return CheckResult(False, f"schema violation at {where}: {problem.message}")


def _refuse_outside_refs(schema: Any, path: tuple[str | int, ...] = ()) -> None:
    """A ``$ref`` must point inside the schema (``#...``, or an ``$id`` it defines)."""
    ids = {node.get("$id") for node, _ in _nodes(schema, ()) if isinstance(node, dict)}
    for node, where in _nodes(schema, path):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and not ref.startswith("#") and ref.split("#")[0] not in ids:
            remote = "://" in ref and not ref.startswith("file:")
            target = "to a remote schema" if remote else "outside the schema"
            raise CheckArgsError(
                f"$ref {ref!r} points {target}: "
                "references are followed inside the schema only (nothing is fetched or read); "
                "put the definition under $defs and refer to it as #/$defs/...",
                (*where, "$ref"),
            )


def _nodes(node: Any, where: tuple[str | int, ...]) -> list[tuple[Any, tuple[str | int, ...]]]:
    """Every object and array in ``node`` with its path, iteratively (schemas can nest)."""
    found, stack = [], [(node, where)]
    while stack:
        current, at = stack.pop()
        found.append((current, at))
        children = (
            current.items()
            if isinstance(current, dict)
            else enumerate(current)
            if isinstance(current, list)
            else ()
        )
        stack += [(v, (*at, k)) for k, v in children if isinstance(v, (dict, list))]
    return found


def _retrieve_nothing(uri: str) -> Any:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)


def _error_depth(error: Any) -> int:
    return len(error.absolute_path)


_PATH_TOKEN = re.compile(r"\.([A-Za-z_][\w-]*)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")


def parse_path(path: str) -> list[str | int]:
    """Parse the JSONPath subset ``$.a.b[0]['c d']`` into keys and indexes."""
    text = path.strip()
    if not text.startswith("$"):
        text = "$." + text
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        match = _PATH_TOKEN.match(text, position)
        if not match:
            raise CheckArgsError(
                f"invalid path {path!r} at {text[position:]!r}: use $.key, [0] or ['key']",
                ("path",),
            )
        key, index, quoted = match.groups()
        steps.append(int(index) if index is not None else (key or quoted))
        position = match.end()
    return steps


def value_at(data: Any, steps: list[str | int]) -> Any:
    for step in steps:
        if isinstance(step, int) and isinstance(data, list) and -len(data) <= step < len(data):
            data = data[step]
        elif isinstance(step, str) and isinstance(data, dict) and step in data:
            data = data[step]
        else:
            return _MISSING
    return data


class JsonPathArgs(_Args):
    path: str = Field(..., description="JSONPath subset: $.key.sub[0]['odd key']")
    equals: Any = None
    contains: Any = None
    exists: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> JsonPathArgs:
        given = [n for n in ("equals", "contains", "exists") if n in self.model_fields_set]
        if len(given) != 1:
            raise ValueError("give exactly one of 'equals', 'contains' or 'exists'")
        return self


class JsonPath(Check):
    """The JSON output has a value at a path that equals, contains, or just exists."""

    name = "json_path"
    Args = JsonPathArgs

    def setup(self) -> None:
        self.steps = parse_path(self.arg.path)

    def score(self, result, case):
        data, error = parse_json(result.output)
        if error:
            return CheckResult(False, error)
        value = value_at(data, self.steps)
        path, arg = self.arg.path, self.arg
        if "exists" in arg.model_fields_set:
            found = value is not _MISSING
            word = "exists" if found else "is missing"
            return CheckResult(found == arg.exists, f"{path} {word}")
        if value is _MISSING:
            return CheckResult(False, f"{path} is missing from the output")
        if "equals" in arg.model_fields_set:
            return CheckResult(
                same_json(value, arg.equals), f"{path} is {value!r} (want {arg.equals!r})"
            )
        if isinstance(value, str) and isinstance(arg.contains, str):
            found = arg.contains in value
        elif isinstance(value, list):
            found = any(same_json(item, arg.contains) for item in value)
        elif isinstance(value, dict):
            found = arg.contains in value
        else:
            found = False
        return CheckResult(found, f"{path} is {value!r} (must contain {arg.contains!r})")


class MatchesExpectedArgs(_Args):
    ignore_order: bool = False
    exclude_paths: list[str] = Field(
        default_factory=list, description="deepdiff paths to ignore, e.g. root['id']"
    )
    significant_digits: int | None = Field(None, ge=0)
    ignore_case: bool = False


class MatchesExpected(Check):
    """The output matches ``expected.output``: a deepdiff comparison of the parsed JSON
    when both sides are JSON, else a text comparison (whitespace-trimmed)."""

    name = "matches_expected"
    Args = Literal[True] | MatchesExpectedArgs

    def setup(self) -> None:
        self.opts = self.arg if isinstance(self.arg, MatchesExpectedArgs) else MatchesExpectedArgs()

    def validate_case(self, case) -> None:
        if case.expected is None or case.expected.output is None:
            raise CheckArgsError("needs 'expected.output' in the case to compare with")

    def score(self, result: ReplayResult, case):
        want = case.expected.output
        if isinstance(want, str):
            want_json, error = parse_json(want)
            if error:  # plain text on both sides
                return self._compare_text(result.output or "", want)
            want = want_json
        got, error = parse_json(result.output)
        if error:
            return CheckResult(False, error)
        return self._compare_json(got, want)

    def _compare_text(self, got: str, want: str) -> CheckResult:
        norm = (lambda s: s.strip().casefold()) if self.opts.ignore_case else str.strip
        if norm(got) == norm(want):
            return CheckResult(True, "output matches expected.output")
        import difflib

        diff = "\n".join(
            difflib.unified_diff(
                want.splitlines(), got.splitlines(), "expected", "output", lineterm=""
            )
        )
        return CheckResult(False, "output differs from expected.output", detail=diff)

    def _compare_json(self, got: Any, want: Any) -> CheckResult:
        if _identical(got, want):  # no option can find a difference: skip DeepDiff's ~5 ms
            return CheckResult(True, "output matches expected.output")
        from deepdiff import DeepDiff

        diff = DeepDiff(
            want,
            got,
            ignore_order=self.opts.ignore_order,
            exclude_paths=self.opts.exclude_paths or None,
            significant_digits=self.opts.significant_digits,
            ignore_string_case=self.opts.ignore_case,
        )
        if not diff:
            return CheckResult(True, "output matches expected.output")
        kinds = ", ".join(k.replace("_", " ") for k in diff)
        return CheckResult(
            False, f"output differs from expected.output ({kinds})", detail=diff.pretty()
        )


def _identical(a: Any, b: Any) -> bool:
    """The same JSON of the same types (``1`` is not ``1.0`` here, as for DeepDiff)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_identical(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_identical(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
