"""--llm-update-status: open cases that pass every run become fixed, one line each."""

from __future__ import annotations

import pytest

from replay_support import live_case
from stub_support import Reply


def open_case(case_id: str, **extra) -> str:
    """An open golden case, its status line carrying a comment the edit must keep."""
    text = live_case(case_id, status="open", golden=True, **extra)
    return text.replace("status: open\n", "status: open   # flip me when fixed\n")


TWO_CASES = """\
version: 1
cases:
  - id: multi-still-bad
    label: stale_policy_retrieval
    status: open
    model: {name: openai/gpt-4o-mini-2024-07-18}
    request: {messages: [{role: user, content: "multi-still-bad"}]}
    checks: [{contains: "14 days"}]
  - id: multi-good
    label: stale_policy_retrieval
    model: {name: openai/gpt-4o-mini-2024-07-18}
    request: {messages: [{role: user, content: "multi-good"}]}
    checks: [{contains: "14 days"}]
"""


@pytest.fixture
def answers(llm_stub):
    llm_stub.script("good", Reply("14 days"))
    llm_stub.script("bad", Reply("30 days"))
    llm_stub.script("wobbly", Reply("14 days"), Reply("30 days"))
    llm_stub.script("half", Reply("14 days"), Reply("30 days"))
    return llm_stub


def test_open_cases_that_meet_their_pass_rate_become_fixed(pytester, write_case, answers):
    good = write_case("good.yaml", open_case("now-good"))
    bad = write_case("bad.yaml", open_case("still-bad"))
    wobbly = write_case("wobbly.yaml", open_case("wobbly", repeat=2))  # needs every run
    half = write_case("half.yaml", open_case("half", repeat=2, min_pass_rate=0.5))
    multi = write_case("multi.yaml", TWO_CASES)
    multi.write_bytes(multi.read_bytes().replace(b"\n", b"\r\n"))  # CRLF stays CRLF
    before = {p: p.read_bytes() for p in (good, bad, wobbly, multi)}
    result = pytester.runpytest(*answers.args("--llm-update-status"))
    assert result.ret == 0  # flipped cases are not reported as failing in the same run
    result.stdout.fnmatch_lines(
        [
            "updated status: open -> fixed (3):",
            "  now-good (regressions/good.yaml:1)",
            "  half (regressions/half.yaml:1)",
            "  multi-good (regressions/multi.yaml:9)",
        ]
    )
    assert b"status: fixed" in half.read_bytes()
    assert good.read_bytes() == before[good].replace(
        b"status: open   # flip me", b"status: fixed   # flip me"
    )
    assert bad.read_bytes() == before[bad]
    assert wobbly.read_bytes() == before[wobbly]  # 1 of 2 runs, below its 1.00
    # status omitted (open by default): a status line is added after the label
    assert multi.read_bytes() == before[multi].replace(
        b"  - id: multi-good\r\n    label: stale_policy_retrieval\r\n",
        b"  - id: multi-good\r\n    label: stale_policy_retrieval\r\n    status: fixed\r\n",
    )
    # the next run holds the newly fixed cases to passing
    again = pytester.runpytest(*answers.args("-p", "no:cacheprovider"))
    # half now gets "30 days" only (the script is used up): a fixed case, failing
    again.assert_outcomes(passed=2, failed=1, xfailed=3)


def test_without_the_flag_nothing_changes(pytester, write_case, answers):
    good = write_case("good.yaml", open_case("now-good"))
    before = good.read_bytes()
    pytester.runpytest(*answers.args()).assert_outcomes(failed=1)
    assert good.read_bytes() == before


def test_ini_default_applies_locally_but_not_in_ci(pytester, write_case, answers, monkeypatch):
    pytester.makeini("[pytest]\nllm_regressions_update_status = true\n")
    good = write_case("good.yaml", open_case("now-good"))
    before = good.read_bytes()
    monkeypatch.setenv("CI", "true")
    pytester.runpytest(*answers.args())
    assert good.read_bytes() == before
    # in CI only the explicit flag updates
    pytester.runpytest(*answers.args("--llm-update-status"))
    assert b"status: fixed" in good.read_bytes()
    monkeypatch.delenv("CI")
    good.write_bytes(before)
    pytester.runpytest(*answers.args())
    assert b"status: fixed" in good.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-n", "2"], "*--llm-update-status is refused under -n*"),
        (["--llm-replay=recorded"], "*--llm-update-status needs a live or cached run*"),
    ],
)
def test_refused_under_xdist_and_in_recorded_mode(pytester, write_case, answers, args, message):
    write_case("good.yaml", open_case("now-good"))
    result = pytester.runpytest(*answers.args("--llm-update-status", *args))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_rewrite_touches_only_the_target_case_line():
    from llm_regressions.report.status_update import _rewrite

    text = (
        "cases:\n"
        "  - id: a\n"
        "    status: open\n"
        "  - id: b\n"
        "    label: x\n"
        "    status: 'open'  # quoted\n"
        "  - id: c\n"
        "    label: y\n"
        "    status: fixed\n"
    )
    new, missing = _rewrite(text, [2, 4, 7], [4, 7])
    assert missing == [7]  # already fixed: left alone, reported
    assert new == text.replace("status: 'open'  # quoted", "status: 'fixed'  # quoted")


EDIT_DURING_RUN = """
from pathlib import Path

def pytest_runtest_logfinish(nodeid, location):
    if nodeid.endswith("::{after}"):
        {action}
"""


def test_a_file_edited_during_the_run_is_left_alone_and_said_so(pytester, write_case, answers):
    """Lines recorded at collection no longer fit an edited file: nothing is flipped."""
    multi = write_case("multi.yaml", TWO_CASES)
    edit = "p = Path('regressions/multi.yaml'); p.write_text('# reviewed\\n' + p.read_text())"
    pytester.makeconftest(EDIT_DURING_RUN.format(after="multi-good", action=edit))
    result = pytester.runpytest(*answers.args("--llm-update-status"))
    result.stdout.fnmatch_lines(
        ["  multi-good (regressions/multi.yaml): not changed, the file was edited since the run"]
    )
    assert multi.read_text().count("status: open") == 1  # the still-failing case untouched
    assert "status: fixed" not in multi.read_text()


def test_a_deleted_file_does_not_stop_the_others(pytester, write_case, answers):
    first = write_case(
        "a-gone.yaml",
        open_case("now-good-a", request={"messages": [{"role": "user", "content": "good a"}]}),
    )
    second = write_case(
        "b-kept.yaml",
        open_case("now-good-b", request={"messages": [{"role": "user", "content": "good b"}]}),
    )
    remove = "Path('regressions/a-gone.yaml').unlink()"
    pytester.makeconftest(EDIT_DURING_RUN.format(after="now-good-b", action=remove))
    result = pytester.runpytest(*answers.args("--llm-update-status"))
    result.stdout.fnmatch_lines(
        [
            "gate FAILED (1):",
            "  open case now-good-a passes, status not set to fixed: *",
            "updated status: open -> fixed (1):",
            "  now-good-b (regressions/b-kept.yaml:1)",
            "status not updated (1):",
            "  now-good-a (regressions/a-gone.yaml): not changed, the file cannot be read*",
        ]
    )
    assert result.ret == 1  # a passing case still open is not a green run
    assert not first.exists() and "status: fixed" in second.read_text()


def test_a_symlinked_case_file_stays_a_link(pytester, write_case, answers):
    target = pytester.path / "shared" / "good.yaml"
    target.parent.mkdir()
    target.write_text(open_case("now-good"))
    link = pytester.path / "regressions" / "good.yaml"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(target)
    result = pytester.runpytest(*answers.args("--llm-update-status"))
    result.stdout.fnmatch_lines(["  now-good (regressions/good.yaml:1)"])
    assert link.is_symlink() and "status: fixed" in target.read_text()


def test_a_pass_on_another_model_does_not_flip_the_pin(pytester, write_case, answers):
    good = write_case("good.yaml", open_case("now-good"))
    before = good.read_bytes()
    result = pytester.runpytest(
        *answers.args("--llm-update-status", "--llm-model=openai/gpt-4o-2024-08-06")
    )
    assert good.read_bytes() == before
    result.stdout.fnmatch_lines(
        [
            "status not updated (1):",
            "  now-good (regressions/good.yaml): not changed, it ran on "
            "openai/gpt-4o-2024-08-06, not its pinned model",
        ]
    )
    assert result.ret == 1  # an open case that passes stays a failure to look at
