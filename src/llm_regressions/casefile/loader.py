"""Case file -> validated cases, or one located error message.

Every problem is reported as ``path:line: field.path: message`` so a user can jump
straight to it; nothing in a case file is ever executed (safe YAML, and ``python``
checks are imported by name only).
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from llm_regressions.casefile import yamlio
from llm_regressions.casefile.model import Case, CaseList
from llm_regressions.casefile.yamlio import format_path
from llm_regressions.checks import Check, CheckArgsError
from llm_regressions.checks.registry import build_check

#: Case files are small; anything larger is refused before it is read into memory.
MAX_CASE_FILE_BYTES = 5 * 1024 * 1024
#: At most this many problems are listed per file.
MAX_REPORTED_ERRORS = 5


@dataclass
class Problem:
    line: int | None
    field: str
    message: str


class CaseFormatError(Exception):
    """A case file could not be loaded; ``str()`` is the located, user-facing message."""

    def __init__(self, display_path: str, problems: list[Problem]) -> None:
        self.display_path = display_path
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = []
        for problem in self.problems[:MAX_REPORTED_ERRORS]:
            where = f"{self.display_path}:{problem.line}" if problem.line else self.display_path
            lines.append(
                f"{where}: {problem.field + ': ' if problem.field else ''}{problem.message}"
            )
        extra = len(self.problems) - MAX_REPORTED_ERRORS
        if extra > 0:
            lines.append(f"... and {extra} more problem(s) in {self.display_path}")
        return "\n".join(lines)


@dataclass
class LoadedCase:
    """A validated case with its compiled checks and where it was defined.

    ``lines`` locates the case's fields while collection still checks them (prompt
    templates, targets); the collector drops it afterwards, since 10,000 cases would
    keep tens of MB of line maps alive for nothing."""

    case: Case
    checks: list[Check]
    path: Path
    line: int = 1
    lines: yamlio.LineMap | None = field(default=None, repr=False)
    prefix: tuple[str | int, ...] = ()
    #: The file's content when the case was loaded (:func:`text_hash`): a later edit of
    #: the file is noticed before anything rewrites it.
    file_hash: str = ""

    def line_of(self, where: tuple[str | int, ...]) -> int:
        """The file line of the case field ``where`` (the case's own line once the
        line map is dropped)."""
        if self.lines is None:
            return self.line
        return self.lines.line_of((*self.prefix, *where))


def read_case_text(path: Path, display: str) -> str:
    """Read a case file as UTF-8, refusing oversized or undecodable files."""
    size = path.stat().st_size
    if size > MAX_CASE_FILE_BYTES:
        raise CaseFormatError(
            display,
            [
                Problem(
                    None,
                    "",
                    f"file is {size / 1_048_576:.1f} MB; case files are limited to "
                    f"{MAX_CASE_FILE_BYTES // 1_048_576} MB (keep large context out of cases)",
                )
            ],
        )
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CaseFormatError(
            display,
            [
                Problem(
                    line,
                    "",
                    f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                )
            ],
        ) from None


#: Text -> (data, line map): :func:`yamlio.load`, or a cache's ``load`` in front of it.
Parse = Callable[[str], tuple[Any, yamlio.LineMap]]


def load_case_file(
    path: Path, display: str | None = None, parse: Parse = yamlio.load
) -> list[LoadedCase]:
    """Load every case in ``path``. Raises :class:`CaseFormatError`."""
    display = display or str(path)
    text = read_case_text(path, display)
    loaded = load_case_text(text, path, display, parse)
    digest = text_hash(text)
    for case in loaded:
        case.file_hash = digest
    return loaded


def text_hash(text: str) -> str:
    """A short content hash of a case file's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_mapping(
    text: str, display: str, expected: str, fields: str, parse: Parse = yamlio.load
) -> tuple[dict[str, Any], yamlio.LineMap]:
    """The YAML mapping in ``text`` and its line map (case files, monitors.yaml); an
    empty file, bad YAML or another top-level type is a located :class:`CaseFormatError`
    (``expected``/``fields`` name what the file should hold)."""
    if not text.strip():
        raise CaseFormatError(display, [Problem(1, "", f"file is empty; expected {expected}")])
    try:
        data, lines = parse(text)
    except yamlio.YamlSyntaxError as exc:
        raise CaseFormatError(
            display, [Problem(exc.line, "", f"invalid YAML: {exc.message}")]
        ) from None
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "nothing"
        raise CaseFormatError(
            display, [Problem(1, "", f"expected a mapping with {fields}, got {kind}")]
        )
    return data, lines


def load_case_text(
    text: str, path: Path, display: str, parse: Parse = yamlio.load
) -> list[LoadedCase]:
    """Load every case in ``text`` (the contents of ``path``), e.g. before it is written.
    Raises :class:`CaseFormatError`."""
    data, lines = load_mapping(text, display, "a case", "the case's fields", parse)
    if "cases" in data:
        return _load_list(data, lines, path, display)
    return [_load_one(data, lines, (), path, display)]


def _load_list(data: dict, lines: yamlio.LineMap, path: Path, display: str) -> list[LoadedCase]:
    try:
        CaseList.model_validate(data)
    except ValidationError as exc:
        raise CaseFormatError(display, validation_problems(exc, data, lines, ())) from None
    loaded, problems, seen = [], [], {}
    for index, raw in enumerate(data["cases"]):
        prefix = ("cases", index)
        if not isinstance(raw, dict):
            problems.append(
                Problem(lines.line_of(prefix), format_path(prefix), "expected a mapping")
            )
            continue
        raw = {"version": data["version"], **raw} if "version" in data else raw
        try:
            case = _load_one(raw, lines, prefix, path, display)
        except CaseFormatError as exc:
            problems.extend(exc.problems)
            continue
        if case.case.id in seen:
            problems.append(
                Problem(
                    case.line,
                    format_path((*prefix, "id")),
                    f"duplicate id {case.case.id!r} (also at line {seen[case.case.id]})",
                )
            )
            continue
        seen[case.case.id] = case.line
        loaded.append(case)
    if problems:
        raise CaseFormatError(display, problems)
    return loaded


def _load_one(
    raw: dict, lines: yamlio.LineMap, prefix: tuple, path: Path, display: str
) -> LoadedCase:
    try:
        case = Case.model_validate(raw)
    except ValidationError as exc:
        raise CaseFormatError(display, validation_problems(exc, raw, lines, prefix)) from None
    checks, problems = [], []
    for index, entry in enumerate(case.checks):
        ((name, arg),) = entry.items()
        where = (*prefix, "checks", index, name)
        try:
            check = build_check(name, arg)
            check.validate_case(case)
        except CheckArgsError as exc:
            located = (*where, *exc.path)
            problems.append(Problem(lines.line_of(located), format_path(located), exc.message))
            continue
        checks.append(check)
    problems += _stub_problems(case, lines, prefix)
    if problems:
        raise CaseFormatError(display, problems)
    line = lines.line_of(prefix) if prefix else 1
    return LoadedCase(case, checks, path, line, lines, prefix)


def _stub_problems(case: Case, lines: yamlio.LineMap, prefix: tuple) -> list[Problem]:
    """A session's ``tool_stub`` must import and be callable (checked by name now, so
    a typo is a located error instead of a failure mid-replay)."""
    from llm_regressions.usercode import UserCodeError, resolve_callable

    reference = case.session.tool_stub if case.session is not None else None
    if not reference:
        return []
    try:
        resolve_callable(reference)
    except UserCodeError as exc:
        where = (*prefix, "session", "tool_stub")
        return [Problem(lines.line_of(where), format_path(where), str(exc))]
    return []


def validation_problems(
    exc: ValidationError,
    raw: Any,
    lines: yamlio.LineMap,
    prefix: tuple,
    known: Callable[[], list[str]] | None = None,
) -> list[Problem]:
    """Pydantic's errors as located problems; ``known`` lists the field names an unknown
    key is compared with for a "did you mean" (the case format's by default)."""
    problems, seen = [], set()
    for error in exc.errors(include_url=False):
        loc = _data_path(error["loc"], raw, missing=error["type"] == "missing")
        if loc in seen:  # a union reports once per member; the first is enough
            continue
        seen.add(loc)
        located = (*prefix, *loc)
        problems.append(
            Problem(lines.line_of(located), format_path(located), _message(error, loc, known))
        )
    return problems


def _data_path(loc: tuple, raw: Any, missing: bool = False) -> tuple:
    """Drop pydantic's union member tags from ``loc``, keeping the path into the data
    (``missing``: its last part is a required key the data lacks)."""
    kept: list[str | int] = []
    node = raw
    for position, part in enumerate(loc):
        last = position == len(loc) - 1
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            node = node[part]
        elif missing and last and isinstance(part, str) and isinstance(node, dict):
            pass  # the required key the data lacks
        else:
            continue
        kept.append(part)
    return tuple(kept)


def _message(error: dict, loc: tuple, known: Callable[[], list[str]] | None) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        hint = difflib.get_close_matches(str(loc[-1]), (known or _known_field_names)(), n=1)
        return "unknown field" + (f" (did you mean {hint[0]!r}?)" if hint else "")
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


def _known_field_names() -> list[str]:
    from llm_regressions.casefile import model as case_module

    names: set[str] = set()
    for value in vars(case_module).values():
        if isinstance(value, type) and hasattr(value, "model_fields"):
            names.update(value.model_fields)
    return sorted(names)
