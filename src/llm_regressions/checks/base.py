"""What a check is: a binary scorer with validated arguments and a one-line reason.

A check is a class with a ``name``, an ``Args`` type (any pydantic-validatable type: the
argument as written in YAML is validated against it at collection) and ``__call__``,
which scores one :class:`~llm_regressions.replay.ReplayResult`. Third-party checks
subclass :class:`Check` and register under the entry-point group
``llm_regressions.checks``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from llm_regressions.casefile.model import Case
    from llm_regressions.replay import ReplayResult


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check on one answer.

    ``applicable`` is False when the answer lacks what the check needs (no latency was
    recorded, say); such a result neither passes nor fails the case.
    """

    passed: bool
    reason: str
    detail: str | None = None
    applicable: bool = True

    @classmethod
    def not_applicable(cls, reason: str) -> CheckResult:
        return cls(passed=True, reason=reason, applicable=False)


def same_json(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's ``==``, ``true`` is not ``1`` and ``1.0`` is ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return a == b


class CheckArgsError(ValueError):
    """A check's argument is invalid. ``path`` locates it below the check's name."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class CheckError(RuntimeError):
    """A check could not score at all (not a failure of the model: an error)."""


class Check:
    """Base class of every check. Subclasses set ``name`` and ``Args``, implement
    ``score``, and may override ``setup`` (argument checks beyond types) and
    ``validate_case`` (checks that need something from the case, e.g. ``expected``)."""

    name: ClassVar[str]
    Args: ClassVar[Any] = Any
    #: True for checks that call a model (llm_judge): they run in recorded mode too.
    needs_model: ClassVar[bool] = False
    #: The metric a check counts towards: "schema" (schema pass rate), "tools"
    #: (tool-call success rate), or None.
    family: ClassVar[str | None] = None

    def __init__(self, arg: Any) -> None:
        self.raw_arg = arg
        self.arg = _validate(type(self), arg)
        self.setup()

    def setup(self) -> None:
        """Validate and precompute beyond the argument's type. Raise CheckArgsError."""

    def validate_case(self, case: Case) -> None:
        """Check that the case gives this check what it needs. Raise CheckArgsError."""

    def nested(self) -> list[tuple[tuple[str | int, ...], Any]]:
        """Checks written inside this check's argument, as (path below the check, entry):
        the registry builds them and hands them to :meth:`adopt` (a check that runs
        other checks, like ``final_answer``)."""
        return []

    def adopt(self, checks: list[Check]) -> None:
        """Receive the checks :meth:`nested` listed, built."""

    def score(self, result: ReplayResult, case: Case) -> CheckResult:
        raise NotImplementedError

    def describe(self) -> str:
        """Short human form, as written in the case file."""
        text = repr(self.raw_arg)
        return f"{self.name}: {text if len(text) <= 60 else text[:57] + '...'}"

    @classmethod
    def arg_schema(cls) -> dict[str, Any]:
        """JSON Schema of the argument, for the published case schema."""
        return _adapter(cls).json_schema()


@cache
def _adapter(check_class: type[Check]) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(check_class.Args)


def _validate(check_class: type[Check], arg: Any) -> Any:
    from pydantic import ValidationError

    try:
        return _adapter(check_class).validate_python(arg)
    except ValidationError as exc:
        located = [
            (tuple(p for p in e["loc"] if isinstance(p, int) or not _is_union_tag(p)), e["msg"])
            for e in exc.errors(include_url=False)
        ]
        # for a union (``str | RegexArgs``) pydantic reports every member; the one that
        # got furthest into the argument is the one the user meant (a mapping's field)
        path, message = max(located, key=lambda item: len(item[0]))
        raise CheckArgsError(message, path) from None


def _is_union_tag(part: str) -> bool:
    # pydantic names union members in error locations ("str", "list[str]", "ContainsArgs")
    return not part.isidentifier() or part[:1].isupper() or part in {"str", "int", "float", "bool"}
