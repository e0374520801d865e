"""Safe YAML in and out.

Loading never constructs Python objects (safe loader only, the C one when available) and
returns, next to the data, a map from field path to line number so that validation
errors can say ``file.yaml:14: checks[1].json_schema: ...``. Dumping is stable (key
order as given, block style for multi-line strings) so promoted cases diff well.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

try:  # the C loader is ~10x faster; fall back silently where libyaml is missing
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

Path = tuple[str | int, ...]


class YamlSyntaxError(ValueError):
    """The text is not valid (safe) YAML. ``line`` is 1-based, or None when unknown."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class LineMap:
    """Field path -> 1-based line of where that value (or its key) starts."""

    def __init__(self, lines: dict[Path, int]) -> None:
        self._lines = lines

    def line_of(self, path: Path) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), 1)

    def sub(self, prefix: Path) -> LineMap:
        """The map seen from inside ``prefix`` (for files holding several cases)."""
        n = len(prefix)
        return LineMap({p[n:]: line for p, line in self._lines.items() if p[:n] == prefix})


def load(text: str) -> tuple[Any, LineMap]:
    """Parse one YAML document safely. Raises :class:`YamlSyntaxError`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineMap({(): 1})
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        if exc.context and "constructor" in (exc.context or ""):
            problem = f"{exc.context} {problem}".strip()
        raise YamlSyntaxError(_one_line(problem), line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(_one_line(str(exc)), None) from None
    finally:
        loader.dispose()
    return data, LineMap(dict(_walk(node, ())))


def _walk(node: yaml.Node, path: Path) -> Iterator[tuple[Path, int]]:
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            child = (*path, key)
            yield from _walk(value_node, child)
            # A scalar value on the key's own line: point at the key.
            yield child, key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*path, index))


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
