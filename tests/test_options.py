"""Flags that only mean something beside a master flag are refused without it, instead
of being silently ignored (a lone ``--llm-replay recorded`` would run the unit tests)."""

from __future__ import annotations

import pytest

from llm_regressions import options


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--llm-replay", "recorded"], "--llm-replay needs --llm-regressions"),
        (["--llm-golden"], "--llm-golden needs --llm-regressions"),
        (["--llm-report", "r.json"], "--llm-report needs --llm-regressions"),
        (["--promote-label", "x_y"], "--promote-label needs --promote-trace"),
        (["--promote-golden"], "--promote-golden needs --promote-trace"),
        (["--promote-check", "json_valid"], "--promote-check needs --promote-trace"),
        (
            ["--promote-logs", "l.json"],
            "--promote-logs needs --promote-trace or --llm-inspect-trace",
        ),
    ],
)
def test_companion_flag_without_its_master_is_a_usage_error(pytester, args, message):
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{message}*"])
    assert "1 passed" not in result.stdout.str()  # the unit tests did not run instead


def test_a_trace_command_refuses_the_other_commands_companions(pytester):
    pytester.path.joinpath("t.json").write_text("{}")
    result = pytester.runpytest("--llm-inspect-trace", "t.json", "--promote-label", "x_y")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--promote-label needs --promote-trace*"])


def test_ini_defaults_are_not_flags(pytester):
    """An ini key (llm_regressions_replay) sets a default: it is fine without the flag."""
    pytester.makeini("[pytest]\nllm_regressions_replay = recorded\n")
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_every_flag_but_the_masters_names_its_master():
    flags = (*options.RUN_FLAGS, *options.REPLAY_FLAGS, *options.GATE_FLAGS, *options.TRACE_FLAGS)
    masters = {"--llm-regressions", "--promote-trace", "--llm-inspect-trace"}
    assert {f.name for f in flags if not f.needs} == masters
