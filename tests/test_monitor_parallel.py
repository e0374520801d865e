"""--llm-monitor's fast paths give the report of the plain one: several processes (the
planted-incident logs, and a file mixing every format with unreadable lines, where the
reader order decides the reasons given, cut into small chunks read by forked and spawned
workers), and spans read without their requests when no rule's check reads them."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import pytest

from llm_regressions.monitor import facts, parallel, score
from llm_regressions.monitor import report as monitor_report
from llm_regressions.monitor.alerts import evaluate
from llm_regressions.monitor.load import load_monitors
from llm_regressions.monitor.run import monitor
from llm_regressions.monitor.windows import Windows
from llm_regressions.traces.reading import request_wanted
from monitor_support import MONITORS_YAML, write_logs


def _section(folder: Path, workers: int, sample: float = 1.0) -> dict[str, Any]:
    monitors = load_monitors(folder / "monitors.yaml")
    run = monitor([folder / "logs"], monitors, sample, 86400.0, workers=workers)
    assert run.workers == workers
    alerts = evaluate(run.windows.summaries(), monitors.config.alerts)
    names = [r.rule.name for r in monitors.rules]
    return monitor_report.section(run, alerts, names, {})


def _mixed(logs: Path) -> None:
    """One file with the three formats' lines interleaved, unreadable lines among them,
    Windows line ends and a byte-order mark."""
    files = [logs / name for name in ("otlp.jsonl", "litellm.jsonl", "langfuse.jsonl")]
    otlp, litellm, langfuse = (f.read_text(encoding="utf-8").splitlines() for f in files)
    lines = []
    for i, observation in enumerate(langfuse):
        lines += [*otlp[2 * i : 2 * i + 2], litellm[i]]
        lines += [observation] if i % 7 else ["not json", '{"a": 1}', "", observation, "[2]"]
    for file in files:
        file.unlink()
    (logs / "mixed.jsonl").write_bytes(("\ufeff" + "\r\n".join(lines)).encode("utf-8"))


@pytest.mark.parametrize(
    ("incident", "fork"), [("pass_rate", True), ("tool_empty", False), ("mixed", True)]
)
def test_workers_give_the_report_of_one_process(tmp_path, monkeypatch, incident, fork) -> None:
    write_logs(tmp_path / "logs", None if incident == "mixed" else incident)
    if incident == "mixed":
        _mixed(tmp_path / "logs")
    (tmp_path / "monitors.yaml").write_text(MONITORS_YAML, encoding="utf-8")
    one = _section(tmp_path, 1)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 40_000)  # dozens of chunks a file
    monkeypatch.setattr(parallel, "fork_safe", lambda: fork)
    assert json.dumps(_section(tmp_path, 2)) == json.dumps(one)
    if incident == "mixed":
        assert len(one["unreadable"]) == 3 * 35 and one["spans_read"] == 960
        assert _section(tmp_path, 2, 0.3) == _section(tmp_path, 1, 0.3)


def test_workers_list_the_first_failing_spans_as_one_process_does(tmp_path, monkeypatch):
    write_logs(tmp_path / "logs", "pass_rate")
    (tmp_path / "monitors.yaml").write_text(MONITORS_YAML, encoding="utf-8")
    monkeypatch.setattr(facts, "MAX_LISTED", 3)  # of 10, spread over several chunks
    one = _section(tmp_path, 1)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 40_000)
    monkeypatch.setattr(parallel, "fork_safe", lambda: True)  # workers inherit the 3
    assert json.dumps(_section(tmp_path, 2)) == json.dumps(one)


def test_small_or_judged_runs_stay_in_one_process(tmp_path, monkeypatch) -> None:
    logs = write_logs(tmp_path / "logs")
    (tmp_path / "monitors.yaml").write_text(MONITORS_YAML, encoding="utf-8")
    monitors = load_monitors(tmp_path / "monitors.yaml")
    files = sorted(logs.iterdir())
    assert parallel.workers_for(files, monitors) == 1  # 4.6 MB
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(parallel.os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    assert parallel.workers_for(files, monitors) == 2
    judged = MONITORS_YAML + "  - name: polite\n    checks:\n      - llm_judge: Polite?\n"
    (tmp_path / "judged.yaml").write_text(judged, encoding="utf-8")
    assert parallel.workers_for(files, load_monitors(tmp_path / "judged.yaml", budget=True)) == 1


@pytest.mark.parametrize("incident", [None, "spend", "non_ascii"])
def test_reading_answers_only_gives_the_report_of_whole_spans(
    tmp_path, monkeypatch, incident
) -> None:
    write_logs(tmp_path / "logs", incident)
    (tmp_path / "monitors.yaml").write_text(MONITORS_YAML, encoding="utf-8")
    assert score.answers_only(load_monitors(tmp_path / "monitors.yaml"))
    lean = _section(tmp_path, 1)
    assert request_wanted()  # only while a line is read
    monkeypatch.setattr(facts, "answers_only", lambda monitors: False)
    assert json.dumps(_section(tmp_path, 1)) == json.dumps(lean)


@pytest.mark.parametrize(
    ("check", "lean"),
    [("ascii_only: true", True), ("tool_args_valid: true", False),
     ("python: operator:is_not", False)],
)  # fmt: skip
def test_spans_are_read_whole_when_a_check_reads_the_request(tmp_path, check, lean) -> None:
    rules = tmp_path / "monitors.yaml"
    rules.write_text(f"version: 1\nrules:\n  - name: a\n    checks:\n      - {check}\n")
    assert score.answers_only(load_monitors(rules)) is lean


def test_without_worker_processes_the_run_is_read_in_one(tmp_path, monkeypatch) -> None:
    write_logs(tmp_path / "logs", "spend")
    (tmp_path / "monitors.yaml").write_text(MONITORS_YAML, encoding="utf-8")
    monitors = load_monitors(tmp_path / "monitors.yaml")
    one = monitor([tmp_path / "logs"], monitors, 1.0, 86400.0, workers=1)

    def no_semaphores(*args: Any, **kwargs: Any) -> None:
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_semaphores)
    run = monitor([tmp_path / "logs"], monitors, 1.0, 86400.0, workers=2)
    assert run.workers == 1 and run.notes == [
        "read in one process: no worker process could start "
        "(OSError: [Errno 38] Function not implemented)"
    ]
    assert run.windows.summaries() == one.windows.summaries() and run.files == 3


def _worker_chunk(tmp_path: Path, monkeypatch, name: str) -> tuple[Path, Any, tuple]:
    """The path of ``name`` in the planted-incident logs, the rules, and a worker's
    reading of the whole file as one chunk (in this process)."""
    logs = write_logs(tmp_path / "logs", "pass_rate")
    (tmp_path / "monitors.yaml").write_text(MONITORS_YAML, encoding="utf-8")
    monitors = load_monitors(tmp_path / "monitors.yaml")
    monkeypatch.setattr(parallel, "_WORKER", {})
    parallel._start(monitors, 1.0, Windows(86400.0), gc.get_threshold())  # gc as it is
    path = logs / name
    return path, monitors, parallel._chunk(path, 0, path.stat().st_size)


def _one_process(path: Path, monitors: Any) -> facts.MonitorRun:
    run = facts.MonitorRun(Windows(86400.0))
    facts.add_file(run, path, monitors, 1.0)
    return run


def test_a_worker_adds_up_the_lines_one_reader_reads_in_a_row(tmp_path, monkeypatch) -> None:
    path, monitors, (count, lines) = _worker_chunk(tmp_path, monkeypatch, "otlp.jsonl")
    first, segment = lines  # the first line alone (the reader order decides it), then the rest
    assert first[0] == 1 and isinstance(segment, parallel.Segment)
    assert segment.numbers == list(range(2, count + 1)) and segment.way == first[1]
    run = facts.MonitorRun(Windows(86400.0))
    unit = parallel.Unit(path, (0, path.stat().st_size))
    parallel._merge(run, unit, (count, lines), parallel._File(), (monitors, 1.0))
    one = _one_process(path, monitors)
    assert run.windows.summaries() == one.windows.summaries()
    assert (run.spans_read, run.matched, run.passed, run.failing_total) == (
        one.spans_read, one.matched, one.passed, one.failing_total
    )  # fmt: skip
    assert run.failing == one.failing and run.failing  # the incident's failing spans, in order


def test_a_segment_the_parent_would_read_otherwise_is_read_again(tmp_path, monkeypatch) -> None:
    # Should the parent read the line before a segment with another reader than the
    # worker did (two readers taking the same lines), the segment's totals are not
    # its own: it reads the segment's lines itself.
    path, monitors, (count, lines) = _worker_chunk(tmp_path, monkeypatch, "otlp.jsonl")
    first, segment = lines
    elsewhere = next(i for i in range(len(parallel.WAYS)) if i != segment.way)
    wrong = parallel.Segment(elsewhere, segment.numbers, facts.MonitorRun(Windows(86400.0)))
    run = facts.MonitorRun(Windows(86400.0))
    unit = parallel.Unit(path, (0, path.stat().st_size))
    parallel._merge(run, unit, (count, [first, wrong]), parallel._File(), (monitors, 1.0))
    one = _one_process(path, monitors)
    assert run.spans_read == one.spans_read == count
    assert run.windows.summaries() == one.windows.summaries()
    assert run.failing == one.failing
