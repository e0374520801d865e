"""The neutral model's declared types, checked as soon as a trace is read.

Inspect, diagnosis and promotion trust the types in :mod:`llm_regressions.traces.model`
(a name is a string, a token count an integer, a message a dict with a ``role``). A
value of another type would crash them far from its cause, so the first one is refused
here, naming the span and the field. The type hints are the rules: dataclasses,
TypedDicts, ``list[...]``, ``dict[str, ...]``, unions, ``Literal`` and scalars; ``Any``
is not looked into. Each hint is turned into a checking function once (traces hold
100,000s of values); a path is only built for the value that is wrong.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, Literal, Union

from llm_regressions.traces.errors import BadTrace
from llm_regressions.traces.model import Span

#: (path parts such as ".llm", "[0]", innermost last; what is wrong)
Problem = tuple[list[str], str]
Check = Callable[[Any], "Problem | None"]
_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
_NAMES |= {list: "a list", dict: "an object", type(None): "null"}
_SCALARS = (str, int, bool, type(None))  # checked by exact type: True is no integer


def check_spans(spans: Iterable[Any]) -> None:
    """Raise :class:`BadTrace` for the first wrong-typed value in ``spans``: ``Span``
    objects, or the plain dicts of the plugin's own format before they become spans."""
    check = _compile(Span)
    for index, span in enumerate(spans):
        problem = check(span)
        if problem:
            parts, what = problem
            where = "".join(reversed(parts)).lstrip(".")
            raise BadTrace(f"{span_label(index, span)}: {where + ': ' if where else ''}{what}")


def span_label(index: int, span: Any) -> str:
    """``spans[3] (span 00f067aa0ba902b7)``: the position, plus the id when it is one."""
    span_id = span.get("span_id") if isinstance(span, dict) else getattr(span, "span_id", None)
    return f"spans[{index}]" + (f" (span {span_id})" if isinstance(span_id, str) else "")


def describe(value: Any) -> str:
    """What a JSON value is, never what it holds (it may be a secret)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("-Infinity" if value < 0 else "Infinity")
    if isinstance(value, bool):
        return str(value).lower()
    kind = next((t for t in _NAMES if isinstance(value, t)), None)
    return _NAMES[kind] if kind else "an object"


@cache
def _compile(hint: Any) -> Check:
    """The function checking a value against ``hint`` (a union tries each member)."""
    union = typing.get_origin(hint) in (Union, types.UnionType)
    options = typing.get_args(hint) if union else (hint,)
    if Any in options:
        return _anything
    nullable = type(None) in options
    members = [(_fits(o), _inside(o)) for o in options if o is not type(None)]
    names = [_expected(o) for o in options]
    expected = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    if all(o in _SCALARS for o in options):  # the common case, made fast
        return _exact(frozenset(options), expected)

    def check(value: Any) -> Problem | None:
        if value is None and nullable:
            return None
        for fits, inside in members:
            if fits(value):
                return inside(value) if inside else None
        return [], f"expected {expected}, got {describe(value)}"

    # Read by _record, to take most values without a call: the types a value may have
    # with nothing inside to check, and the containers that pass when empty
    settled = {typing.get_origin(o) or o for o in options if _inside(o) is None}
    check.kinds = frozenset(t for t in settled if isinstance(t, type))  # type: ignore[attr-defined]
    check.empties = frozenset(_empty_passes(o) for o in options) - {None}  # type: ignore[attr-defined]
    alone = [o for o in options if o is not type(None)]
    check.alone = alone[0] if len(alone) == 1 else None  # type: ignore[attr-defined]
    return check


def _empty_passes(hint: Any) -> type | None:
    """``list`` or ``dict`` when an empty one is a valid ``hint`` (a list, a dict, a
    TypedDict without required keys), else None."""
    origin = typing.get_origin(hint) or hint
    if origin in (list, dict):
        return origin
    if typing.is_typeddict(origin) and not origin.__required_keys__:
        return dict
    return None


def _exact(kinds: frozenset[type], expected: str) -> Check:
    def check_scalar(value: Any) -> Problem | None:
        if type(value) in kinds:
            return None
        return [], f"expected {expected}, got {describe(value)}"

    check_scalar.kinds = kinds  # type: ignore[attr-defined]  # read by _record
    return check_scalar


def _anything(value: Any) -> None:
    return None


def _fits(hint: Any) -> Callable[[Any], bool]:
    """Whether a value is of ``hint``'s kind, not yet looking inside it."""
    origin = typing.get_origin(hint) or hint
    if origin is Literal:
        allowed = typing.get_args(hint)
        return lambda v: isinstance(v, str) and v in allowed
    if dataclasses.is_dataclass(origin):
        return lambda v: isinstance(v, (dict, origin))
    kinds = {float: (int, float), int: int}.get(origin, dict if _is_record(origin) else origin)
    if origin in (int, float):
        return lambda v: isinstance(v, kinds) and not isinstance(v, bool)
    return lambda v: isinstance(v, kinds)


def _inside(hint: Any) -> Check | None:
    """The check of a fitting value's contents: items, fields, or a finite float."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is float:
        return _finite
    if origin is list:
        return _each(_compile(args[0]), enumerate, "[{}]")
    if origin is dict:
        return None if args[1] is Any else _each(_compile(args[1]), dict.items, ".{}")
    return _record(hint) if _is_record(hint) else None


def _finite(value: Any) -> Problem | None:
    if isinstance(value, float) and not math.isfinite(value):
        return [], f"expected a finite number, got {describe(value)}"
    return None


def _each(check: Check, entries: Callable[[Any], Iterable[tuple[Any, Any]]], part: str) -> Check:
    """Checks every item of a list (``enumerate``, ``[{}]``) or dict (``dict.items``)."""

    def check_each(value: Any) -> Problem | None:
        for key, item in entries(value):
            problem = check(item)
            if problem:
                problem[0].append(part.format(key))
                return problem
        return None

    return check_each


@cache
def _record(cls: type) -> Check:
    """A dataclass (an instance, or its fields as a dict) or a TypedDict."""
    hints = typing.get_type_hints(cls)
    if dataclasses.is_dataclass(cls):
        missing = dataclasses.MISSING
        fields = dataclasses.fields(cls)
        required = {f.name for f in fields if f.default is missing and f.default_factory is missing}
        names = [f.name for f in fields]
    else:
        required, names = set(cls.__required_keys__), list(hints)
    checks = [(name, _compile(hints[name]), name in required) for name in names]
    checks = [(name, check, needed) for name, check, needed in checks if check is not _anything]
    any_required = any(needed for _, _, needed in checks)

    def check_plain(value: dict) -> Problem | None:
        if not value and not any_required:  # an empty Params, ...: nothing to look at
            return None
        for name, check, needed in checks:
            if name not in value:
                problem = ([], "missing") if needed else None
            else:
                problem = check(value[name])
            if problem:
                problem[0].append(f".{name}")
                return problem
        return None

    if not dataclasses.is_dataclass(cls):  # a TypedDict: only ever a dict
        return check_plain
    check_instance = _instance_check([(name, check) for name, check, _ in checks])

    def check_record(value: Any) -> Problem | None:
        if isinstance(value, dict):
            return check_plain(value)
        return check_instance(value)

    check_record.instance = check_instance  # type: ignore[attr-defined]  # see _instance_check
    return check_record


def _instance_check(checks: list[tuple[str, Check]]) -> Check:
    """The check of a dataclass instance's fields, written out field by field as one
    function (as :mod:`dataclasses` writes ``__init__``): a loop over the fields cost a
    twentieth of reading a production span. A value whose type needs no look inside (a
    scalar, a None where allowed, an empty list, a finite float, one of a Literal's
    strings) passes without a call; an optional dataclass goes straight to its fields."""
    nothing: frozenset[type] = frozenset()
    env: dict[str, Any] = {}
    lines = ["def check_instance(value):"]
    for index, (name, check) in enumerate(checks):
        assert name.isidentifier()  # a field of the model's own dataclasses
        env[f"check_{index}"] = check
        env[f"kinds_{index}"] = kinds = getattr(check, "kinds", nothing)
        env[f"empties_{index}"] = empties = getattr(check, "empties", nothing)
        passes = f"kind in kinds_{index}" if kinds else "False"
        if empties:
            passes += f" or (kind in empties_{index} and not item)"
        alone = getattr(check, "alone", None)  # the one type the field has besides None
        if alone is float:
            passes += " or (kind is float and item - item == 0)"  # not inf, not NaN
        elif typing.get_origin(alone) is Literal and all(
            isinstance(v, str) for v in typing.get_args(alone)
        ):
            env[f"allowed_{index}"] = frozenset(typing.get_args(alone))
            passes += f" or (kind is str and item in allowed_{index})"
        found = ["        if problem:", f"            problem[0].append('.{name}')"]
        found += ["            return problem"]
        lines += [f"    item = value.{name}", "    kind = type(item)"]
        if dataclasses.is_dataclass(alone):
            env[f"record_{index}"], env[f"fields_{index}"] = alone, _record(alone).instance
            lines += [f"    if kind is record_{index}:", f"        problem = fields_{index}(item)"]
            lines += [*found, f"    elif not ({passes}):"]
        else:
            lines += [f"    if not ({passes}):"]
        lines += [f"        problem = check_{index}(item)", *found]
    lines.append("    return None")
    exec(compile("\n".join(lines), f"<typecheck of {len(checks)} fields>", "exec"), env)
    return env["check_instance"]


def _is_record(hint: Any) -> bool:
    return isinstance(hint, type) and (dataclasses.is_dataclass(hint) or typing.is_typeddict(hint))


def _expected(hint: Any) -> str:
    origin = typing.get_origin(hint) or hint
    if origin is Literal:
        return "one of " + ", ".join(repr(v) for v in typing.get_args(hint))
    return "an object" if _is_record(origin) else _NAMES.get(origin, str(origin))
