"""One pytest item per regression case: run it, report it, point at its file line."""

from __future__ import annotations

from typing import Any

import pytest

from llm_regressions.checks import CheckError
from llm_regressions.loader import LoadedCase
from llm_regressions.options import get_settings
from llm_regressions.verdict import Verdict, recorded_verdict, render_failure


class CaseFailed(Exception):
    """The case's verdict is a failure; carries the verdict for the report."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.problem)
        self.verdict = verdict


class CaseError(Exception):
    """The case could not be scored (no model behaviour was judged): shown in one line."""


class CaseItem(pytest.Item):
    """A regression case. Markers: ``llm_regression``, plus ``golden`` on golden cases;
    the label and tags are keywords, so ``-k stale_policy_retrieval`` selects by label."""

    def __init__(self, *, loaded: LoadedCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.verdict: Verdict | None = None
        case = loaded.case
        self.add_marker("llm_regression")
        if case.golden:
            self.add_marker("golden")
        self.extra_keyword_matches.update({case.label, *case.tags})
        self.user_properties.append(("llm_label", case.label))

    def setup(self) -> None:
        # Getting and scoring the answers happens here so that anything that stops a
        # case from being judged at all (provider trouble, a check that cannot run) is
        # a pytest ERROR, while a wrong answer is a FAILURE in runtest.
        settings = get_settings(self.config)
        if settings.replay != "recorded":
            raise CaseError(
                f"--llm-replay {settings.replay} is not available in this version; "
                "run with --llm-replay recorded"
            )
        try:
            self.verdict = recorded_verdict(self.loaded)
        except CheckError as exc:
            raise CaseError(str(exc)) from None

    def runtest(self) -> None:
        if not self.verdict.ok:
            raise CaseFailed(self.verdict)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> str:
        if isinstance(excinfo.value, CaseFailed):
            return render_failure(self.loaded, excinfo.value.verdict)
        if isinstance(excinfo.value, CaseError):
            return f"{self.loaded.case.id}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        case = self.loaded.case
        return self.path, self.loaded.line - 1, f"{case.id} [{case.label}]"
