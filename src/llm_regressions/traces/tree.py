"""The span tree: parent links checked (cycles refused, missing parents noted) and the
spans laid out depth-first in time order, without recursion (traces can be deep)."""

from __future__ import annotations

from llm_regressions.traces.errors import TraceError
from llm_regressions.traces.model import Span, Trace


def check_links(trace: Trace, display: str) -> None:
    """Refuse parent cycles; note parents that are not in the file (partial exports)."""
    by_id = {(s.trace_id, s.span_id): s for s in trace.spans}
    missing = [s for s in trace.spans if s.parent_id and (s.trace_id, s.parent_id) not in by_id]
    if missing:
        shown = ", ".join(f"{s.name} ({s.span_id})" for s in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        trace.notes.append(
            f"{len(missing)} span(s) name a parent that is not in the file, shown as roots: "
            f"{shown}{more}"
        )
    state: dict[tuple[str, str], int] = {}  # 1 = on the current path, 2 = done
    for span in trace.spans:
        path: list[Span] = []
        node: Span | None = span
        while node is not None and state.get((node.trace_id, node.span_id)) != 2:
            key = (node.trace_id, node.span_id)
            if state.get(key) == 1:
                cycle = " -> ".join(p.span_id for p in path[path.index(node) :] + [node])
                raise TraceError(f"{display}: span parents form a cycle: {cycle}")
            state[key] = 1
            path.append(node)
            node = by_id.get((node.trace_id, node.parent_id)) if node.parent_id else None
        for visited in path:
            state[(visited.trace_id, visited.span_id)] = 2


def ordered(trace: Trace) -> list[tuple[int, Span]]:
    """(depth, span) depth-first, siblings and roots by start time."""
    ids = {(s.trace_id, s.span_id) for s in trace.spans}
    children: dict[tuple[str, str], list[Span]] = {}
    roots = []
    for span in trace.spans:
        parent = (span.trace_id, span.parent_id)
        if span.parent_id and parent in ids:
            children.setdefault(parent, []).append(span)
        else:
            roots.append(span)
    result: list[tuple[int, Span]] = []
    stack = [(0, s) for s in sorted(roots, key=lambda s: s.sort_key, reverse=True)]
    while stack:
        depth, span = stack.pop()
        result.append((depth, span))
        kids = children.get((span.trace_id, span.span_id), [])
        stack.extend((depth + 1, k) for k in sorted(kids, key=lambda s: s.sort_key, reverse=True))
    return result
