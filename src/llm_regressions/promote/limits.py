"""What a promoted case may hold: no more than the loader reads back (its size and
nesting limits). Checked before anything is written, so a case the loader would refuse
is never written."""

from __future__ import annotations

from typing import Any

from llm_regressions.casefile import yamlio
from llm_regressions.casefile.loader import MAX_CASE_FILE_BYTES
from llm_regressions.promote.errors import PromoteError

#: Lists and objects inside each other: the loader refuses deeper cases.
MAX_CASE_DEPTH = yamlio.MAX_DEPTH
_MB = 1_048_576


def check_depth(data: dict[str, Any]) -> None:
    """Refuse case data holding a value nested more than MAX_CASE_DEPTH levels deep."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_CASE_DEPTH:
            shown = path if len(path) < 80 else path[:80] + "..."
            raise PromoteError(
                f"the case would hold a value nested more than {MAX_CASE_DEPTH} levels deep, "
                f"at {shown}; trim that value in the trace (or promote another span)"
            )
        stack.extend((child, key, depth + 1) for child, key in _children(node, path))


def check_size(data: dict[str, Any], text: str | None = None) -> None:
    """Refuse a case larger than the loader's limit, naming its biggest text. Without
    ``text`` (before a big case is dumped to YAML, which is slow) its strings' total
    is the measure: the YAML text is never smaller."""
    texts = _texts(data)
    size = len(text.encode("utf-8")) if text is not None else sum(n for _, n in texts)
    if size <= MAX_CASE_FILE_BYTES:
        return
    field, biggest = max(texts, key=lambda item: item[1], default=("?", 0))
    raise PromoteError(
        f"the case would be {'' if text else 'over '}{size / _MB:.1f} MB; case files are "
        f"limited to "
        f"{MAX_CASE_FILE_BYTES // _MB} MB, so it could not be loaded. The biggest field "
        f"is {field} ({biggest / _MB:.1f} MB): trim it in the trace, or promote a span "
        "with a smaller request"
    )


def _texts(data: Any) -> list[tuple[str, int]]:
    """(path, UTF-8 size) of every string in ``data``."""
    found, stack = [], [(data, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            found.append((path, len(node.encode("utf-8"))))
        stack.extend(_children(node, path))
    return found


def _children(node: Any, path: str) -> list[tuple[Any, str]]:
    if isinstance(node, dict):
        return [(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()]
    if isinstance(node, list):
        return [(v, f"{path}[{i}]") for i, v in enumerate(node)]
    return []
