"""``--llm-changed-since REF``: which cases a change since a git ref can affect, and why.

A case is affected when its case file changed (a new case, or its pinned model, is said
as such), when the prompt template it renders changed, or when a project file its
render hook, app target or ``python`` check imports (transitively, read with ``ast``:
:mod:`llm_regressions.pyimports`) changed. "Changed" is git's diff between REF and the
working tree plus untracked files (:mod:`llm_regressions.gitutil`). Golden cases are
always selected: they gate deploys whatever changed.

Reasons are short strings, ``kind`` or ``kind: detail``; the kinds are :data:`KINDS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from llm_regressions import gitutil
from llm_regressions.casefile.loader import LoadedCase
from llm_regressions.fsutil import display_path
from llm_regressions.pyimports import ImportGraph

#: Why a case was selected, in the order reasons are listed.
KINDS = (
    "new case",
    "pinned model",
    "case file",
    "prompt template",
    "render hook",
    "target",
    "python check",
    "golden",
)


class ChangesError(Exception):
    """``--llm-changed-since`` cannot tell what changed: one line, naming the ref and
    the fix."""


@dataclass
class ChangeSet:
    """The files changed since ``ref`` in the checkout holding ``root``."""

    ref: str
    root: Path
    top: Path
    commit: str
    changed: set[Path]
    graph: ImportGraph
    _old_texts: dict[Path, str | None] = field(default_factory=dict)

    @classmethod
    def since(cls, ref: str, root: Path) -> ChangeSet:
        """Ask git once; raises :class:`ChangesError` without git, outside a checkout
        or for a ref git does not know."""
        flag = f"--llm-changed-since {ref}"
        try:
            top = gitutil.toplevel(root)
        except gitutil.GitError as exc:
            fix = "install git" if isinstance(exc, gitutil.GitMissing) else "run in a git checkout"
            raise ChangesError(f"{flag}: {exc}; {fix}, or drop the flag") from None
        try:
            commit = gitutil.resolve_commit(top, ref)
        except gitutil.GitError as exc:
            raise ChangesError(
                f"{flag}: {exc} in {top}; fetch it first (e.g. 'git fetch origin main'; a "
                "shallow CI clone needs the history: actions/checkout's fetch-depth: 0) or "
                "name a branch, tag or commit that exists"
            ) from None
        try:
            changed = gitutil.changed_since(top, commit)
        except gitutil.GitError as exc:
            raise ChangesError(f"{flag}: git diff failed: {exc}") from None
        return cls(ref, root.resolve(), top, commit, changed, ImportGraph(top))

    def reasons(self, loaded: LoadedCase) -> list[str]:
        """Why ``loaded`` is selected; empty when nothing it depends on changed."""
        case = loaded.case
        found = self._case_file(loaded)
        if case.prompt is not None and case.prompt.template is not None:
            template = (self.root / case.prompt.template).resolve()
            if template in self.changed:
                found.append(f"prompt template: {case.prompt.template}")
        if case.prompt is not None and case.prompt.render is not None:
            found += self._code("render hook", case.prompt.render)
        if case.target is not None:
            found += self._code("target", case.target)
        for reference in python_checks(case.checks):
            found += self._code("python check", reference)
        if case.golden:
            found.append("golden")
        return found

    def _case_file(self, loaded: LoadedCase) -> list[str]:
        path = loaded.path.resolve()
        if path not in self.changed:
            return []
        if path not in self._old_texts:
            self._old_texts[path] = gitutil.file_at(self.top, self.commit, path)
        old = _old_case(self._old_texts[path], loaded.case.id)
        if old is None:
            return ["new case"]
        before, now = _model_name(old), loaded.case.model.name
        if before is not None and before != now:
            return [f"pinned model: {before} -> {now}"]
        return ["case file"]

    def _code(self, kind: str, reference: str) -> list[str]:
        """``kind: module:function (file changed)`` for the first changed project file
        the reference's module runs when imported."""
        module = reference.partition(":")[0]
        for path in sorted(self.graph.files_of(module)):
            if path in self.changed:
                return [f"{kind}: {reference} ({display_path(path, self.root)} changed)"]
        return []


def python_checks(checks: list[dict[str, Any]]) -> list[str]:
    """The ``module:function`` of each ``python`` check."""
    found = []
    for entry in checks:
        arg = entry.get("python")
        reference = arg.get("function") if isinstance(arg, dict) else arg
        if isinstance(reference, str):
            found.append(reference)
    return found


def _old_case(text: str | None, case_id: str) -> dict[str, Any] | None:
    """The case ``case_id`` as its file held it at the ref (None: not there then)."""
    if text is None:
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}  # unreadable then: the file changed, nothing more to say
    entries = data.get("cases") if isinstance(data, dict) and "cases" in data else [data]
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("id") == case_id:
            return entry
    return None


def _model_name(case: dict[str, Any]) -> Any:
    model = case.get("model")
    return model.get("name") if isinstance(model, dict) else model


def kind_of(reason: str) -> str:
    """``"target: app:run (app/x.py changed)"`` -> ``"target"``."""
    return reason.partition(":")[0]
