"""Third-party checks register through the ``llm_regressions.checks`` entry-point group."""

from __future__ import annotations

import pytest


def test_entry_point_check_is_used_and_validated(pytester: pytest.Pytester, write_case) -> None:
    dist = pytester.mkdir("acme_checks-1.0.dist-info")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[llm_regressions.checks]\nno_competitor = acme_checks:NoCompetitor\n"
    )
    pytester.makepyfile(
        acme_checks="""
        from llm_regressions.checks import Check, CheckResult

        class NoCompetitor(Check):
            '''The answer never recommends a competitor.'''
            name = "no_competitor"
            Args = list[str]

            def score(self, result, case):
                for name in self.arg:
                    if name in (result.output or ""):
                        return CheckResult(False, f"mentions {name}")
                return CheckResult(True, "no competitor named")
        """
    )
    write_case(
        "a.yaml",
        """\
        version: 1
        id: competitor
        label: competitor_recommended
        model: {name: openai/gpt-4o-mini-2024-07-18}
        request: {messages: [{role: user, content: which bank?}]}
        observed: {output: "Try Globex Bank instead."}
        expected: {output: "Acme Bank offers that."}
        checks: [{no_competitor: [Globex]}]
        """,
    )
    write_case(
        "b.yaml",
        """\
        version: 1
        id: bad-arg
        label: competitor_recommended
        model: {name: openai/gpt-4o-mini-2024-07-18}
        request: {messages: [{role: user, content: which bank?}]}
        observed: {output: "Try Globex Bank instead."}
        checks: [{no_competitor: Globex}]
        """,
    )
    result = pytester.runpytest_subprocess("--llm-regressions", "--llm-replay", "recorded")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*regressions/b.yaml:7: checks[[]0].no_competitor: *list*"])
