"""Collection: what becomes an item, with which id, markers and keywords."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("write_case")


def test_nothing_is_collected_without_the_flag(pytester: pytest.Pytester, write_case) -> None:
    write_case("rag/refund.yaml")
    result = pytester.runpytest("--collect-only", "-q", "regressions")
    assert "refund.yaml" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_one_item_per_case_with_a_file_and_id_node_id(pytester, write_case) -> None:
    write_case("rag/refund.yaml", id="refund-window-stale-7f3a2c")
    write_case("tools/loop.yaml", id="loop-1", label="stuck_tool_loop")
    result = pytester.runpytest("--llm-regressions", "--collect-only", "-q")
    result.stdout.fnmatch_lines(
        [
            "regressions/rag/refund.yaml::refund-window-stale-7f3a2c",
            "regressions/tools/loop.yaml::loop-1",
        ]
    )
    assert result.ret == pytest.ExitCode.OK


def test_without_paths_only_the_regression_folders_are_collected(pytester, write_case) -> None:
    write_case("a.yaml")
    pytester.makepyfile(test_unit="def test_unit(): pass")
    result = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded")
    result.assert_outcomes(passed=1)
    assert "test_unit" not in result.stdout.str()


def test_ini_paths_choose_the_folders(pytester, write_case) -> None:
    pytester.makeini("[pytest]\nllm_regressions_paths = cases\n")
    path = write_case("a.yaml")
    (pytester.path / "cases").mkdir()
    path.rename(pytester.path / "cases" / "a.yaml")
    result = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded", "-v")
    result.stdout.fnmatch_lines(["cases/a.yaml::a PASSED*"])


def test_golden_marker_and_label_and_tag_keywords(pytester, write_case) -> None:
    write_case(
        "gold.yaml",
        """\
        version: 1
        id: gold
        label: stale_policy_retrieval
        golden: true
        tags: [rag, refunds]
        model: {name: openai/gpt-4o-mini-2024-07-18}
        request: {messages: [{role: user, content: hi}]}
        observed: {output: "30 days"}
        checks: [{not_contains: "30 days"}]
        """,
    )
    write_case("other.yaml", label="wrong_tool_selected")
    base = ["--llm-regressions", "--llm-replay", "recorded", "--collect-only", "-q"]
    golden = pytester.runpytest(*base, "-m", "golden").stdout.str()
    assert "gold.yaml::gold" in golden and "other.yaml" not in golden
    by_label = pytester.runpytest(*base, "-k", "wrong_tool_selected").stdout.str()
    assert "other.yaml::other" in by_label and "gold.yaml" not in by_label
    by_tag = pytester.runpytest(*base, "-k", "refunds").stdout.str()
    assert "gold.yaml::gold" in by_tag and "other.yaml" not in by_tag
    everything = pytester.runpytest(*base, "-m", "llm_regression").stdout.str()
    assert "gold.yaml::gold" in everything and "other.yaml::other" in everything


def test_last_failed_reruns_only_the_failed_case(pytester, write_case) -> None:
    write_case("good.yaml")
    write_case(
        "bad.yaml",
        """\
        version: 1
        id: bad
        label: stale_policy_retrieval
        model: {name: openai/gpt-4o-mini-2024-07-18}
        request: {messages: [{role: user, content: hi}]}
        observed: {output: "all good"}
        checks: [{not_contains: "30 days"}]
        """,
    )
    args = ["--llm-regressions", "--llm-replay", "recorded"]
    pytester.runpytest(*args).assert_outcomes(passed=1, failed=1)
    pytester.runpytest(*args, "--lf").assert_outcomes(failed=1)


def test_several_cases_in_one_file(pytester, write_case) -> None:
    write_case(
        "many.yaml",
        """\
        version: 1
        cases:
          - id: first
            label: stale_policy_retrieval
            model: {name: openai/gpt-4o-mini-2024-07-18}
            request: {messages: [{role: user, content: hi}]}
            observed: {output: "30 days"}
            checks: [{not_contains: "30 days"}]
          - id: second
            label: stale_policy_retrieval
            model: {name: openai/gpt-4o-mini-2024-07-18}
            request: {messages: [{role: user, content: hi}]}
            observed: {output: "30 days"}
            checks: [{not_contains: "30 days"}]
        """,
    )
    result = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded", "-v")
    result.stdout.fnmatch_lines(["*many.yaml::first PASSED*", "*many.yaml::second PASSED*"])


def test_yaml_outside_the_case_folders_is_left_alone(pytester, write_case) -> None:
    write_case("a.yaml")
    pytester.makefile(".yaml", config="tool: {setting: 1}\n")
    result = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded", ".")
    result.assert_outcomes(passed=1)


def test_a_case_file_named_on_the_command_line_is_collected(pytester, write_case) -> None:
    path = write_case("a.yaml")
    elsewhere = pytester.path / "incident.yaml"
    path.rename(elsewhere)
    result = pytester.runpytest("--llm-regressions", "--llm-replay", "recorded", "incident.yaml")
    result.assert_outcomes(passed=1)


def test_location_points_at_the_case_line(pytester, write_case) -> None:
    write_case(
        "many.yaml",
        """\
        version: 1
        cases:
          - id: first
            label: stale_policy_retrieval
            model: {name: openai/gpt-4o-mini-2024-07-18}
            request: {messages: [{role: user, content: hi}]}
            observed: {output: "30 days"}
            checks: [{not_contains: "30 days"}]
        """,
    )
    items, _ = pytester.inline_genitems("--llm-regressions")
    assert items[0].location == ("regressions/many.yaml", 2, "first [stale_policy_retrieval]")


def test_options_are_documented_in_one_help_group(pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "LLM regression cases (pytest-llm-regressions):",
            "  --llm-regressions*",
            "  --llm-replay=*",
        ]
    )
    result.stdout.fnmatch_lines(["  llm_regressions_paths (args):*"])
