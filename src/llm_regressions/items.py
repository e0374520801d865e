"""One pytest item per regression case: run it, report it, point at its file line."""

from __future__ import annotations

from typing import Any

import pytest
from _pytest._code.code import ReprExceptionInfo, ReprFileLocation, ReprTracebackNative

from llm_regressions import results
from llm_regressions.checks import CheckError
from llm_regressions.loader import LoadedCase
from llm_regressions.options import Settings, get_settings
from llm_regressions.promptcase import AppRaised, CurrentPrompt, PromptError, describe
from llm_regressions.replay.classify import ProviderTrouble
from llm_regressions.replay.engine import NotSent
from llm_regressions.replay.judging import judging
from llm_regressions.replay.request import effective_model
from llm_regressions.replay.result import ReplayResult
from llm_regressions.replay.session import ReplaySession, replay_session
from llm_regressions.replay.summary import record_outcome
from llm_regressions.verdict import Verdict, live_verdict, recorded_verdict, render_failure


class CaseFailed(Exception):
    """The case's verdict is a failure; carries the verdict for the report."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.problem)
        self.verdict = verdict


class CaseError(pytest.fail.Exception):
    """The case could not be scored (no model behaviour was judged): shown in one line.

    A ``pytest.fail`` outcome without traceback, so raised from ``setup()`` it reports
    as an ERROR showing only the message (pytest renders setup errors itself)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, pytrace=False)


class CaseItem(pytest.Item):
    """A regression case. Markers: ``llm_regression``, plus ``golden`` on golden cases;
    the label and tags are keywords, so ``-k stale_policy_retrieval`` selects by label."""

    def __init__(self, *, loaded: LoadedCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        self.verdict: Verdict | None = None
        self.results: list[ReplayResult] = []
        #: The case's checked ``prompt:`` (set at collection), None without one.
        self.current_prompt: CurrentPrompt | None = None
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
        replay = replay_session(self.config)
        access = replay.judge_access()
        try:
            with judging(access):
                if settings.calls_models:
                    self.verdict = self._live_verdict(settings, replay)
                else:
                    self.verdict = recorded_verdict(self.loaded)
        except AppRaised as exc:
            # The app's own code (render hook, target) raised: its bug, a failure.
            self.verdict = Verdict(False, str(exc))
        except PromptError as exc:
            raise CaseError(str(exc)) from None
        except ProviderTrouble as exc:
            self.user_properties.append(("llm_trouble", f"{exc.provider}: {exc.kind}"))
            raise CaseError(str(exc)) from None
        except NotSent as exc:
            # reported at the case file's line, not at this one
            raise pytest.skip.Exception(str(exc), _use_item_location=True) from None
        except CheckError as exc:
            raise CaseError(str(exc)) from None
        finally:
            self._record_cost(access.spent)
        record_outcome(self)

    def _live_verdict(self, settings: Settings, replay: ReplaySession) -> Verdict:
        from llm_regressions.replay import pins

        case = self.loaded.case
        model = effective_model(case, settings)
        if settings.strict_pins and not pins.is_pinned(model, settings.unpinned_ok):
            raise CaseError(pins.unpinned_message(model) + " (--llm-strict-pins)")
        describe(self, settings.prompt)
        if case.target is not None:
            from llm_regressions.targets import run_target

            engine = replay.engine
            results, spans = run_target(
                case, settings, lambda c: engine.run_coroutine(c).result(), ledger=engine
            )
            self.user_properties.append(("llm_target_spans", spans))
        else:
            results = replay.results(self)
        self.results = results
        return live_verdict(self.loaded, results, case.min_pass_rate)

    def _record_cost(self, judge_spent: float) -> None:
        spent = judge_spent + sum(r.cost_usd or 0.0 for r in self.results)
        if spent:
            self.user_properties.append(("llm_cost_usd", spent))

    def runtest(self) -> None:
        if self.verdict.expected_failure:
            pytest.xfail(f"status: open -- {self.verdict.problem}")
        if not self.verdict.ok:
            raise CaseFailed(self.verdict)

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style=None
    ) -> str | ReprExceptionInfo:
        if isinstance(excinfo.value, CaseFailed):
            text = render_failure(self.loaded, excinfo.value.verdict, self._model_notes())
            return self._report(text, excinfo.value.verdict.problem)
        if isinstance(excinfo.value, (CaseError, pytest.xfail.Exception)):
            # an open case's xfail needs no traceback (formatting one is slow, and it
            # intermittently crashes CPython 3.11's ast.parse under in-process pytester)
            return f"{self.loaded.case.id}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def _report(self, text: str, headline: str) -> ReprExceptionInfo:
        """The full report under FAILURES, and only ``headline`` in the short summary.

        A plain string would be repeated whole after ``FAILED`` when pytest runs on CI
        (``CI`` set), and in JUnit's ``message``; this is the shape pytest gives its own
        failures, and it survives xdist's report serialization. ``--tb=line`` shows just
        ``file:line: headline``."""
        location = ReprFileLocation(str(self.path), self.loaded.line, headline)
        lines = [] if self.config.option.tbstyle == "line" else [text + "\n"]
        return ReprExceptionInfo(reprtraceback=ReprTracebackNative(lines), reprcrash=location)

    def teardown(self) -> None:
        results.attach(self)  # the teardown report carries it (also after setup errors)
        # The report is written: keep nothing per case that thousands of cases would pile up.
        self.results = []
        if self.verdict is not None and self.verdict.ok:
            self.verdict.runs = []

    def _model_notes(self) -> tuple[str, ...]:
        notes = dict(self.user_properties)
        lines = []
        if "llm_model" in notes:
            lines.append(f"model:   {notes['llm_model']}")
        if "llm_model_drift" in notes:
            lines.append(f"model drift: {notes['llm_model_drift']}")
        from llm_regressions import promptreport, targets

        lines += promptreport.report_lines(notes) + targets.report_lines(notes)
        return tuple(lines)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        case = self.loaded.case
        return self.path, self.loaded.line - 1, f"{case.id} [{case.label}]"
