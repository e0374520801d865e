"""The checked-in JSON Schema matches the models and accepts every example case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from llm_regressions.__main__ import main
from llm_regressions.casefile.schema import build_schema, checked_in_schema, render_schema

EXAMPLES = sorted((Path(__file__).parent.parent / "regressions").rglob("*.yaml"))


def test_checked_in_schema_matches_the_models() -> None:
    import pydantic

    if tuple(int(part) for part in pydantic.VERSION.split(".")[:2]) < (2, 11):
        # older pydantic renders the same models differently (enum for const, 0.0 ...)
        pytest.skip("case.v1.json is rendered with pydantic >= 2.11")
    assert checked_in_schema() == render_schema(), (
        "src/llm_regressions/schemas/case.v1.json is stale: regenerate it with "
        "`python -m llm_regressions schema > src/llm_regressions/schemas/case.v1.json`"
    )


def test_schema_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(build_schema())


def test_schema_command_prints_the_schema(capsys) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["title"].startswith("pytest-llm-regressions")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_case_validates_against_the_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=str))  # dates as strings, as editors see them
    errors = list(Draft202012Validator(build_schema()).iter_errors(data))
    assert not errors, [e.message for e in errors]


def test_schema_rejects_unknown_keys_and_bad_check_arguments() -> None:
    validator = Draft202012Validator(build_schema())
    base = yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8"))
    base = json.loads(json.dumps(base, default=str))
    assert not validator.is_valid({**base, "min_pass_rat": 1})
    assert not validator.is_valid({**base, "checks": [{"max_chars": "lots"}]})


def test_schema_wants_a_request_unless_there_is_a_target() -> None:
    validator = Draft202012Validator(build_schema())
    base = yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8"))
    base = {k: v for k, v in json.loads(json.dumps(base, default=str)).items() if k != "request"}
    base.pop("prompt", None)
    assert not validator.is_valid(base)
    assert validator.is_valid({**base, "target": "app.bot:answer", "input": {"q": "hi"}})
