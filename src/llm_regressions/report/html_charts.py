"""Small inline SVG charts for the HTML report: horizontal bars with their numbers
written beside them, and a case's pass-rate interval. Only attributes and classes (the
page's content security policy allows no inline ``style``)."""

from __future__ import annotations

from typing import Any

from llm_regressions.report import text
from llm_regressions.report.html_diff import escape

#: One bar: its name, its length (0..1 of the widest), the number shown, a CSS class.
Bar = tuple[str, float, str, str]

_NAME_W, _BAR_W, _ROW_H = 170, 220, 22
_NAME_CHARS = 24


def bars(title: str, rows: list[Bar], note: str = "") -> str:
    """A titled bar chart; the numbers are text, so it reads without the bars."""
    height = _ROW_H * len(rows) + 4
    width = _NAME_W + _BAR_W + 120
    out = [
        f'<figure class=chart><figcaption>{escape(title)}</figcaption><svg width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">'
    ]
    for i, (name, share, shown, kind) in enumerate(rows):
        y = i * _ROW_H + 2
        short = text.clip(name, _NAME_CHARS)
        length = max(0.0, min(1.0, share)) * _BAR_W
        out.append(
            f"<g><title>{escape(name)}: {escape(shown)}</title>"
            f'<text x="{_NAME_W - 8}" y="{y + 15}" class=name>{escape(short)}</text>'
            f'<rect x="{_NAME_W}" y="{y + 3}" width="{_BAR_W}" height="14" class=track></rect>'
            f'<rect x="{_NAME_W}" y="{y + 3}" width="{length:.1f}" height="14" '
            f'class="bar {kind}"></rect>'
            f'<text x="{_NAME_W + _BAR_W + 6}" y="{y + 15}" class=num>{escape(shown)}</text></g>'
        )
    out.append("</svg>")
    if note:
        out.append(f"<p class=muted>{escape(note)}</p>")
    return "".join(out) + "</figure>"


def _rate_class(rate: float | None) -> str:
    if rate is None:
        return "none"
    return "good" if rate >= 0.95 else "warn" if rate >= 0.8 else "bad"


#: Labels charted at most (worst first); the rest are counted below the chart.
MAX_LABELS = 30


def by_label(agg: dict[str, Any]) -> str:
    rated = [(k, v) for k, v in agg["by_label"].items() if v["total"]]
    rated.sort(key=lambda kv: (kv[1]["rate"], kv[0]))
    rows = [(k, v["rate"], text.rate(v), _rate_class(v["rate"])) for k, v in rated]
    note = (
        f"{len(rows) - MAX_LABELS} more labels in the case list" if len(rows) > MAX_LABELS else ""
    )
    if not rows:
        return ""
    return bars("pass rate by label (fixed cases, worst first)", rows[:MAX_LABELS], note)


def verdicts(counts: dict[str, int]) -> str:
    """Cases per verdict, scaled to the largest count."""
    top = max(counts.values(), default=0)
    rows = [(name, n / top if top else 0.0, str(n), f"v-{name}") for name, n in counts.items()]
    return bars("cases by verdict", rows) if rows else ""


def latency(lat: dict[str, Any]) -> str:
    """p50/p95/p99, scaled to p99."""
    if not lat["runs"] or not lat["p99"]:
        return ""
    rows = [(q, (lat[q] or 0) / lat["p99"], text.ms(lat[q]), "lat") for q in ("p50", "p95", "p99")]
    runs = lat["runs"]
    return bars(f"latency over {runs} live run{'' if runs == 1 else 's'}", rows)


def interval(rate: float, bounds: list[float], need: float | None) -> str:
    """A case's pass rate (dot), its 95% interval (band) and the rate it needs (tick)."""
    low, high = (max(0.0, min(1.0, b)) * 80 for b in bounds)
    tick = (
        f'<line x1="{need * 80 + 1:.1f}" x2="{need * 80 + 1:.1f}" y1="0" y2="12" class=need></line>'
        if need is not None
        else ""
    )
    return (
        '<svg class=ci width="84" height="12" viewBox="0 0 84 12" aria-hidden="true">'
        '<line x1="1" x2="81" y1="6" y2="6" class=track></line>'
        f'<rect x="{low + 1:.1f}" y="3" width="{max(high - low, 1):.1f}" height="6" class=band>'
        f'</rect>{tick}<circle cx="{rate * 80 + 1:.1f}" cy="6" r="2.5" class=dot></circle></svg>'
    )


_SERIES_H, _COLUMN_W, _SERIES_W = 32, 12.0, 360.0


def series(title: str, points: list[tuple[str, float | None, str]]) -> str:
    """A metric over its windows, oldest first: one column per window (``(when, value,
    shown)``), scaled from 0 to the largest value, its value as the column's tooltip; a
    window without the metric is a gap. The newest column (the one alerts judge) stands out."""
    top = max((v for _, v, _ in points if v is not None), default=None)
    if top is None:
        return "<span class=muted>no data</span>"
    step = min(_COLUMN_W, _SERIES_W / len(points))
    width = step * len(points)
    out = [
        f'<svg class=series width="{width:.0f}" height="{_SERIES_H}" '
        f'viewBox="0 0 {width:.1f} {_SERIES_H}" role="img" aria-label="{escape(title)}">'
        f'<line x1="0" x2="{width:.1f}" y1="{_SERIES_H - 0.5}" y2="{_SERIES_H - 0.5}" '
        "class=base></line>"
    ]
    for i, (when, value, shown) in enumerate(points):
        if value is None:
            continue
        height = max(1.0, (value / top if top else 0.0) * (_SERIES_H - 2))
        kind = "col last" if i == len(points) - 1 else "col"
        out.append(
            f'<rect x="{i * step:.1f}" y="{_SERIES_H - height:.1f}" '
            f'width="{max(step - 1.0, 0.5):.1f}" height="{height:.1f}" class="{kind}">'
            f"<title>{escape(when)}: {escape(shown)}</title></rect>"
        )
    return "".join(out) + "</svg>"
