"""Safe YAML loading with line numbers, stable dumping, and atomic writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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


REPO = Path(__file__).parent.parent
EXAMPLES = sorted((REPO / "regressions").rglob("*.yaml"))
#: Documents the lean pass hands to the full one, each for its own reason.
UNUSUAL = [
    "a: &x {b: 1}\nc: *x\n",  # an alias
    "a: {b: 1}\nc:\n  <<: {d: 2}\n",  # a merge key
    "a: 1\na: 2\n",  # a duplicate key
    "? [1]\n: 2\n",  # a non-scalar key
    "a: !!binary aGk=\n",  # a tag outside plain data
    "a: !!set {x}\n",  # a mapping tag outside plain data
    "~: 1\n",  # a null key
    "1: one\n2: two\n",  # keys that are not text (not JSON keys: see parsed_cache.py)
]


def full_load(text: str):
    """The line-tracking pass alone, as every load took before the lean one."""
    return yamlio._build(yamlio._compose(text), yamlio._Builder)


@pytest.fixture(params=["libyaml", "pure-python"])
def loader(request, monkeypatch) -> str:
    """Both parsers: PyYAML's C one (when built) and its pure-Python fallback."""
    if request.param == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")
    if request.param == "pure-python":
        pure = type("PureLoader", (yamlio._CheapResolver, yaml.SafeLoader), {})
        monkeypatch.setattr(yamlio, "_Loader", pure)
    return request.param


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_lean_pass_gives_the_full_pass_data_and_lines(path, loader) -> None:
    text = path.read_text("utf-8")
    data, lines = yamlio.load(text)
    want_data, want_lines = full_load(text)
    assert data == want_data and type(data) is dict
    # shallow paths are answered from the lean pass, deeper ones after parsing again
    assert lines._text is not None and lines.line_of(("checks", 0)) == want_lines[("checks", 0)]
    assert lines._text is not None
    assert all(lines.line_of(where) == line for where, line in want_lines.items())
    assert lines._text is None


@pytest.mark.parametrize("text", UNUSUAL)
def test_unusual_documents_take_the_full_pass(text, loader) -> None:
    try:
        want = full_load(text)
    except yamlio.YamlSyntaxError as exc:
        with pytest.raises(yamlio.YamlSyntaxError) as info:
            yamlio.load(text)
        assert (info.value.message, info.value.line) == (exc.message, exc.line)
        return
    data, lines = yamlio.load(text)
    assert data == want[0] and lines._lines == want[1]


def test_deep_nesting_is_refused_by_both_passes(loader) -> None:
    text = "a: " + "[" * (yamlio.MAX_DEPTH + 1) + "]" * (yamlio.MAX_DEPTH + 1) + "\n"
    with pytest.raises(yamlio.YamlSyntaxError, match="nested more than"):
        yamlio.load(text)


def test_errors_are_located_alike_by_both_parsers(loader) -> None:
    with pytest.raises(yamlio.YamlSyntaxError) as info:
        yamlio.load("a: 1\nb: [2\nc: 3\n")
    assert info.value.line in (3, 4)
    _, lines = yamlio.load("a: 1\nchecks:\n  - regex:\n      pattern: y\n")
    assert lines.line_of(("checks", 0, "regex", "pattern")) == 4


def test_without_libyaml_the_pure_python_loader_is_used(tmp_path) -> None:
    """A PyYAML built without libyaml: the plugin loads cases all the same."""
    probe = (
        "import sys; sys.modules['yaml._yaml'] = None\n"
        "import yaml; assert not yaml.__with_libyaml__\n"
        "from llm_regressions.casefile import yamlio\n"
        "assert yamlio._SafeLoader is yaml.SafeLoader\n"
        "import json; data, lines = yamlio.load(open(sys.argv[1]).read())\n"
        "print(json.dumps([data, lines.line_of(('checks', 0))]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(EXAMPLES[0])], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    data, line = json.loads(done.stdout)
    want_data, want_lines = full_load(EXAMPLES[0].read_text("utf-8"))
    assert data == want_data and line == want_lines[("checks", 0)]
