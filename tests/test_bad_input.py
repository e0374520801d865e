"""Bad case files: each gives one located error for that file, and the rest still run."""

from __future__ import annotations

import pytest

RECORDED = ("--llm-regressions", "--llm-replay", "recorded")

VALID_BODY = """\
version: 1
id: {id}
label: stale_policy_retrieval
model:
  name: openai/gpt-4o-mini-2024-07-18
request:
  messages:
    - {{role: user, content: hi}}
observed:
  output: "30 days"
checks:
{checks}
"""


def broken_run(
    pytester: pytest.Pytester, write_case, text: str | bytes, user_traceback: bool = False
) -> pytest.RunResult:
    """Write one good case and one broken file; run; the good case must still pass. No
    traceback is shown but, where the user's own code raised, the user's frames."""
    write_case("good.yaml")
    path = pytester.path / "regressions" / "broken.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert ("Traceback" not in out or user_traceback) and "site-packages" not in out
    return result


def expect_lines(result: pytest.RunResult, patterns: list[str]) -> None:
    """fnmatch the output, with '[' taken literally (field paths hold brackets)."""
    result.stdout.fnmatch_lines([p.replace("[", "[[]") for p in patterns])


def with_checks(checks: str, id: str = "broken") -> str:
    return VALID_BODY.format(id=id, checks=checks)


def test_invalid_yaml_syntax(pytester, write_case) -> None:
    text = with_checks('  - not_contains: "30 days"').replace("label: stale", "label: [stale")
    result = broken_run(pytester, write_case, text)
    expect_lines(result, ["*regressions/broken.yaml:*: invalid YAML: *"])


def test_python_object_tag_is_refused_and_never_executed(pytester, write_case) -> None:
    marker = pytester.path / "pwned"
    text = f'version: 1\nid: !!python/object/apply:os.system ["touch {marker}"]\n'
    result = broken_run(pytester, write_case, text)
    expect_lines(result, ["*regressions/broken.yaml:2: invalid YAML: *python/object*"])
    assert not marker.exists()


def test_wrong_type_names_line_and_field(pytester, write_case) -> None:
    text = with_checks('  - not_contains: "30 days"').replace("content: hi", "content: hi") + (
        "repeat: many\n"
    )
    result = broken_run(pytester, write_case, text)
    expect_lines(result, ["*regressions/broken.yaml:13: repeat: *integer*"])


def test_unknown_key_is_rejected_with_a_suggestion(pytester, write_case) -> None:
    text = with_checks('  - not_contains: "30 days"') + "min_pass_rat: 0.5\n"
    result = broken_run(pytester, write_case, text)
    expect_lines(
        result,
        [
            "*regressions/broken.yaml:13: min_pass_rat: unknown field (did you mean 'min_pass_rate'?)"
        ],
    )


def test_nested_unknown_key(pytester, write_case) -> None:
    text = with_checks('  - not_contains: "30 days"').replace(
        "  name: openai", "  nmae: x\n  name: openai"
    )
    result = broken_run(pytester, write_case, text)
    expect_lines(result, ["*regressions/broken.yaml:5: model.nmae: unknown field*"])


def test_missing_required_field(pytester, write_case) -> None:
    text = with_checks('  - not_contains: "30 days"').replace("label: stale_policy_retrieval\n", "")
    result = broken_run(pytester, write_case, text)
    expect_lines(result, ["*regressions/broken.yaml:1: label: required field is missing"])


def test_request_is_required_unless_the_case_has_a_target(pytester, write_case) -> None:
    text = with_checks('  - not_contains: "30 days"').replace(
        "request:\n  messages:\n    - {role: user, content: hi}\n", ""
    )
    assert "request" not in text
    result = broken_run(pytester, write_case, text)
    expect_lines(result, ["*regressions/broken.yaml:1: 'request' is required *unless*'target'*"])


def test_label_must_be_snake_case_and_id_file_name_safe(pytester, write_case) -> None:
    text = with_checks('  - not_contains: "30 days"', id="../../etc/passwd").replace(
        "label: stale_policy_retrieval", "label: Stale Policy"
    )
    result = broken_run(pytester, write_case, text)
    expect_lines(
        result,
        [
            "*regressions/broken.yaml:2: id: '../../etc/passwd' is not file-name safe*",
            "*regressions/broken.yaml:3: label: 'Stale Policy' is not snake_case*",
        ],
    )


def test_duplicate_ids_across_files_name_both_files(pytester, write_case) -> None:
    write_case("a.yaml", id="same")
    write_case("b.yaml", id="same")
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(passed=1, errors=1)
    expect_lines(
        result,
        ["*regressions/b.yaml:1: id: duplicate id 'same', already defined in regressions/a.yaml"],
    )


def test_duplicate_ids_within_one_file(pytester, write_case) -> None:
    one = "  - id: twice\n    label: x_y\n    model: {name: m}\n    request: {messages: [{role: user, content: hi}]}\n    checks: [{contains: a}]\n"
    result = broken_run(pytester, write_case, "version: 1\ncases:\n" + one + one)
    expect_lines(result, ["*broken.yaml:8: cases[1].id: duplicate id 'twice' (also at line 3)"])


def test_bad_regex(pytester, write_case) -> None:
    result = broken_run(
        pytester, write_case, with_checks('  - not_contains: "30"\n  - regex: "([a-z"')
    )
    expect_lines(
        result,
        ["*regressions/broken.yaml:13: checks[1].regex: invalid regular expression '([a-z'*"],
    )


def test_invalid_json_schema(pytester, write_case) -> None:
    checks = "  - json_schema:\n      type: object\n      properties:\n        total: {type: 12}"
    result = broken_run(pytester, write_case, with_checks(checks))
    expect_lines(
        result, ["*regressions/broken.yaml:*: checks[0].json_schema*: invalid JSON Schema: *"]
    )


def test_unknown_check_name_lists_the_known_ones(pytester, write_case) -> None:
    result = broken_run(pytester, write_case, with_checks('  - contians: "14 days"'))
    expect_lines(
        result,
        [
            "*regressions/broken.yaml:12: checks[0].contians: unknown check 'contians' "
            "(did you mean 'contains'?); known checks: *not_contains*"
        ],
    )


def test_check_argument_of_the_wrong_shape(pytester, write_case) -> None:
    result = broken_run(pytester, write_case, with_checks("  - max_chars: lots"))
    expect_lines(result, ["*regressions/broken.yaml:12: checks[0].max_chars: *integer*"])


def test_empty_file(pytester, write_case) -> None:
    result = broken_run(pytester, write_case, "")
    expect_lines(result, ["*regressions/broken.yaml:1: file is empty; expected a case"])


def test_top_level_list_is_not_a_case(pytester, write_case) -> None:
    result = broken_run(pytester, write_case, "- a\n- b\n")
    expect_lines(result, ["*broken.yaml:1: expected a mapping with the case's fields, got list"])


def test_fifty_megabyte_file_is_refused_without_parsing(pytester, write_case) -> None:
    text = with_checks('  - not_contains: "30 days"') + "description: " + "x" * (50 * 1024 * 1024)
    result = broken_run(pytester, write_case, text)
    expect_lines(
        result, ["*regressions/broken.yaml: file is 50.0 MB; case files are limited to 5 MB*"]
    )


def test_non_utf8_bytes(pytester, write_case) -> None:
    text = with_checks('  - not_contains: "30 days"').encode() + b"description: caf\xe9\n"
    result = broken_run(pytester, write_case, text)
    expect_lines(result, ["*regressions/broken.yaml:13: not valid UTF-8 (byte 0xe9*"])


def test_matches_expected_needs_expected_output(pytester, write_case) -> None:
    result = broken_run(pytester, write_case, with_checks("  - matches_expected: true"))
    expect_lines(
        result,
        ["*broken.yaml:12: checks[0].matches_expected: needs 'expected.output' in the case*"],
    )


def test_python_check_reference_is_resolved_at_collection(pytester, write_case) -> None:
    result = broken_run(pytester, write_case, with_checks("  - python: nosuchmodule_xyz:check"))
    expect_lines(result, ["*checks[0].python: cannot import 'nosuchmodule_xyz'*"])


def test_several_problems_in_one_file_are_all_listed(pytester, write_case) -> None:
    text = with_checks('  - regex: "("\n  - max_chars: -1')
    result = broken_run(pytester, write_case, text)
    expect_lines(
        result, ["*checks[0].regex: invalid*", "*checks[1].max_chars: must be zero or more"]
    )


@pytest.mark.parametrize(
    "ref",
    ["https://example.invalid/schema.json", "file:///etc/passwd", "../shared/order.json#/x"],
)
def test_json_schema_refs_outside_the_schema_are_refused_at_collection(
    pytester, write_case, ref
) -> None:
    """Nothing a case names is fetched or read: not a URL, not a local file."""
    checks = f'  - json_schema:\n      properties:\n        total: {{$ref: "{ref}"}}'
    result = broken_run(pytester, write_case, with_checks(checks))
    expect_lines(
        result,
        [f"*broken.yaml:14: checks[0].json_schema.properties.total.$ref: $ref '{ref}' points *"],
    )
    assert "passwd" not in result.stdout.str().replace(ref, "")


def test_json_schema_refs_inside_the_schema_work(pytester, write_case) -> None:
    checks = (
        "  - json_schema:\n      $defs: {total: {type: integer}}\n"
        '      properties: {total: {$ref: "#/$defs/total"}}\n      required: [total]'
    )
    write_case(
        "c.yaml",
        VALID_BODY.format(id="c", checks=checks).replace('"30 days"', '"{\\"total\\": \\"x\\"}"'),
    )
    pytester.runpytest(*RECORDED).assert_outcomes(passed=1)


def test_a_backtracking_regex_is_an_error_naming_the_pattern(pytester, write_case) -> None:
    """Patterns run with a time limit: a catastrophic one errors, the session goes on."""
    body = VALID_BODY.format(id="slow", checks="  - not_regex: '^(a|aa)+$'")
    write_case("slow.yaml", body.replace('"30 days"', '"' + "a" * 40 + '!"'))
    write_case("good.yaml")
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*not_regex: /^(a|aa)+$/ ran over 1 s on a 41-character output*"])


def test_the_issue_example_pattern_is_fast_now(pytester, write_case) -> None:
    body = VALID_BODY.format(id="words", checks="  - not_regex: '^(\\w+\\s?)*$'")
    write_case("words.yaml", body.replace('"30 days"', '"' + "word " * 6 + 'x!"'))
    pytester.runpytest(*RECORDED).assert_outcomes(failed=1)  # no match: catches nothing


def test_duplicate_keys_are_a_located_error(pytester, write_case) -> None:
    """A second ``checks:`` would silently replace the first."""
    text = with_checks('  - not_contains: "30 days"') + "checks:\n  - max_chars: 5000\n"
    result = broken_run(pytester, write_case, text)
    expect_lines(
        result, ["*broken.yaml:13: invalid YAML: duplicate key 'checks' (first at line 11)*"]
    )


@pytest.mark.parametrize("depth", [150, 700, 999])
def test_deeply_nested_file_is_an_error_for_that_file_only(pytester, write_case, depth) -> None:
    nested = "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + "  " * depth + "end\n"
    text = (
        with_checks('  - not_contains: "30 days"')
        + "description:\n"
        + "".join("  " + line + "\n" for line in nested.splitlines())
    )
    result = broken_run(pytester, write_case, text)
    expect_lines(result, ["*broken.yaml:*nest*"])


BROKEN_CHECKS = {
    "raises_at_import": "raise RuntimeError('config missing')\n",
    "syntax_error": "def check(result, case):\n    return (\n",
    "exits_at_import": "import sys\nsys.exit(3)\n",
}


@pytest.mark.parametrize("module", sorted(BROKEN_CHECKS))
def test_python_check_module_that_fails_at_import(pytester, write_case, module) -> None:
    """A broken check module is a located error on the cases using it; the others run."""
    pytester.makepyfile(**{module: BROKEN_CHECKS[module]})
    pytester.syspathinsert()
    checks = with_checks(f"  - python: {module}:check")
    result = broken_run(pytester, write_case, checks, user_traceback=True)
    expect_lines(
        result,
        [f"*broken.yaml:12: checks[0].python: importing '{module}' raised *", f"*{module}.py*"],
    )
    out = result.stdout.str()
    assert "INTERNALERROR" not in out and "site-packages" not in out


def test_python_check_that_raises_shows_only_the_users_frames(pytester, write_case) -> None:
    pytester.makepyfile(mychecks="def check(result, case):\n    return {}['missing']\n")
    pytester.syspathinsert()
    write_case("a.yaml", VALID_BODY.format(id="a", checks="  - python: mychecks:check"))
    result = pytester.runpytest(*RECORDED)
    result.assert_outcomes(errors=1)
    out = result.stdout.str()
    assert "python check mychecks:check raised KeyError: 'missing'" in out
    assert "mychecks.py" in out and "site-packages" not in out
    assert len(out.splitlines()) < 40


def test_python_check_args_are_checked_against_its_signature(pytester, write_case) -> None:
    pytester.makepyfile(
        mychecks="def short(result, case, limit=10):\n    return len(result.output) < limit\n"
    )
    pytester.syspathinsert()
    checks = "  - python: {function: 'mychecks:short', args: {limt: 5}}"
    result = broken_run(pytester, write_case, with_checks(checks))
    expect_lines(
        result,
        [
            "*broken.yaml:12: checks[0].python.args: mychecks:short cannot take args*unexpected keyword argument 'limt'*"
        ],
    )
