"""The JSON report, format v1: documented by ``schemas/report.v1.json``.

Everything a later run or ``python -m llm_regressions gate`` needs is in it: every case
record with every run, the aggregates, the gate's outcome and where the run came from.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from llm_regressions import __version__
from llm_regressions.fsutil import atomic_write
from llm_regressions.report.metrics import aggregate

FORMAT = "pytest-llm-regressions/report"
VERSION = 1
SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "report.v1.json"


class ReportError(ValueError):
    """A file is not a report this version can read."""


def build(
    records: list[dict[str, Any]],
    run: dict[str, Any],
    gate: dict[str, Any] | None,
    git: dict[str, Any] | None,
    incomplete: str | None = None,
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "plugin_version": __version__,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "complete": incomplete is None,
        "incomplete": incomplete,
        "git": git,
        "run": run,
        "aggregates": aggregate(records),
        "gate": gate,
        "cases": records,
        "monitor": None,  # --llm-monitor's section (monitor/session.py)
    }


def write(path: Path, report: dict[str, Any]) -> None:
    # compact: indent would use the pure-Python encoder (seconds for 10,000 cases)
    text = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
    atomic_write(path, text + "\n", overwrite=True)


def load(path: Path) -> dict[str, Any]:
    """A report as written by this plugin, checked against the published schema (every
    gate and merge reads it; a hand-edited or foreign file is refused in one line)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise ReportError(f"{path}: nested too deeply to be a report") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read a JSON report ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ReportError(f"{path}: not a pytest-llm-regressions report")
    if data.get("version") != VERSION:
        raise ReportError(
            f"{path}: report format version {data.get('version')!r}, this plugin reads {VERSION}"
        )
    _validate(path, _upgrade(data))
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a report can hold")


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Fields added to format v1 since its first release, with the values the older
    writers implied (they only wrote reports of finished runs)."""
    data.setdefault("complete", True)
    data.setdefault("incomplete", None)
    data.setdefault("monitor", None)
    if isinstance(data["monitor"], dict):
        data["monitor"].setdefault("judge", None)  # no rule judged before llm_judge was allowed
    if isinstance(data.get("run"), dict):
        data["run"].setdefault("prompt", "current")
        data["run"].setdefault("changed_since", None)
        data["run"].setdefault("rate_limits", [])
    for record in data.get("cases") if isinstance(data.get("cases"), list) else []:
        if isinstance(record, dict):
            for key, value in RECORD_DEFAULTS.items():
                record.setdefault(key, value)
            for run in record.get("runs") if isinstance(record.get("runs"), list) else []:
                if isinstance(run, dict):
                    run.setdefault("session", None)
    aggregates = data.get("aggregates")
    if isinstance(aggregates, dict):
        aggregates.setdefault("not_counted", {"open": 0, "skipped": 0, "inconclusive": 0})
        aggregates.setdefault("inconclusive", [])
        aggregates.setdefault("repeats", None)
        aggregates.setdefault("clusters", [])
    gate = data.get("gate")
    if isinstance(gate, dict) and isinstance(gate.get("baseline"), dict):
        _upgrade_comparison(gate["baseline"])
    return data


#: Record keys added to format v1 after its first release, with what older writers meant.
RECORD_DEFAULTS: dict[str, Any] = {
    "prompt_run": None,
    "target_runs": None,
    "file_hash": "",
    "interval": None,
    "decision": None,
    "repeat": None,
    "pinned": True,
    "expected_excerpt": None,
    "trace_id": None,
    "selected_because": None,
    "diagnosis": None,
}


def _upgrade_comparison(cmp: dict[str, Any]) -> None:
    """Comparisons before buckets held five flat lists of case ids."""
    if "buckets" in cmp:
        return
    flat = ("regressions", "fixed", "newly_flaky", "new", "removed")
    old = {key: cmp.pop(key, []) for key in flat}
    cmp["buckets"] = {
        "regressed": old["regressions"],
        "fixed": old["fixed"],
        "inconclusive": [],
        "newly_flaky": old["newly_flaky"],
        "no_longer_flaky": [],
        "still_failing": [],
        "new": old["new"],
        "removed": old["removed"],
    }
    cmp["causes"] = {}
    cmp["paired"] = {
        "shared": 0,
        "flipped_to_fail": 0,
        "flipped_to_pass": 0,
        "p_value": None,
        "significant": False,
        "summary": "not computed by the plugin version that wrote this report",
    }


@cache
def _validator() -> Any:
    """The published schema, compiled (fastjsonschema: jsonschema takes seconds per
    10,000 cases). It uses draft-07 keywords only, so it is compiled as such."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return fastjsonschema.compile({**schema, "$schema": "http://json-schema.org/draft-07/schema#"})


def _validate(path: Path, data: dict[str, Any]) -> None:
    try:
        _validator()(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        where = exc.name.replace("data", "$", 1) if exc.name else "$"
        message = exc.message.replace(exc.name or "", "").strip() if exc.name else exc.message
        raise ReportError(f"{path}: {where}: {message}") from None
    seen: set[str] = set()
    for record in data["cases"]:
        if record["id"] in seen:
            raise ReportError(f"{path}: case {record['id']} is listed twice")
        seen.add(record["id"])


def incomplete_reason(report: dict[str, Any]) -> str | None:
    return None if complete(report) else (report.get("incomplete") or "incomplete run")


def merge(reports: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """One report of the cases of several shard reports; a case in two, a shard set
    with one missing, or shards run differently are refused (a partial or mixed merge
    would gate green on cases that never ran as the gate assumes)."""
    _check_same_run(reports, names)
    _check_shard_set(reports, names)
    seen: dict[str, str] = {}
    records: list[dict[str, Any]] = []
    for report, name in zip(reports, names, strict=True):
        for record in report["cases"]:
            if record["id"] in seen:
                raise ReportError(
                    f"case {record['id']} is in both {seen[record['id']]} and {name}: "
                    "shards must partition the cases"
                )
            seen[record["id"]] = name
            records.append(record)
    records.sort(key=lambda r: r["nodeid"])
    first = reports[0]
    run = {**first["run"], "shard": None, "merged_from": len(reports)}
    from llm_regressions.replay.limits import combine

    run["rate_limits"] = combine(e for r in reports for e in r["run"].get("rate_limits", []))
    commits = {(r.get("git") or {}).get("commit") for r in reports}
    git = first.get("git") if len(commits) == 1 else None
    incomplete = [
        f"{name}: {incomplete_reason(r)}"
        for r, name in zip(reports, names, strict=True)
        if not complete(r)
    ]
    return build(records, run, None, git, "; ".join(incomplete) or None)


#: Run settings every shard of one merge must share (flag that sets them).
SHARED_RUN_SETTINGS = {
    "replay": "--llm-replay",
    "model_override": "--llm-model",
    "prompt": "--llm-prompt",
    "golden": "--llm-golden",
    "changed_since": "--llm-changed-since",
}


def _check_same_run(reports: list[dict[str, Any]], names: list[str]) -> None:
    first, first_name = reports[0]["run"], names[0]
    for report, name in zip(reports[1:], names[1:], strict=True):
        for key, flag in SHARED_RUN_SETTINGS.items():
            if report["run"].get(key) != first.get(key):
                raise ReportError(
                    f"{name} ran with {flag} {report['run'].get(key)!r} but {first_name} "
                    f"with {first.get(key)!r}: shards of one run must share their settings"
                )


def _check_shard_set(reports: list[dict[str, Any]], names: list[str]) -> None:
    """Every shard K/N, K = 1..N, exactly once (or no report sharded at all)."""
    shards = {name: report["run"].get("shard") for report, name in zip(reports, names, strict=True)}
    if not any(shards.values()):
        return
    unsharded = [name for name, shard in shards.items() if not shard]
    if unsharded:
        raise ReportError(f"{unsharded[0]} is not a shard report (no --llm-shard): cannot merge")
    counts = {shard.split("/")[1] for shard in shards.values()}
    if len(counts) > 1:
        raise ReportError(f"shards of different splits ({', '.join(sorted(counts))} parts)")
    total = int(counts.pop())
    seen: dict[int, str] = {}
    for name, shard in shards.items():
        index = int(shard.split("/")[0])
        if index in seen:
            raise ReportError(f"shard {shard} twice: {seen[index]} and {name}")
        seen[index] = name
    missing = [f"{k}/{total}" for k in range(1, total + 1) if k not in seen]
    if missing:
        raise ReportError(
            f"incomplete shard set: {', '.join(missing)} missing; merge every shard's report"
        )


def complete(report: dict[str, Any]) -> bool:
    """Reports written before ``complete`` existed were only written by finished runs."""
    return report.get("complete", True) is not False
