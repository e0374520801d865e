"""The HTML report's case list: one ``<details>`` per case, rendered server side (the
page reads with scripts off; the script only filters and toggles). Every value from a
record is escaped: model output, reasons and even ids are untrusted text."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote

from llm_regressions.diagnose import render as diagnosis_text
from llm_regressions.report import html_charts, html_diff, text, trajectory
from llm_regressions.report.html_diff import escape, escape_name

Record = dict[str, Any]

#: Most urgent first: the list opens on what needs a look.
VERDICT_ORDER = ("failed", "error", "inconclusive", "flaky", "passed", "xfailed", "skipped")
#: A record's ``pinned`` is false: what that means for its verdict.
_UNPINNED = "no: ran on another model than the case pins, or the model drifted"
#: Cases opened when the page loads (the first ones needing a look).
OPEN_FIRST = 5


def verdict(record: Record) -> str:
    return record.get("verdict") or record["outcome"]


def anchor(case_id: str) -> str:
    """The ``href`` of a case's row (its ``id`` is ``c-`` + the escaped id)."""
    return "#c-" + quote(case_id, safe="")


def _rank(record: Record, bucket: str) -> tuple[int, int, str]:
    order = VERDICT_ORDER.index(verdict(record)) if verdict(record) in VERDICT_ORDER else 0
    return (bucket != "regressed", order, record["id"])


def rows(records: list[Record], buckets: dict[str, str], causes: dict[str, list[str]]) -> str:
    """Every case, regressions and failures first; the first few needing a look open."""
    ordered = sorted(records, key=lambda r: _rank(r, buckets.get(r["id"], "")))
    out = []
    for i, record in enumerate(ordered):
        urgent = i < OPEN_FIRST and verdict(record) in VERDICT_ORDER[:4]
        out.append(_row(record, buckets.get(record["id"], ""), causes.get(record["id"]), urgent))
    return "".join(out)


def _row(record: Record, bucket: str, causes: list[str] | None, opened: bool) -> str:
    v = verdict(record)
    attrs = (
        f'id="c-{escape(record["id"])}" class="case" data-label="{escape_name(record["label"])}" '
        f'data-verdict="{escape_name(v)}" data-golden="{"yes" if record["golden"] else "no"}" '
        f'data-bucket="{escape_name(bucket or "unchanged")}"'
    )
    return (
        f"<details {attrs}{' open' if opened else ''}><summary>{_headline(record, v, bucket)}"
        f"</summary><div class=body>{_facts(record, causes)}{_problem(record)}"
        f"{_diagnosis(record)}{_runs(record)}{_prompt(record)}{_targets(record)}</div></details>"
    )


def _headline(record: Record, v: str, bucket: str) -> str:
    golden = ' <span class="tag golden">golden</span>' if record["golden"] else ""
    flip = (
        f' <span class="tag b-{escape_name(bucket)}">{escape_name(bucket)}</span>' if bucket else ""
    )
    why = record.get("trouble") or (record.get("problem") or "").split("\n", 1)[0]
    return (
        f'<span class="v v-{escape_name(v)}">{escape_name(v)}</span> '
        f"<code>{escape(record['id'])}</code> "
        f'<span class="label">{escape_name(record["label"])}</span>{golden}'
        f' <span class="tag">{escape_name(record["status"])}</span>{flip} '
        f"{_rate(record)}<span class=why>{escape(why[:160])}</span>"
    )


def _rate(record: Record) -> str:
    """``2/3 runs (67%)``, the 95% interval when there is one, and its picture."""
    if record.get("pass_rate") is None:
        return ""
    runs = record["runs"]
    passed = sum(run["passed"] for run in runs)
    interval = record.get("interval")
    shown = f"{passed}/{len(runs)} runs ({record['pass_rate']:.0%})"
    if interval:
        shown += f", 95% interval {interval[0]:.0%}–{interval[1]:.0%}"
        need = record.get("min_pass_rate")
        shown += html_charts.interval(record["pass_rate"], interval, need)
    return f'<span class="rate">{shown}</span> '


def _facts(record: Record, causes: list[str] | None) -> str:
    served = sorted({run["model"] for run in record["runs"] if run.get("model")})
    facts = [
        ("file", f"{record['file']}:{record['line']}"),
        ("model", record["model"]),
        ("served", ", ".join(served)),
        ("drift", record.get("drift")),
        ("trace id", record.get("trace_id")),
        ("prompt", record.get("prompt")),
        ("need", _need(record)),
        ("decision", _decision(record)),
        ("pinned model", None if record.get("pinned", True) else _UNPINNED),
        ("repeats", _repeats(record.get("repeat"))),
        ("cost", text.usd(record["cost_usd"]) if record.get("cost_usd") is not None else None),
        ("time", f"{record['duration_s']:.2f} s" if record.get("duration_s") else None),
        ("tags", ", ".join(record.get("tags") or [])),
        ("likely cause", ", ".join(causes or [])),
    ]
    items = "".join(f"<dt>{k}</dt><dd>{escape(str(v))}</dd>" for k, v in facts if v)
    return f"<dl class=facts>{items}</dl>"


def _need(record: Record) -> str | None:
    need = record.get("min_pass_rate")
    return None if need is None or record.get("pass_rate") is None else f"pass rate ≥ {need:.2f}"


def _decision(record: Record) -> str | None:
    """What the runs showed against ``min_pass_rate`` (pass, fail, inconclusive)."""
    decision = record.get("decision")
    if decision is None or record.get("pass_rate") is None:
        return None
    return {
        "pass": "pass: the observed rate meets the need, no evidence of a regression",
        "fail": "fail: the runs show a regression",
        "inconclusive": "inconclusive: too few runs to tell, run more repeats",
    }.get(decision, decision)


def _repeats(repeat: dict[str, Any] | None) -> str | None:
    if not repeat:
        return None
    return f"{repeat['used']} used (adaptive, {repeat['min']} to {repeat['max']})"


def _problem(record: Record) -> str:
    problem = record.get("problem")
    return f"<pre class=problem>{escape(problem)}</pre>" if problem else ""


def _diagnosis(record: Record) -> str:
    """``--llm-diagnose``: the likely cause, then the facts behind it (the terminal's
    lines: reruns, each variant, open vs closed book, the request's size)."""
    diagnosis = record.get("diagnosis")
    if not diagnosis:
        return ""
    facts = diagnosis_text.block(record["id"], diagnosis)[1:]
    items = "".join(f"<li>{escape(line.strip())}</li>" for line in facts)
    return (
        f"<div class=diagnosis><h4>likely cause (--llm-diagnose)</h4>"
        f"<p>{escape(diagnosis['attribution'])}</p>{f'<ul>{items}</ul>' if items else ''}</div>"
    )


def _expected(record: Record) -> str | None:
    """The expected answer: the record's excerpt, or (recorded mode, older reports) the
    output of the run named ``expected``."""
    if record.get("expected_excerpt") is not None:
        return record["expected_excerpt"]
    for run in record["runs"]:
        if run["name"] == "expected":
            return run.get("output_excerpt")
    return None


def _runs(record: Record) -> str:
    """The expected answer, then each run; a failed run's answer as a diff against it."""
    expected = _expected(record)
    seen: dict[str | None, str] = {}
    out = [_run(run, expected, seen) for run in record["runs"]]
    if record.get("expected_excerpt") is not None:
        out.insert(
            0, f"<div class=expected><h4>expected</h4><pre class=out>{escape(expected)}</pre></div>"
        )
    return f"<div class=runs>{''.join(out)}</div>" if out else ""


def _run(run: dict[str, Any], expected: str | None, seen: dict[str | None, str]) -> str:
    """A run's line (answer, model, latency, tokens, cost), its checks and its answer."""
    passed = run["passed"]
    head = escape_name(run["name"]) + (" · passed" if passed else " · FAILED")
    if run.get("model"):
        head += " · " + escape_name(run["model"])
    if run.get("latency_ms") is not None:
        head += f" · {run['latency_ms']:.0f}ms"
    tokens_in, tokens_out = run.get("tokens_in"), run.get("tokens_out")
    if tokens_in is not None or tokens_out is not None:
        head += f" · {tokens_in or 0}→{tokens_out or 0} tokens"
    if run.get("cost_usd") is not None:
        head += " · " + _usd(run["cost_usd"])
    checks = "".join(
        _check(c["check"], c["passed"], c.get("applicable", True), c.get("reason") or "")
        for c in run["checks"]
    )
    tools = run.get("tool_calls")
    called = f"<p class=tools>tools called: {escape(', '.join(tools))}</p>" if tools else ""
    return (
        f'<div class="run {"pass" if passed else "fail"}"><h4>{head}</h4>'
        f"<ul class=checks>{checks}</ul>{called}{_output(run, expected, seen)}"
        f"{trajectory.html(run.get('session'))}</div>"
    )


_usd = lru_cache(maxsize=4096)(text.usd)


@lru_cache(maxsize=8192)
def _check(name: str, passed: bool, applicable: bool, reason: str) -> str:
    """One check's line (cached: passing checks repeat their reasons case after case)."""
    if not applicable:
        kind, word = "na", "n/a"
    else:
        kind, word = ("ok", "ok") if passed else ("bad", "FAIL")
    return f'<li class="{kind}"><b>{word}</b> <code>{escape(name)}</code> {escape(reason)}</li>'


_LEGEND = (
    "<p class=legend>answer vs expected: <ins>only in the answer</ins> <del>only expected</del></p>"
)


def _output(run: dict[str, Any], expected: str | None, seen: dict[str | None, str]) -> str:
    """The answer; a failed run's as a word diff against the expected answer. An
    answer already shown in an earlier run is named, not repeated."""
    output = run.get("output_excerpt")
    if output is None:
        return "<p class=muted>(no output)</p>"
    if output in seen:
        return f"<p class=muted>same answer as {escape_name(seen[output])}</p>"
    seen[output] = run["name"]
    if run["passed"] or expected is None or run["name"] == "expected":
        return f"<pre class=out>{escape(output)}</pre>"
    return f"{_LEGEND}<pre class=out>{html_diff.words(expected, output)}</pre>"


def _prompt(record: Record) -> str:
    run = record.get("prompt_run")
    if not run:
        return ""
    if run.get("error"):
        body = f"<p>current prompt not rendered: {escape(run['error'])}</p>"
        return f"<div class=prompt><h4>prompt ({escape(run['mode'])})</h4>{body}</div>"
    changed = "changed since the trace" if run.get("changed") else "unchanged"
    head = f"prompt: {escape(run['mode'])} ({escape(str(run.get('rendered')))}, {changed})"
    diff = run.get("diff")
    if not diff:
        return f"<div class=prompt><h4>{head}</h4></div>"
    return (
        f"<details class=prompt open><summary>{head}: frozen vs current</summary>"
        f"<pre class=udiff>{html_diff.unified(diff)}</pre></details>"
    )


def _targets(record: Record) -> str:
    """An app target's litellm calls, one line each."""
    runs = record.get("target_runs")
    if not runs:
        return ""
    items = "".join(_target_call(run, call) for run in runs for call in run.get("calls") or [])
    return f"<div class=targets><h4>the app's model calls</h4><ul>{items}</ul></div>"


def _target_call(run: dict[str, Any], call: Any) -> str:
    call = call if isinstance(call, dict) else {}
    parts = (
        f"run {run.get('run')}",
        call.get("model"),
        f"served {call['served_model']}" if call.get("served_model") else None,
        text.ms(call["latency_ms"]) if isinstance(call.get("latency_ms"), int | float) else None,
    )
    line = " · ".join(escape(str(p)) for p in parts if p)
    output = call.get("output")
    shown = f"<pre class=out>{escape(str(output))}</pre>" if output else ""
    return f"<li>{line}{shown}</li>"
