"""Safe YAML loading with line numbers, stable dumping, and atomic writes."""

from __future__ import annotations

import pytest
import yaml

from llm_regressions import yamlio
from llm_regressions.fsutil import FileExistsRefused, atomic_write


def test_line_map_points_at_fields_and_list_items() -> None:
    _, lines = yamlio.load("a: 1\nchecks:\n  - contains: x\n  - regex:\n      pattern: y\n")
    assert lines.line_of(("a",)) == 1
    assert lines.line_of(("checks", 0, "contains")) == 3
    assert lines.line_of(("checks", 1, "regex", "pattern")) == 5
    assert lines.line_of(("checks", 1, "regex", "missing")) == 4  # nearest ancestor: its key


def test_unsafe_tags_are_refused() -> None:
    with pytest.raises(yamlio.YamlSyntaxError) as info:
        yamlio.load("x: !!python/object/apply:os.system ['true']\n")
    assert info.value.line == 1


def test_dump_is_stable_and_uses_block_style_for_multiline() -> None:
    data = {
        "id": "b",
        "version": 1,
        "request": {"messages": [{"role": "system", "content": "line 1\nline 2\n"}]},
    }
    text = yamlio.dump(data)
    assert text.splitlines()[0] == "id: b"  # insertion order kept, not sorted
    assert "content: |" in text
    assert yaml.safe_load(text) == data
    assert yamlio.dump(data) == text


def test_dump_never_writes_aliases() -> None:
    shared = {"k": "v"}
    assert "&" not in yamlio.dump({"a": shared, "b": shared})


def test_dump_round_trips_awkward_strings() -> None:
    data = {"a": "trailing space \nnext", "b": "{{not_a_template}}", "c": "yes", "d": "1.0"}
    assert yaml.safe_load(yamlio.dump(data)) == data


def test_atomic_write_refuses_to_overwrite(tmp_path) -> None:
    target = tmp_path / "sub" / "case.yaml"
    atomic_write(target, "one\n")
    with pytest.raises(FileExistsRefused):
        atomic_write(target, "two\n")
    assert target.read_text() == "one\n"
    atomic_write(target, "three\n", overwrite=True)
    assert target.read_text() == "three\n"
    assert [p.name for p in target.parent.iterdir()] == ["case.yaml"]  # no temp files left
