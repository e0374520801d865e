"""One pytest item per regression case: get its answers, score them, report them, and
leave one record of it all (:mod:`.record`) on its reports."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from llm_regressions.casefile.loader import LoadedCase
from llm_regressions.casefile.session import recorded_steps
from llm_regressions.checks import CheckError
from llm_regressions.fsutil import display_path
from llm_regressions.options import get_gate_settings, get_settings
from llm_regressions.prompts.current import CurrentPrompt, describe, with_prompt
from llm_regressions.prompts.diff import report_lines as prompt_lines
from llm_regressions.prompts.template import PromptError
from llm_regressions.replay.classify import ProviderTrouble
from llm_regressions.replay.engine import NotSent
from llm_regressions.replay.judging import judging
from llm_regressions.replay.pins import drift, is_pinned, unpinned_message
from llm_regressions.replay.request import ProviderRequest
from llm_regressions.replay.result import ReplayResult
from llm_regressions.run import _compat
from llm_regressions.run.failure import excerpt, render_failure
from llm_regressions.run.record import (
    DRIFT_PROPERTY,
    LABEL_PROPERTY,
    OUTPUT_EXCERPT_CHARS,
    RECORD_KEY,
    CaseRecord,
    run_record,
)
from llm_regressions.run.replay import ReplayQueue, queue_of, recording_for, requests_for
from llm_regressions.run.verdict import (
    Verdict,
    live_verdict,
    recorded_verdict,
    result_from_expected,
    score,
    score_runs,
)
from llm_regressions.settings import Settings
from llm_regressions.stats import runs_to_settle
from llm_regressions.usercode import AppRaised


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


# Made once: looking a marker up by name for each of 10,000 items showed in profiles.
_REGRESSION_MARK = pytest.mark.llm_regression
_GOLDEN_MARK = pytest.mark.golden


class CaseItem(pytest.Item):
    """A regression case. Markers: ``llm_regression``, plus ``golden`` on golden cases;
    the label and tags are keywords, so ``-k stale_policy_retrieval`` selects by label."""

    def __init__(
        self, *, loaded: LoadedCase, current_prompt: CurrentPrompt | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded
        #: The case's checked ``prompt:`` (from collection), None without one.
        self.current_prompt = current_prompt
        self.verdict: Verdict | None = None
        self.results: list[ReplayResult] = []
        # What this run learnt about the case, for its record and failure report.
        self.prompt_run: dict[str, Any] | None = None
        self.target_spans: list[dict[str, Any]] = []
        self.cost: float | None = None
        self.drift: str | None = None
        self.trouble: str | None = None
        self.unsent: str | None = None
        #: Why the budget's pre-check leaves this case unsent (run/estimate.py).
        self.left_out: str | None = None
        #: Adaptive repeats: {"min", "max", "used"}; None for a fixed number of runs.
        self.repeat: dict[str, int] | None = None
        #: Why --llm-changed-since selected the case (None without the flag).
        self.selected_because: list[str] | None = None
        case = loaded.case
        self.add_marker(_REGRESSION_MARK)
        if case.golden:
            self.add_marker(_GOLDEN_MARK)
        self.extra_keyword_matches.update({case.label, *case.tags})
        self.user_properties.append((LABEL_PROPERTY, case.label))

    # -- what is sent ---------------------------------------------------------------

    def requests(self, settings: Settings) -> list[ProviderRequest] | None:
        """The calls to queue ahead of this case's turn; None when nothing is to be
        queued (a target runs in its item; a case that cannot run errors in setup)."""
        case = self.loaded.case
        if case.target is not None or not self._allowed(settings) or self.left_out:
            return None
        try:
            return self._requests(settings)
        except (AppRaised, PromptError):
            return None  # setup reports it

    def max_requests(self, settings: Settings) -> list[ProviderRequest] | None:
        """Every run's request up to the case's maximum, for the cost estimate (None
        where none can be built: a target, a prompt that does not render)."""
        if self.loaded.case.target is not None or not settings.calls_models:
            return None
        try:
            return self._requests(settings, range(settings.runs_for(self.loaded.case)[1]))
        except (AppRaised, PromptError):
            return None

    def _requests(self, settings: Settings, runs: range | None = None) -> list[ProviderRequest]:
        requests = requests_for(self.loaded.case, settings, runs)
        if self.current_prompt is None or settings.prompt != "current":
            return requests
        rendered = self.current_prompt.rendered()
        return [with_prompt(request, rendered) for request in requests]

    def _allowed(self, settings: Settings) -> bool:
        """False for a case on an unpinned model under --llm-strict-pins."""
        model = settings.model_for(self.loaded.case)
        return not settings.strict_pins or is_pinned(model, settings.unpinned_ok)

    # -- the test protocol ----------------------------------------------------------

    def setup(self) -> None:
        # Getting and scoring the answers happens here so that anything that stops a
        # case from being judged at all (provider trouble, a check that cannot run) is
        # a pytest ERROR, while a wrong answer is a FAILURE in runtest.
        if self.left_out:
            self.unsent = self.left_out
            raise _compat.skip_at_item_location(self.left_out)
        settings = get_settings(self.config)
        queue = queue_of(self.config)
        access = queue.judge_access()
        try:
            with judging(access):
                if settings.calls_models:
                    self.verdict = self._live_verdict(settings, queue)
                else:
                    self.verdict = recorded_verdict(self.loaded)
        except AppRaised as exc:
            # The app's own code (render hook, target) raised: its bug, a failure.
            self.verdict = Verdict(False, str(exc))
        except (PromptError, CheckError) as exc:
            raise CaseError(str(exc)) from None
        except ProviderTrouble as exc:
            self.trouble = f"{exc.provider}: {exc.kind}"
            raise CaseError(str(exc)) from None
        except NotSent as exc:
            self.unsent = str(exc)
            raise _compat.skip_at_item_location(str(exc)) from None
        finally:
            self.cost = (access.spent + sum(r.cost_usd or 0.0 for r in self.results)) or None
        if settings.diagnose:
            self._diagnose(settings, queue)
        self.drift = next(filter(None, (drift(self._model, r.model) for r in self.results)), None)
        if self.drift:
            self.user_properties.append((DRIFT_PROPERTY, self.drift))

    def _live_verdict(self, settings: Settings, queue: ReplayQueue) -> Verdict:
        case = self.loaded.case
        if not self._allowed(settings):
            raise CaseError(unpinned_message(self._model) + " (--llm-strict-pins)")
        if self.current_prompt is not None:
            frozen = [m.model_dump(exclude_none=True) for m in case.request.messages]
            self.prompt_run = describe(self.current_prompt, settings.prompt, frozen)
        fewest, most = settings.runs_for(case)
        self.repeat = {"min": fewest, "max": most, "used": fewest} if most > fewest else None
        runs = score_runs(self.loaded, self._answers(settings, queue, range(fewest)))
        marks_fixed = self._marks_fixed()
        verdict = live_verdict(self.loaded, runs, case.min_pass_rate, marks_fixed)
        while len(runs) < most:
            passed = sum(run.passed for run in runs)
            more = runs_to_settle(passed, len(runs), case.min_pass_rate, most - len(runs))
            if not more:
                break
            extra = range(len(runs), len(runs) + more)
            try:
                answers = self._answers(settings, queue, extra)
            except NotSent as exc:  # the budget or a stop: judge the runs that were made
                stopped = f"; no more repeats sent: {str(exc).removeprefix('not sent: ')}"
                verdict = dataclasses.replace(verdict, problem=verdict.problem + stopped)
                break
            runs += score_runs(self.loaded, answers, len(runs))
            verdict = live_verdict(self.loaded, runs, case.min_pass_rate, marks_fixed)
        if self.repeat is not None:
            self.repeat["used"] = len(runs)
        return verdict

    def _diagnose(self, settings: Settings, queue: ReplayQueue) -> None:
        """--llm-diagnose: a failing or open case's diagnosis starts now (its calls are
        sent meanwhile, the session collects it at the end); the verdict stays as is."""
        verdict, case = self.verdict, self.loaded.case
        if verdict is None or (verdict.ok and case.status != "open"):
            return
        if case.target is not None or case.session is not None or not self.results:
            why = f"no answer to vary ({verdict.problem})"
            if case.target is not None:
                why = "a target case: the app builds its own request, there is none to vary"
            elif case.session is not None:
                why = "a session case: diagnosis varies one call, not a whole agent run"
            queue.diagnoser.not_applicable(self.nodeid, why)
            return
        from llm_regressions.diagnose.running import Subject

        access = queue.judge_access()

        def passes(result: ReplayResult) -> bool:
            with judging(access):
                return score("diagnosis", self.loaded, result).passed

        request = self._requests(settings, range(1))[0]
        subject = Subject(request, case, list(self.results), passes)
        queue.diagnoser.start(self.nodeid, subject)

    def _answers(self, settings: Settings, queue: ReplayQueue, runs: range) -> list[ReplayResult]:
        """The answers of ``runs`` (the first ones queued ahead; later ones, asked for
        by adaptive repeats, sent now ahead of the queue: this item waits on them)."""
        case = self.loaded.case
        if case.target is not None:
            from llm_regressions.targets.run import run_target

            engine = queue.engine
            results, spans = run_target(
                case,
                settings,
                lambda c: engine.run_coroutine(c).result(),
                ledger=engine,
                runs=runs,
                cache_root=engine.cache.root if engine.cache is not None else None,
            )
            self.target_spans += spans
        elif runs.start == 0:
            results = queue.results(self.nodeid, self._requests(settings), recording_for(case))
        else:
            results = queue.more(self._requests(settings, runs), recording_for(case))
        self.results += results
        return results

    def _marks_fixed(self) -> bool:
        """Whether ``--llm-update-status`` will set an open case that passes to fixed:
        only on its pinned model (a pass on another proves nothing about the pin)."""
        gate = get_gate_settings(self.config)
        return gate.update_status and self._model == self.loaded.case.model.name

    @property
    def _model(self) -> str:
        return get_settings(self.config).model_for(self.loaded.case)

    def runtest(self) -> None:
        if self.verdict.expected_failure:
            pytest.xfail(f"status: open -- {self.verdict.problem}")
        if self.verdict.inconclusive and get_gate_settings(self.config).allow_inconclusive:
            allowed = f"{self.verdict.problem} (--llm-allow-inconclusive)"
            raise _compat.skip_at_item_location(allowed)
        if not self.verdict.ok:
            raise CaseFailed(self.verdict)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style=None) -> Any:
        if isinstance(excinfo.value, CaseFailed):
            verdict = excinfo.value.verdict
            text = render_failure(self.loaded, verdict, self._report_notes())
            shown = None if self.config.getoption("tbstyle") == "line" else text
            return _compat.failure_repr(self.path, self.loaded.line, verdict.problem, shown)
        if isinstance(excinfo.value, (CaseError, pytest.xfail.Exception)):
            # an open case's xfail needs no traceback (formatting one is slow, and it
            # intermittently crashes CPython 3.11's ast.parse under in-process pytester)
            return f"{self.loaded.case.id}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def teardown(self) -> None:
        # The teardown report carries the record (also after setup errors).
        self.user_properties.append((RECORD_KEY, self.record()))
        # The report is written: keep nothing per case that thousands of cases would pile up.
        self.results = []
        self.target_spans = []
        if self.verdict is not None and self.verdict.ok:
            self.verdict.runs = []

    def reportinfo(self) -> tuple[Any, int | None, str]:
        case = self.loaded.case
        return self.path, self.loaded.line - 1, f"{case.id} [{case.label}]"

    # -- what is reported -----------------------------------------------------------

    def _report_notes(self) -> tuple[str, ...]:
        """Header lines of the failure report: the model replayed on, model drift, the
        prompt that ran, the app calls a target made."""
        from llm_regressions.targets.run import report_lines as target_lines

        lines = []
        pinned = self.loaded.case.model.name
        if self._model != pinned:
            lines.append(f"model:   {self._model} (case pins {pinned})")
        if self.drift:
            lines.append(f"model drift: {self.drift}")
        lines += prompt_lines(self.prompt_run) + target_lines(self.target_spans)
        return tuple(lines)

    def prompt_identity(self) -> str | None:
        """What identifies the prompt the case replays: a re-rendered template (or render
        function) wins over the prompt version recorded when the trace was captured."""
        case = self.loaded.case
        if case.prompt is not None:
            if case.prompt.template:
                return f"template:{case.prompt.template}"
            return f"render:{case.prompt.render}"
        return case.source.prompt_version if case.source is not None else None

    def record(self) -> CaseRecord:
        """What this process knows of the case once it is scored (or failed to be)."""
        loaded, verdict = self.loaded, self.verdict
        case = loaded.case
        recorded = recorded_steps(case.session) if case.session is not None else None
        runs = [run_record(run, recorded) for run in verdict.runs] if verdict is not None else []
        live = get_settings(self.config).calls_models  # recorded runs are not samples
        passed = sum(run["passed"] for run in runs)
        return {
            "id": case.id,
            "nodeid": self.nodeid,
            "file": display_path(self.path, self.config.rootpath),
            "file_hash": loaded.file_hash,
            "line": loaded.line,
            "label": case.label,
            "golden": case.golden,
            "status": case.status,
            "tags": list(case.tags),
            "model": self._model,
            "prompt": self.prompt_identity(),
            "prompt_run": self.prompt_run,
            "target_runs": self.target_spans or None,
            "min_pass_rate": case.min_pass_rate,
            "check_kinds": sorted({check.name for check in loaded.checks}),
            "problem": verdict.problem if verdict is not None else (self.unsent or ""),
            "runs": runs,
            "pass_rate": passed / len(runs) if live and runs else None,
            "interval": list(verdict.interval) if live and verdict and verdict.interval else None,
            "decision": verdict.decision if verdict is not None else None,
            "repeat": self.repeat,
            "pinned": self._model == case.model.name and not self.drift,
            "flaky": verdict is not None and verdict.flaky,
            "cost_usd": self.cost,
            "drift": self.drift,
            "trouble": self.trouble,
            "expected_excerpt": self._expected_excerpt(),
            "trace_id": case.source.trace_id if case.source is not None else None,
            "selected_because": self.selected_because,
            "diagnosis": None,  # --llm-diagnose: the session adds it once the answers are in
        }

    def _expected_excerpt(self) -> str | None:
        expected = self.loaded.case.expected
        if expected is None or expected.output is None:
            return None
        return excerpt(result_from_expected(expected).output, OUTPUT_EXCERPT_CHARS)


def case_items(items: list[pytest.Item]) -> list[CaseItem]:
    """The regression cases among ``items`` (other tests may be collected beside them)."""
    return [item for item in items if isinstance(item, CaseItem)]


def queue_calls(items: list[pytest.Item], queue: ReplayQueue, settings: Settings) -> None:
    """Queue the calls of the cases among ``items`` not queued yet."""
    if not settings.calls_models:
        return
    for item in case_items(items):
        if not queue.queued(item.nodeid):
            requests = item.requests(settings)
            if requests is not None:
                queue.submit(item.nodeid, requests, recording_for(item.loaded.case))
