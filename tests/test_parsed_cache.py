"""The store of parsed case files: a later run gets exactly what parsing would give,
parses only what changed, and shrugs off a damaged or foreign store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llm_regressions.casefile import parsed_cache, yamlio
from llm_regressions.casefile.parsed_cache import ParsedCache

REPO = Path(__file__).parent.parent
EXAMPLES = sorted((REPO / "regressions").rglob("*.yaml"))
STORE = parsed_cache.FILE_NAME


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts :func:`yamlio.load` parsed (the store answers the others)."""
    seen: list[str] = []
    real = yamlio.load

    def counting(text: str):
        seen.append(text)
        return real(text)

    monkeypatch.setattr(yamlio, "load", counting)
    return seen


def test_a_later_session_gets_what_parsing_gives_without_parsing(tmp_path, parses) -> None:
    texts = [path.read_text("utf-8") for path in EXAMPLES]
    first = ParsedCache(tmp_path)
    for text in texts:
        first.load(text)
    first.save()
    assert len(parses) == len(texts)
    later = ParsedCache(tmp_path)
    for text in texts:
        data, lines = later.load(text)
        want_data, want_lines = yamlio._build(yamlio._compose(text), yamlio._Builder)
        assert data == want_data
        assert json.dumps(data) == json.dumps(want_data)  # types and key order too
        assert all(lines.line_of(where) == line for where, line in want_lines.items())
    assert len(parses) == len(texts)  # nothing parsed again


def test_an_edited_file_is_parsed_again(tmp_path, parses) -> None:
    store = ParsedCache(tmp_path)
    store.load("id: a\nchecks: [{contains: x}]\n")
    store.save()
    data, lines = ParsedCache(tmp_path).load("id: b\nchecks:\n  - contains: y\n")
    assert data == {"id": "b", "checks": [{"contains": "y"}]}
    assert lines.line_of(("checks", 0, "contains")) == 3
    assert len(parses) == 2


@pytest.mark.parametrize(
    "text",
    [
        "a: &x {b: 1}\nc: *x\n",  # an alias: the full pass knows every line
        "1: one\nb: 2\n",  # a key that is not text: not a JSON key
        "a: {b: 1}\nc:\n  <<: {d: 2}\n",  # a merge key
    ],
)
def test_documents_the_lean_pass_does_not_build_are_never_stored(tmp_path, text) -> None:
    store = ParsedCache(tmp_path)
    data, _ = store.load(text)
    store.save()
    assert not (tmp_path / STORE).exists()
    assert data == yamlio.load(text)[0]
    assert ParsedCache(tmp_path).load(text)[0] == data


def test_a_damaged_store_is_ignored_and_rebuilt(tmp_path, parses) -> None:
    text = "id: a\nchecks: [{contains: x}]\n"
    store = ParsedCache(tmp_path)
    store.load(text)
    store.save()
    header, entry = (tmp_path / STORE).read_text().splitlines()
    digest = entry.split(" ")[0]
    (tmp_path / STORE).write_text(f'{header}\n{digest} [{{"id": \ngarbage\n')
    assert ParsedCache(tmp_path).load(text)[0] == {"id": "a", "checks": [{"contains": "x"}]}
    (tmp_path / STORE).write_bytes(b"\xff\xfe not a store")
    broken = ParsedCache(tmp_path)
    assert broken.load(text)[0]["id"] == "a"
    broken.save()
    assert len(parses) == 3
    assert ParsedCache(tmp_path).load(text)[0]["id"] == "a"
    assert len(parses) == 3  # the rebuilt store answers


def test_a_store_of_another_format_or_pyyaml_is_not_used(tmp_path, parses, monkeypatch) -> None:
    text = "id: a\n"
    store = ParsedCache(tmp_path)
    store.load(text)
    store.save()
    monkeypatch.setattr(parsed_cache, "FORMAT", parsed_cache.FORMAT + 1)
    ParsedCache(tmp_path).load(text)
    assert len(parses) == 2


def test_a_session_that_parsed_nothing_new_writes_nothing(tmp_path) -> None:
    store = ParsedCache(tmp_path)
    store.load("id: a\n")
    store.save()
    os.utime(tmp_path / STORE, (1, 1))
    again = ParsedCache(tmp_path)
    again.load("id: a\n")
    again.save()
    assert (tmp_path / STORE).stat().st_mtime == 1


def test_an_unwritable_cache_folder_only_means_parsing_again(tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    store = ParsedCache(blocker / "cache")
    assert store.load("id: a\n")[0] == {"id": "a"}
    store.save()  # no error: the next session parses again


def test_unused_entries_are_kept_up_to_a_bound(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(parsed_cache, "MAX_UNUSED", 2)
    store = ParsedCache(tmp_path)
    for index in range(4):
        store.load(f"id: old{index}\n")
    store.save()
    store = ParsedCache(tmp_path)
    store.load("id: new\n")
    store.save()
    kept = (tmp_path / STORE).read_text().splitlines()[1:]
    ids = [json.loads(line.split(" ", 1)[1])[0]["id"] for line in kept]
    assert ids == ["old2", "old3", "new"]


def test_a_second_run_parses_only_the_edited_case_file(pytester, write_case, parses) -> None:
    for name in ("a", "b", "c"):
        write_case(f"{name}.yaml", id=name)
    first = pytester.runpytest_inprocess("--llm-regressions", "--llm-replay", "recorded")
    first.assert_outcomes(passed=3)
    assert len(parses) == 3
    assert (pytester.path / ".llm_regressions_cache" / STORE).is_file()
    second = pytester.runpytest_inprocess("--llm-regressions", "--llm-replay", "recorded")
    second.assert_outcomes(passed=3)
    assert len(parses) == 3
    path = pytester.path / "regressions" / "b.yaml"
    path.write_text(path.read_text().replace("id: b", "id: b2"))
    third = pytester.runpytest_inprocess("--llm-regressions", "--collect-only", "-q")
    third.stdout.fnmatch_lines(["regressions/b.yaml::b2"])
    assert len(parses) == 4


def test_errors_in_a_stored_case_file_are_located_as_before(pytester, write_case) -> None:
    path = write_case("a.yaml", id="a")
    message = '    - {role: user, content: "Can I still return my order from 3 weeks ago?"}\n'
    bad = "    - role: user\n      content: hi\n      colour: blue\n"
    text = path.read_text().replace(message, bad)
    path.write_text(text)
    line = text.splitlines().index("      colour: blue") + 1
    for _ in range(2):  # parsed, then from the store
        result = pytester.runpytest_inprocess("--llm-regressions", "--llm-replay", "recorded")
        result.stdout.fnmatch_lines(
            [f"regressions/a.yaml:{line}: request.messages[[]0[]].colour: unknown field*"]
        )
    assert (pytester.path / ".llm_regressions_cache" / STORE).read_text().count("\n") == 2
