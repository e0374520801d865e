"""Safe YAML in and out.

Loading never constructs Python objects (safe loader only, the C one when available) and
returns, next to the data, a map from field path to line number so that validation
errors can say ``file.yaml:14: checks[1].json_schema: ...``. That map costs as much as
the parse, and only an error reads it, so it is built on demand (see :class:`LineMap`).
Dumping is stable (key order as given, block style for multi-line strings) so promoted
cases diff well.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

try:  # the C loader is ~10x faster; fall back silently where libyaml is missing
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

Path = tuple[str | int, ...]


class YamlSyntaxError(ValueError):
    """The text is not valid (safe) YAML. ``line`` is 1-based, or None when unknown."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LineMap:
    """Field path -> 1-based line of where that value (or its key) starts.

    A clean load knows only the lines of the top-level fields and of the items of
    top-level lists (a ``cases:`` list); the first question about any other path parses
    the text again, recording every line, so a file that loads cleanly never pays for
    line tracking."""

    def __init__(self, lines: dict[Path, int], text: str | None = None) -> None:
        self._lines = lines
        self._text = text  # None once every line is known

    def lean_lines(self) -> dict[Path, int] | None:
        """What a clean load knows (see above), or None once every line is known."""
        return None if self._text is None else dict(self._lines)

    def line_of(self, path: Path) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        if self._text is not None and path not in self._lines:
            _, self._lines = _build(_compose(self._text), _Builder)
            self._text = None
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), 1)


def format_path(path: Iterable[str | int]) -> str:
    """``('checks', 1, 'json_schema')`` -> ``checks[1].json_schema``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


#: Alias expansion beyond this many values is refused (a "billion laughs" file).
MAX_VALUES = 200_000
#: Deeper nesting is refused: no case needs it, and building it would recurse without end.
MAX_DEPTH = 100

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SAFE = yaml.constructor.SafeConstructor()
# Scalar tags a case file may hold, with PyYAML's own converters (YAML 1.1 rules for
# 0x10, 1_000, .inf, yes/no...). Timestamps stay text, exactly as written.
_SCALARS = {
    "tag:yaml.org,2002:null": _SAFE.construct_yaml_null,
    "tag:yaml.org,2002:bool": _SAFE.construct_yaml_bool,
    "tag:yaml.org,2002:int": _SAFE.construct_yaml_int,
    "tag:yaml.org,2002:float": _SAFE.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": lambda node: node.value,
}


class _CheapResolver:
    """PyYAML's resolver made cheap, for a safe loader: without path resolvers (safe
    loading has none) a plain scalar's tag depends on its text alone, so short texts
    (keys, names, numbers: most scalars) are resolved once per process."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode:  # an untagged (or "!") collection: the standard tag
            return _SEQ if kind is SequenceNode else _MAP
        if not implicit[0]:  # quoted, or a non-specific "!" tag: a string
            return _STR
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[misc]
            if len(value) <= 40 and len(_PLAIN_TAGS) < 100_000:
                _PLAIN_TAGS[value] = tag
        return tag

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """Path resolvers only; safe loading registers none."""

    def ascend_resolver(self) -> None:
        """Path resolvers only; safe loading registers none."""


class _Loader(_CheapResolver, _SafeLoader):
    """The C safe loader where PyYAML has libyaml, else its pure-Python one."""


_PLAIN_TAGS: dict[str, str] = {}


def load(text: str) -> tuple[Any, LineMap]:
    """Parse one YAML document safely. Raises :class:`YamlSyntaxError`.

    The C parser (when available) builds the node tree; values are then built from the
    nodes here. Only plain data is ever built: any tag other than YAML's standard
    scalar, mapping and sequence tags is refused, so no Python object can be
    constructed from a case file. A plain document (no aliases, merge keys or problems)
    takes a lean pass that skips line tracking; anything else takes the full pass,
    which records every line and names every problem.
    """
    node = _compose(text)
    try:
        data, lines = _build(node, _PlainBuilder)
    except _Unusual:
        data, lines = _build(node, _Builder)
        return data, LineMap(lines)
    return data, LineMap(lines, text)


def _compose(text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSyntaxError(
            _one_line(exc.problem or str(exc)), mark.line + 1 if mark else None
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(_one_line(str(exc)), None) from None
    finally:
        loader.dispose()


def _build(node: yaml.Node | None, kind: type[_Builder]) -> tuple[Any, dict[Path, int]]:
    """Data and lines of a composed document (a new builder of ``kind`` each time)."""
    if node is None:
        return None, {(): 1}
    builder = kind()
    return builder.build(node, ()), builder.lines


class _Builder:
    """Node tree -> plain data plus a field-path -> line map."""

    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.count = 0
        self.active: set[int] = set()  # nodes on the current path, to catch recursion

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        self.count += 1
        if self.count > MAX_VALUES:
            raise self._error(node, f"more than {MAX_VALUES} values (aliases expand too far)")
        if len(path) > MAX_DEPTH:
            raise self._error(node, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.active:
            raise self._error(node, "recursive alias")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
                return self._mapping(node, path)
            raise self._error(node, f"could not determine a constructor for the tag {node.tag!r}")
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _STR:
            return node.value
        convert = _SCALARS.get(node.tag)
        if convert is None:
            raise self._error(node, f"could not determine a constructor for the tag {node.tag!r}")
        return convert(node)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in sources:
                    value = self.build(source, path)
                    if not isinstance(value, dict):
                        raise self._error(source, "a merge key ('<<') needs a mapping")
                    merged = {**value, **merged}
                continue
            key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key, (list, dict)):
                raise self._error(key_node, "mapping keys must be plain scalars")
            child = (*path, key)
            if key in result:
                raise self._error(
                    key_node, f"duplicate key {key!r} (first at line {self.lines[child]})"
                )
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child)
        return {**merged, **result} if merged else result

    @staticmethod
    def _error(node: yaml.Node, message: str) -> YamlSyntaxError:
        return YamlSyntaxError(message, node.start_mark.line + 1)


class _Unusual(Exception):
    """The document needs the full builder: an alias, a merge key, or a problem to name."""


class _PlainBuilder(_Builder):
    """The full builder's data for a plain document (no aliases or merge keys, every key
    a string), without tracking lines below the top level; gives up (:class:`_Unusual`)
    wherever the two could differ."""

    def build(self, node: yaml.Node, path: Path) -> Any:
        data = self._value(node, 0)
        self.lines = {(): node.start_mark.line + 1}
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                key = self._scalar(key_node)
                self.lines[(key,)] = key_node.start_mark.line + 1
                if isinstance(value_node, SequenceNode):
                    for index, item in enumerate(value_node.value):
                        self.lines[(key, index)] = item.start_mark.line + 1
        return data

    def _value(self, node: yaml.Node, depth: int) -> Any:
        kind = type(node)
        if kind is ScalarNode:
            return node.value if node.tag == _STR else self._scalar(node)
        if id(node) in self.active or depth >= MAX_DEPTH:
            raise _Unusual  # an alias (or very deep): counted and named by the full pass
        self.active.add(id(node))
        self.count += len(node.value)
        if self.count >= MAX_VALUES:
            raise _Unusual
        if kind is SequenceNode and node.tag == _SEQ:
            return [self._value(item, depth + 1) for item in node.value]
        if kind is not MappingNode or node.tag != _MAP:
            raise _Unusual
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode or key_node.tag == _MERGE:
                raise _Unusual
            if key_node.tag != _STR or key_node.value in result:
                raise _Unusual  # a key that is not text (``1:``, ``true:``), or a duplicate
            key = key_node.value
            result[key] = self._value(value_node, depth + 1)
        return result

    @staticmethod
    def _error(node: yaml.Node, message: str) -> YamlSyntaxError:
        raise _Unusual


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _StableDumper(_BaseDumper):
    """Block style for multi-line strings; no anchors/aliases (they confuse reviewers)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        # Block style cannot keep trailing spaces on a line; such text falls back to quotes.
        style = "|" if not any(line != line.rstrip() for line in value.splitlines()) else '"'
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_StableDumper.add_representer(str, _represent_str)


def dump_line(data: Any) -> str:
    """Plain data as one line of flow-style YAML, e.g. a check to paste after
    ``--promote-check`` (strings with line breaks are quoted with escapes)."""
    text = yaml.dump(
        data,
        Dumper=_StableDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=True,
        width=2**30,
    )
    return text.removesuffix("\n...\n").strip()


def dump(data: Any) -> str:
    """Serialize plain data (dicts, lists, scalars) with stable key order."""
    return yaml.dump(
        data,
        Dumper=_StableDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
        indent=2,
    )
