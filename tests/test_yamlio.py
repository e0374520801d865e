"""Safe YAML loading with line numbers, stable dumping, and atomic writes."""

from __future__ import annotations

import pytest
import yaml

from llm_regressions.casefile import yamlio
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


def test_merge_keys_and_aliases_are_plain_data() -> None:
    data, _ = yamlio.load("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nagain: *b\n")
    assert data == {"base": {"x": 1, "y": 2}, "use": {"x": 1, "y": 3}, "again": {"x": 1, "y": 2}}


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(yamlio.YamlSyntaxError, match="aliases expand too far"):
        yamlio.load("\n".join(lines) + "\n")


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(yamlio.YamlSyntaxError, match="recursive alias"):
        yamlio.load("a: &a [1, *a]\n")


def test_timestamps_stay_as_written_and_scalars_resolve() -> None:
    data, _ = yamlio.load("t: 2026-11-20T10:14:03Z\ni: 7\nf: 0.5\nb: true\nn: null\ns: '7'\n")
    assert data == {"t": "2026-11-20T10:14:03Z", "i": 7, "f": 0.5, "b": True, "n": None, "s": "7"}


def test_written_files_follow_the_umask_and_keep_an_existing_mode(tmp_path):
    import os

    from llm_regressions import fsutil

    old = os.umask(0o022)
    try:
        atomic_write = fsutil.atomic_write
        want = 0o666 & ~fsutil._UMASK  # the umask the process had when the plugin loaded
        atomic_write(tmp_path / "new.yaml", "a: 1\n")
        assert (tmp_path / "new.yaml").stat().st_mode & 0o777 == want != 0o600
        (tmp_path / "kept.yaml").write_text("a: 1\n")
        os.chmod(tmp_path / "kept.yaml", 0o640)
        atomic_write(tmp_path / "kept.yaml", "a: 2\n", overwrite=True)
        assert (tmp_path / "kept.yaml").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
