"""``--llm-changed-since REF``: real pytest sessions in a temporary git checkout, against
the loopback stub. A case runs when its file, its prompt template, or a project module
its render hook / target / python check imports changed since REF, or when it is golden;
the others are deselected and never sent."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from prompt_support import prompt_case, report_cases

GIT = ("-c", "user.email=t@t", "-c", "user.name=t", "-c", "commit.gpgsign=false")


def git(pytester: pytest.Pytester, *args: str) -> None:
    result = pytester.run("git", *GIT, *args)
    assert result.ret == 0, result.stderr.str()


def commit(pytester: pytest.Pytester, message: str = "change") -> None:
    git(pytester, "add", "-A")
    git(pytester, "commit", "-qm", message)


@pytest.fixture
def repo(pytester: pytest.Pytester) -> Path:
    """An empty git checkout (the session's outputs ignored); the project importable."""
    git(pytester, "init", "-q")
    (pytester.path / ".gitignore").write_text("*.json\nstdout\nstderr\n.pytest_cache/\n")
    pytester.syspathinsert()
    return pytester.path


def template_case(case_id: str, template: str, golden: bool = False) -> str:
    """A case re-rendering ``template``; its question is its id."""
    prompt = {"template": template, "variables": {"question": case_id}}
    return prompt_case(case_id, prompt, golden=golden, checks=[{"contains": "ok"}])


def plain_case(case_id: str, golden: bool = False, **extra) -> str:
    """A case whose question is its id."""
    extra.setdefault("checks", [{"contains": "ok"}])
    request = {"messages": [{"role": "user", "content": case_id}]}
    return prompt_case(case_id, golden=golden, request=request, **extra)


def sent_ids(stub, ids) -> set[str]:
    """Which of ``ids`` the stub was asked about (a case's question names it)."""
    bodies = [json.dumps(body["messages"]) for body in stub.requests]
    return {i for i in ids if any(i in body for body in bodies)}


TEMPLATE = """\
messages:
  - {role: system, content: "You are a support bot."}
  - {role: user, content: "{{question}}"}
"""


def test_a_template_edit_runs_its_cases_and_the_golden_ones(
    repo, pytester, write_case, prompt_stub
):
    for name in ("refund", "triage"):
        (repo / "prompts").mkdir(exist_ok=True)
        (repo / "prompts" / f"{name}.yaml").write_text(TEMPLATE)
    write_case("uses-refund.yaml", template_case("uses-refund", "prompts/refund.yaml"))
    write_case("uses-triage.yaml", template_case("uses-triage", "prompts/triage.yaml"))
    write_case("plain.yaml", plain_case("plain"))
    write_case("gold.yaml", plain_case("gold", golden=True))
    commit(pytester)
    (repo / "prompts" / "refund.yaml").write_text(TEMPLATE.replace("support bot", "refund bot"))

    result = pytester.runpytest(
        *prompt_stub.args("--llm-changed-since=HEAD", "-v", "--llm-report-md=s.md")
    )
    result.assert_outcomes(passed=2, deselected=2)
    assert (
        "- ran only the 2 case(s) a change since `HEAD` can affect"
        in (pytester.path / "s.md").read_text()
    )
    ids = ("uses-refund", "uses-triage", "plain", "gold")
    assert sent_ids(prompt_stub, ids) == {"uses-refund", "gold"}
    result.stdout.fnmatch_lines(
        [
            "changed since HEAD (*): ran 2 of 4 case(s) (prompt template 1, golden 1)",
            "  2 case(s) not affected, deselected: 2 model call(s) not sent",
            "  selected because (2):",
            "    gold: golden",
            "    uses-refund: prompt template: prompts/refund.yaml",
        ]
    )


def test_case_file_changes_say_what_changed(repo, pytester, write_case, llm_stub):
    write_case("moved.yaml", plain_case("moved"))
    write_case("edited.yaml", plain_case("edited"))
    write_case("same.yaml", plain_case("same"))
    commit(pytester)
    moved = repo / "regressions" / "moved.yaml"
    moved.write_text(moved.read_text().replace("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06"))
    edited = repo / "regressions" / "edited.yaml"
    edited.write_text(edited.read_text() + "description: reworded\n")
    write_case("brand-new.yaml", plain_case("brand-new"))  # untracked

    result = pytester.runpytest(*llm_stub.args("--llm-changed-since=HEAD", "--llm-report=r.json"))
    result.assert_outcomes(passed=3, deselected=1)
    cases = report_cases(repo / "r.json")
    assert {i: c["selected_because"] for i, c in cases.items()} == {
        "moved": ["pinned model: openai/gpt-4o-mini-2024-07-18 -> openai/gpt-4o-2024-08-06"],
        "edited": ["case file"],
        "brand-new": ["new case"],
    }
    assert json.loads((repo / "r.json").read_text())["run"]["changed_since"] == "HEAD"
    result.stdout.fnmatch_lines(
        ["changed since HEAD (*): ran 3 of 4 case(s) (new case 1, pinned model 1, case file 1)"]
    )


APP = {
    "acme/__init__.py": "",
    "acme/helpers.py": "GREETING = 'hello'\n",
    "acme/prompting.py": """\
        from . import helpers


        def build(question):
            return [{"role": "user", "content": f"{helpers.GREETING} {question}"}]
        """,
    "acme/bot.py": """\
        import litellm

        import llm_regressions
        from acme.prompting import build


        def answer(question):
            response = litellm.completion(model=llm_regressions.pinned_model(),
                                          api_base=llm_regressions.api_base(),
                                          messages=build(question), num_retries=0)
            return response.choices[0].message.content
        """,
    "other_app.py": """\
        import litellm

        import llm_regressions


        def answer(question):
            response = litellm.completion(model=llm_regressions.pinned_model(),
                                          api_base=llm_regressions.api_base(),
                                          messages=[{"role": "user", "content": question}])
            return response.choices[0].message.content
        """,
    "scoring.py": "from acme import helpers\n\n\ndef says_ok(result, case):\n    return 'ok' in result.output\n",
}


@pytest.fixture
def app(repo, write_case) -> Path:
    """An app package whose helper module is imported (relatively, two levels down) by
    a render hook, a target and a python check; and one target that does not import it."""
    for name, source in APP.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(textwrap.dedent(source))
    hook = {"render": "acme.prompting:build", "variables": {"question": "hooked"}}
    write_case("hooked.yaml", plain_case("hooked", prompt=hook))
    write_case(
        "target.yaml", plain_case("target", target="acme.bot:answer", input={"question": "via-bot"})
    )
    write_case(
        "other.yaml",
        plain_case("other", target="other_app:answer", input={"question": "via-other"}),
    )
    write_case("scored.yaml", plain_case("scored", checks=[{"python": "scoring:says_ok"}]))
    return repo


def test_an_imported_helper_runs_every_case_whose_code_imports_it(app, pytester, llm_stub):
    commit(pytester, "app")
    (app / "acme" / "helpers.py").write_text("GREETING = 'hi'\n")
    commit(pytester, "helper edit")

    result = pytester.runpytest(*llm_stub.args("--llm-changed-since=HEAD~1", "-v"))
    result.assert_outcomes(passed=3, deselected=1)
    assert sent_ids(llm_stub, ("hooked", "via-bot", "via-other", "scored")) == {
        "hooked",
        "via-bot",
        "scored",
    }
    result.stdout.fnmatch_lines(
        [
            "changed since HEAD~1 (*): ran 3 of 4 case(s) (render hook 1, target 1, python check 1)",
            "    hooked: render hook: acme.prompting:build (acme/helpers.py changed)",
            "    scored: python check: scoring:says_ok (acme/helpers.py changed)",
            "    target: target: acme.bot:answer (acme/helpers.py changed)",
        ]
    )


def test_nothing_affected_is_a_complete_run_that_sends_nothing(app, pytester, llm_stub):
    commit(pytester, "app")
    (app / "README.md").write_text("docs only\n")

    result = pytester.runpytest(*llm_stub.args("--llm-changed-since=HEAD"))
    assert result.ret == 0
    assert llm_stub.requests == []
    result.stdout.fnmatch_lines(
        [
            "changed since HEAD (*): ran 0 of 4 case(s)",
            "  4 case(s) not affected, deselected: 4 model call(s) not sent",
            "  nothing changed that a case depends on, and no golden case: nothing to run",
        ]
    )


def test_under_xdist_the_summary_reaches_the_controller(repo, pytester, write_case, llm_stub):
    write_case("gold.yaml", plain_case("gold", golden=True))
    write_case("plain.yaml", plain_case("plain"))
    commit(pytester)
    result = pytester.runpytest(*llm_stub.args("--llm-changed-since=HEAD", "-n", "2"))
    result.assert_outcomes(passed=1)
    assert sent_ids(llm_stub, ("gold", "plain")) == {"gold"}
    result.stdout.fnmatch_lines(
        [
            "changed since HEAD (*): ran 1 of 2 case(s) (golden 1)",
            "  1 case(s) not affected, deselected: 1 model call(s) not sent",
        ]
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (
            "repo",
            "ERROR: --llm-changed-since no-such-branch: unknown git ref 'no-such-branch' in *; "
            "fetch it first*",
        ),
        (
            "no repo",
            "ERROR: --llm-changed-since no-such-branch: * is not inside a git checkout; "
            "run in a git checkout, or drop the flag",
        ),
        (
            "no git",
            "ERROR: --llm-changed-since no-such-branch: git is not installed (or not on PATH); "
            "install git, or drop the flag",
        ),
    ],
)
def test_without_git_or_the_ref_it_is_a_usage_error(
    pytester, write_case, llm_stub, monkeypatch, setup, message
):
    write_case("gold.yaml", plain_case("gold", golden=True))
    if setup == "repo":
        git(pytester, "init", "-q")
        commit(pytester)
    if setup == "no git":
        monkeypatch.setenv("PATH", str(pytester.mkdir("empty-bin")))
    result = pytester.runpytest(*llm_stub.args("--llm-changed-since=no-such-branch"))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert len([line for line in result.stderr.lines if line.startswith("ERROR")]) == 1
    assert llm_stub.requests == []


def test_the_flag_needs_a_ref_and_the_master_flag(pytester):
    result = pytester.runpytest("--llm-changed-since=HEAD")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--llm-changed-since needs --llm-regressions*"])
    result = pytester.runpytest("--llm-regressions", "--llm-changed-since= ")
    result.stderr.fnmatch_lines(["*--llm-changed-since needs a git ref, e.g. origin/main"])


def test_imports_are_read_not_run(tmp_path):
    """The walk reads sources: a module that would stop the interpreter if imported is
    followed without being imported; the standard library and built-ins are not project
    files; a relative import past the top-level package is dropped, as Python refuses it."""
    import sys

    from llm_regressions.pyimports import ImportGraph

    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "boom.py").write_text(
        "import os, sys, json\nfrom .. import util\nfrom ... import beyond\nraise SystemExit(3)\n"
    )
    (tmp_path / "pkg" / "util.py").write_text("def helper():\n    from pkg import late\n")
    (tmp_path / "pkg" / "late.py").write_text("")
    graph = ImportGraph(tmp_path, [str(tmp_path)])
    found = graph.files_of("pkg.sub.boom")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in found) == [
        "pkg/__init__.py",
        "pkg/late.py",
        "pkg/sub/__init__.py",
        "pkg/sub/boom.py",
        "pkg/util.py",
    ]
    assert "pkg.sub.boom" not in sys.modules and "pkg" not in sys.modules
    assert graph.files_of("sys") == {} and graph.files_of("json") == {}
