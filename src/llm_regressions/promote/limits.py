"""What a promoted case may hold: no deeper nesting than YAML and validation walk
safely. Checked before anything is written."""

from __future__ import annotations

from typing import Any

from llm_regressions.promote.errors import PromoteError

#: Lists and objects inside each other; dumping, loading and validating a case recurse.
MAX_CASE_DEPTH = 100


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


def _children(node: Any, path: str) -> list[tuple[Any, str]]:
    if isinstance(node, dict):
        return [(v, f"{path}.{k}" if path else str(k)) for k, v in node.items()]
    if isinstance(node, list):
        return [(v, f"{path}[{i}]") for i, v in enumerate(node)]
    return []
